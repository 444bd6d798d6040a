/**
 * The block storage service's first schema: volumes (metadata, admin metadata, image
 * metadata), volume types (extra specs, project access, per-project defaults),
 * snapshots, attachments, quotas and services; and the default type `__DEFAULT__`, as
 * Cinder's migrations create it. Portable across SQLite, PostgreSQL and MariaDB:
 * indexed strings have explicit lengths, booleans are integers.
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'
const id = 'varchar(36)'
const name = 'varchar(255)'

/** The id of `__DEFAULT__`, fixed so that every database holds the same one. */
export const DEFAULT_TYPE_ID = '5c4b6c7a-6f1e-4a5c-9d0e-2f0c0de7a1f3'

function serialId(db: Kysely<unknown>): [string, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ['serial', (c) => c.primaryKey()]
  return ['integer', (c) => c.primaryKey().autoIncrement()]
}

export const initial: NamedMigration = {
  name: 'volume-0001-initial',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('volumes')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('project_id', name, (c) => c.notNull())
      .addColumn('user_id', name, (c) => c.notNull())
      .addColumn('display_name', name)
      .addColumn('display_description', 'text')
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('previous_status', 'varchar(32)')
      .addColumn('attach_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('availability_zone', name, (c) => c.notNull())
      .addColumn('volume_type_id', id, (c) => c.notNull())
      .addColumn('snapshot_id', id)
      .addColumn('source_volid', id)
      .addColumn('bootable', 'integer', (c) => c.notNull())
      .addColumn('multiattach', 'integer', (c) => c.notNull())
      .addColumn('host', name)
      .addColumn('migration_status', 'varchar(32)')
      .addColumn('replication_status', 'varchar(32)')
      .addColumn('use_quota', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .addColumn('launched_at', ts)
      .execute()
    await db.schema.createIndex('volumes_project_idx').on('volumes').column('project_id').execute()
    for (const table of ['volume_metadata', 'volume_admin_metadata', 'volume_glance_metadata']) {
      await db.schema
        .createTable(table)
        .addColumn('volume_id', id, (c) => c.notNull())
        .addColumn('key', name, (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ['volume_id', 'key'])
        .execute()
    }
    await db.schema
      .createTable('volume_types')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('name', name, (c) => c.notNull().unique())
      .addColumn('description', 'text')
      .addColumn('is_public', 'integer', (c) => c.notNull())
      .addColumn('qos_specs_id', id)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createTable('volume_type_extra_specs')
      .addColumn('volume_type_id', id, (c) => c.notNull())
      .addColumn('key', name, (c) => c.notNull())
      .addColumn('value', name, (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_type_extra_specs_pk', ['volume_type_id', 'key'])
      .execute()
    await db.schema
      .createTable('volume_type_projects')
      .addColumn('volume_type_id', id, (c) => c.notNull())
      .addColumn('project_id', name, (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_type_projects_pk', ['volume_type_id', 'project_id'])
      .execute()
    await db.schema
      .createTable('volume_default_types')
      .addColumn('project_id', name, (c) => c.primaryKey())
      .addColumn('volume_type_id', id, (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('snapshots')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('volume_id', id, (c) => c.notNull())
      .addColumn('project_id', name, (c) => c.notNull())
      .addColumn('user_id', name, (c) => c.notNull())
      .addColumn('display_name', name)
      .addColumn('display_description', 'text')
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('progress', 'varchar(16)', (c) => c.notNull())
      .addColumn('volume_size', 'integer', (c) => c.notNull())
      .addColumn('volume_type_id', id, (c) => c.notNull())
      .addColumn('use_quota', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema.createIndex('snapshots_volume_idx').on('snapshots').column('volume_id').execute()
    await db.schema.createIndex('snapshots_project_idx').on('snapshots').column('project_id').execute()
    await db.schema
      .createTable('snapshot_metadata')
      .addColumn('snapshot_id', id, (c) => c.notNull())
      .addColumn('key', name, (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('snapshot_metadata_pk', ['snapshot_id', 'key'])
      .execute()
    await db.schema
      .createTable('volume_attachment')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('volume_id', id, (c) => c.notNull())
      .addColumn('instance_uuid', name)
      .addColumn('attached_host', name)
      .addColumn('mountpoint', name)
      .addColumn('attach_mode', 'varchar(8)')
      .addColumn('attach_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('connection_info', 'text')
      .addColumn('attach_time', ts)
      .addColumn('detach_time', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createIndex('volume_attachment_volume_idx')
      .on('volume_attachment')
      .column('volume_id')
      .execute()
    await db.schema
      .createTable('volume_quotas')
      .addColumn('project_id', name, (c) => c.notNull())
      .addColumn('resource', name, (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_quotas_pk', ['project_id', 'resource'])
      .execute()
    await db.schema
      .createTable('volume_quota_classes')
      .addColumn('class_name', name, (c) => c.notNull())
      .addColumn('resource', name, (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('volume_quota_classes_pk', ['class_name', 'resource'])
      .execute()
    await db.schema
      .createTable('volume_quota_locks')
      .addColumn('project_id', name, (c) => c.primaryKey())
      .execute()
    const [serialType, serialColumn] = serialId(db)
    await db.schema
      .createTable('volume_services')
      .addColumn('id', serialType as 'integer', serialColumn)
      .addColumn('host', name, (c) => c.notNull())
      .addColumn('binary', name, (c) => c.notNull())
      .addColumn('topic', name, (c) => c.notNull())
      .addColumn('availability_zone', name, (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull())
      .addColumn('disabled_reason', name)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .addUniqueConstraint('volume_services_host_binary', ['host', 'binary'])
      .execute()
    const now = new Date().toISOString()
    await db
      .insertInto('volume_types')
      .values({
        id: DEFAULT_TYPE_ID,
        name: '__DEFAULT__',
        description: 'Default Volume Type',
        is_public: 1,
        qos_specs_id: null,
        created_at: now,
        updated_at: null,
      })
      .execute()
  },
}
