/**
 * Generic volume groups (3.11-3.20): group types and their specs, groups with the volume
 * types they allow, group snapshots; a volume names its group and a snapshot the group
 * snapshot that took it.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const groups: NamedMigration = {
  name: 'volume-0007-groups',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('group_types')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'varchar(255)')
      .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema
      .createTable('group_type_specs')
      .addColumn('group_type_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_type_specs_pk', ['group_type_id', 'key'])
      .execute()
    await db.schema
      .createTable('volume_groups')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)')
      .addColumn('description', 'varchar(255)')
      .addColumn('status', 'varchar(255)', (c) => c.notNull())
      .addColumn('availability_zone', 'varchar(255)', (c) => c.notNull())
      .addColumn('group_type_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('group_snapshot_id', 'varchar(36)')
      .addColumn('source_group_id', 'varchar(36)')
      .addColumn('host', 'varchar(255)')
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema
      .createIndex('volume_groups_project_idx')
      .on('volume_groups')
      .column('project_id')
      .execute()
    await db.schema
      .createTable('group_volume_types')
      .addColumn('group_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('volume_type_id', 'varchar(36)', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_volume_types_pk', ['group_id', 'volume_type_id'])
      .execute()
    await db.schema
      .createTable('group_snapshots')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('group_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)')
      .addColumn('description', 'varchar(255)')
      .addColumn('status', 'varchar(255)', (c) => c.notNull())
      .addColumn('group_type_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
      .addColumn('updated_at', 'varchar(40)')
      .execute()
    await db.schema.alterTable('volumes').addColumn('group_id', 'varchar(36)').execute()
    await db.schema.alterTable('snapshots').addColumn('group_snapshot_id', 'varchar(36)').execute()
  },
}
