/**
 * Servers and cells v2: the cell mappings (cell0 for servers that never scheduled,
 * cell1 the default), which cell each instance and host lives in, the instances with
 * their metadata, tags, faults and actions, the external events other services post,
 * and the per-project row that serialises quota checks. The cells share this database
 * to start with; the mapping tables are what lets more cells join later.
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'

function serialId(db: Kysely<unknown>): [string, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ['serial', (c) => c.primaryKey()]
  return ['integer', (c) => c.primaryKey().autoIncrement()]
}

/** Fixed uuids: cell0's is upstream's all-zero uuid; cell1's is Cloudlet's own constant. */
export const CELL0_UUID = '00000000-0000-0000-0000-000000000000'
export const CELL1_UUID = '5f0b9a7e-1c2d-4e3f-8a9b-0c1d2e3f4a5b'

export const servers: NamedMigration = {
  name: 'compute-0003-servers',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    const [idType, idColumn] = serialId(db)
    const id = idType as 'integer'
    await db.schema
      .createTable('cell_mappings')
      .addColumn('id', id, idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)')
      .addColumn('transport_url', 'text', (c) => c.notNull())
      .addColumn('database_connection', 'text', (c) => c.notNull())
      .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute()
    const now = new Date().toISOString()
    // NOTE: `none:///` and an empty connection mean "this process's bus and database":
    // the two cells live in the API database until cells get databases of their own.
    await db
      .insertInto('cell_mappings')
      .values([
        {
          uuid: CELL0_UUID,
          name: 'cell0',
          transport_url: 'none:///',
          database_connection: '',
          disabled: 0,
          created_at: now,
        },
        {
          uuid: CELL1_UUID,
          name: 'cell1',
          transport_url: 'none:///',
          database_connection: '',
          disabled: 0,
          created_at: now,
        },
      ])
      .execute()
    await db.schema
      .createTable('host_mappings')
      .addColumn('host', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('cell_id', 'integer', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('instance_mappings')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('cell_id', 'integer')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('queued_for_delete', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('instance_mappings_project_idx')
      .on('instance_mappings')
      .columns(['project_id', 'queued_for_delete'])
      .execute()

    await db.schema
      .createTable('instances')
      .addColumn('id', id, idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_description', 'varchar(255)')
      .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
      .addColumn('reservation_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('launch_index', 'integer', (c) => c.notNull())
      .addColumn('flavor', 'text', (c) => c.notNull())
      .addColumn('instance_type_id', 'integer', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('image_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('image', 'text', (c) => c.notNull())
      .addColumn('key_name', 'varchar(255)')
      .addColumn('key_data', 'text')
      .addColumn('user_data', 'text')
      .addColumn('availability_zone', 'varchar(255)')
      .addColumn('config_drive', 'varchar(255)', (c) => c.notNull())
      .addColumn('access_ip_v4', 'varchar(64)')
      .addColumn('access_ip_v6', 'varchar(64)')
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('host', 'varchar(255)')
      .addColumn('node', 'varchar(255)')
      .addColumn('launched_on', 'varchar(255)')
      .addColumn('vm_state', 'varchar(255)', (c) => c.notNull())
      .addColumn('task_state', 'varchar(255)')
      .addColumn('power_state', 'integer', (c) => c.notNull())
      .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_by', 'varchar(16)')
      .addColumn('locked_reason', 'varchar(255)')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('launched_at', ts)
      .addColumn('terminated_at', ts)
      .addColumn('deleted_at', ts)
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
    await db.schema
      .createIndex('instances_project_deleted_idx')
      .on('instances')
      .columns(['project_id', 'deleted'])
      .execute()
    await db.schema.createIndex('instances_host_idx').on('instances').columns(['host', 'deleted']).execute()
    await db.schema
      .createIndex('instances_vm_state_idx')
      .on('instances')
      .columns(['vm_state', 'deleted'])
      .execute()
    await db.schema
      .createIndex('instances_reservation_idx')
      .on('instances')
      .column('reservation_id')
      .execute()
    await db.schema
      .createTable('instance_metadata')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_metadata_pk', ['instance_uuid', 'key'])
      .execute()
    await db.schema
      .createTable('instance_tags')
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('tag', 'varchar(80)', (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_tags_pk', ['instance_uuid', 'tag'])
      .execute()
    await db.schema.createIndex('instance_tags_tag_idx').on('instance_tags').column('tag').execute()
    await db.schema
      .createTable('instance_faults')
      .addColumn('id', id, idColumn)
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('code', 'integer', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .addColumn('host', 'varchar(255)')
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('instance_faults_instance_idx')
      .on('instance_faults')
      .column('instance_uuid')
      .execute()
    await db.schema
      .createTable('instance_actions')
      .addColumn('id', id, idColumn)
      .addColumn('action', 'varchar(255)', (c) => c.notNull())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)')
      .addColumn('project_id', 'varchar(255)')
      .addColumn('start_time', ts, (c) => c.notNull())
      .addColumn('finish_time', ts)
      .addColumn('message', 'varchar(255)')
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createIndex('instance_actions_instance_idx')
      .on('instance_actions')
      .columns(['instance_uuid', 'request_id'])
      .execute()
    await db.schema
      .createTable('instance_actions_events')
      .addColumn('id', id, idColumn)
      .addColumn('action_id', 'integer', (c) => c.notNull())
      .addColumn('event', 'varchar(255)', (c) => c.notNull())
      .addColumn('start_time', ts, (c) => c.notNull())
      .addColumn('finish_time', ts)
      .addColumn('result', 'varchar(255)')
      .addColumn('traceback', 'text')
      .addColumn('host', 'varchar(255)')
      .addColumn('details', 'text')
      .execute()
    await db.schema
      .createIndex('instance_actions_events_action_idx')
      .on('instance_actions_events')
      .column('action_id')
      .execute()
    await db.schema
      .createTable('instance_external_events')
      .addColumn('id', id, idColumn)
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('tag', 'varchar(255)')
      .addColumn('status', 'varchar(32)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('project_quota_locks')
      .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
      .execute()
  },
}
