/**
 * Migration records (upstream's `migrations` table): one per resize, cold migration,
 * live migration and evacuation, with the hosts at both ends, the flavors before and
 * after, and its status. While a move is in flight the record is also the placement
 * consumer holding the source host's resources, so its uuid matters beyond the API.
 * `old_vm_state` is what a revert or a rollback puts back (upstream keeps it in the
 * instance's system metadata). Also upstream's `instance_system_metadata`: what compute
 * keeps about a server that users do not set (a shelved server's image).
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'

function serialId(db: Kysely<unknown>): [string, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ['serial', (c) => c.primaryKey()]
  return ['integer', (c) => c.primaryKey().autoIncrement()]
}

export const serverMigrations: NamedMigration = {
  name: 'compute-0007-server-migrations',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    const [idType, idColumn] = serialId(db)
    await db.schema
      .createTable('migrations')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('migration_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('source_compute', 'varchar(255)')
      .addColumn('source_node', 'varchar(255)')
      .addColumn('dest_compute', 'varchar(255)')
      .addColumn('dest_node', 'varchar(255)')
      .addColumn('dest_host', 'varchar(255)')
      .addColumn('old_instance_type_id', 'integer')
      .addColumn('new_instance_type_id', 'integer')
      .addColumn('old_flavor', 'text', (c) => c.notNull())
      .addColumn('new_flavor', 'text', (c) => c.notNull())
      .addColumn('old_vm_state', 'varchar(32)', (c) => c.notNull())
      .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('memory_total', 'bigint')
      .addColumn('memory_processed', 'bigint')
      .addColumn('memory_remaining', 'bigint')
      .addColumn('disk_total', 'bigint')
      .addColumn('disk_processed', 'bigint')
      .addColumn('disk_remaining', 'bigint')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createIndex('migrations_instance_idx')
      .on('migrations')
      .columns(['instance_uuid'])
      .execute()
    await db.schema
      .createTable('instance_system_metadata')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text')
      .addPrimaryKeyConstraint('instance_system_metadata_pk', ['instance_uuid', 'key'])
      .execute()
    await db.schema
      .createIndex('migrations_status_idx')
      .on('migrations')
      .columns(['status', 'updated_at'])
      .execute()
  },
}
