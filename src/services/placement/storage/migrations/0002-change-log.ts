/**
 * The change log: one row per committed write, keyed by the change counter's value
 * after that write (`seq`), naming the providers and consumers it touched, so another
 * process reloads only those instead of the whole state. `kind` is `delta` (the listed
 * rows), `catalog` (resource classes or traits) or `full` (reload everything).
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const changeLog: NamedMigration = {
  name: 'placement-0002-change-log',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('placement_change_log')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      // Comma-separated provider ids and consumer uuids.
      .addColumn('providers', 'text')
      .addColumn('consumers', 'text')
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('placement_change_log').ifExists().execute()
  },
}
