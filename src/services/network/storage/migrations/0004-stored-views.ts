/**
 * A column for each row's view as the API answers it (`view`, bytes: see ResourceRepo's
 * `StoredViews`), so a list concatenates stored JSON instead of parsing and serialising
 * every document. Rows written before it have none; lists build their views from `data`.
 */
import { type Kysely, MysqlAdapter, PostgresAdapter, sql } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

// biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
type Db = Kysely<any>

/** The tables whose lists read stored views. */
export const STORED_VIEW_TABLES = [
  'neutron_ports',
  'neutron_subnets',
  'neutron_security_group_rules',
] as const

export const storedViews: NamedMigration = {
  name: 'network-0004-stored-views',
  async up(db: Db) {
    const adapter = db.getExecutor().adapter
    // Bytes, not text: the database hands them back as a Buffer, never decoded to a string.
    const type =
      adapter instanceof PostgresAdapter
        ? sql`bytea`
        : adapter instanceof MysqlAdapter
          ? sql`mediumblob`
          : sql`blob`
    for (const table of STORED_VIEW_TABLES)
      await db.schema.alterTable(table).addColumn('view', type).execute()
  },
}
