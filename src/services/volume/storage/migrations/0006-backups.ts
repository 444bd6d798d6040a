/**
 * Volume backups: one row per backup (full or incremental, with its parent), the
 * container (folder) the directory driver wrote it to, its metadata (3.43), and what of
 * the volume besides its bytes a restore puts back.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const backups: NamedMigration = {
  name: 'volume-0006-backups',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('backups')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('volume_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('snapshot_id', 'varchar(36)')
      .addColumn('parent_id', 'varchar(36)')
      .addColumn('status', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)')
      .addColumn('display_description', 'varchar(255)')
      .addColumn('container', 'varchar(255)', (c) => c.notNull())
      .addColumn('availability_zone', 'varchar(255)')
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('object_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_incremental', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('num_dependent_backups', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('fail_reason', 'varchar(255)')
      .addColumn('restore_volume_id', 'varchar(36)')
      .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
      // the folder holding the backup's data (its own id, or the id it was exported under)
      .addColumn('service_metadata', 'varchar(255)')
      // the volume's metadata, image metadata and bootable flag, restored with the data
      .addColumn('volume_meta', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('data_timestamp', 'varchar(40)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema.createIndex('backups_project_idx').on('backups').column('project_id').execute()
    await db.schema.createIndex('backups_volume_idx').on('backups').column('volume_id').execute()
  },
}
