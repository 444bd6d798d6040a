/**
 * The compute API's first schema: flavors (with tenant access and extra specs), key
 * pairs, server groups, aggregates and quotas. Portable across SQLite, PostgreSQL and
 * MariaDB: indexed strings have explicit lengths, booleans are integers.
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ts = 'varchar(40)'

/** `serial` on PostgreSQL (no AUTO_INCREMENT there), auto-increment elsewhere. */
function serialId(db: Kysely<unknown>): [string, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ['serial', (c) => c.primaryKey()]
  return ['integer', (c) => c.primaryKey().autoIncrement()]
}

export const initial: NamedMigration = {
  name: 'compute-0001-initial',
  // biome-ignore lint/suspicious/noExplicitAny: migrations see the schema as it was then
  async up(db: Kysely<any>) {
    const [idType, idColumn] = serialId(db)
    const id = idType as 'integer'
    await db.schema
      .createTable('flavors')
      .addColumn('id', id, idColumn)
      .addColumn('flavorid', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('memory_mb', 'integer', (c) => c.notNull())
      .addColumn('vcpus', 'integer', (c) => c.notNull())
      .addColumn('root_gb', 'integer', (c) => c.notNull())
      .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
      .addColumn('swap', 'integer', (c) => c.notNull())
      .addColumn('rxtx_factor', 'double precision', (c) => c.notNull())
      .addColumn('vcpu_weight', 'integer')
      .addColumn('disabled', 'integer', (c) => c.notNull())
      .addColumn('is_public', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createTable('flavor_projects')
      .addColumn('flavor_id', 'integer', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('flavor_projects_pk', ['flavor_id', 'project_id'])
      .execute()
    await db.schema
      .createIndex('flavor_projects_project_idx')
      .on('flavor_projects')
      .column('project_id')
      .execute()
    await db.schema
      .createTable('flavor_extra_specs')
      .addColumn('flavor_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('flavor_extra_specs_pk', ['flavor_id', 'key'])
      .execute()

    await db.schema
      .createTable('key_pairs')
      .addColumn('id', id, idColumn)
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('fingerprint', 'varchar(255)', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('type', 'varchar(10)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .addUniqueConstraint('key_pairs_user_name_uq', ['user_id', 'name'])
      .execute()

    await db.schema
      .createTable('instance_groups')
      .addColumn('id', id, idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('policy', 'varchar(255)', (c) => c.notNull())
      .addColumn('max_server_per_host', 'integer')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createIndex('instance_groups_project_idx')
      .on('instance_groups')
      .column('project_id')
      .execute()
    await db.schema
      .createTable('instance_group_members')
      .addColumn('group_id', 'integer', (c) => c.notNull())
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('instance_group_members_pk', ['group_id', 'instance_uuid'])
      .execute()

    await db.schema
      .createTable('aggregates')
      .addColumn('id', id, idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createTable('aggregate_hosts')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
      .execute()
    await db.schema.createIndex('aggregate_hosts_host_idx').on('aggregate_hosts').column('host').execute()
    await db.schema
      .createTable('aggregate_metadata')
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
      .execute()

    await db.schema
      .createTable('quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
      .execute()
    await db.schema
      .createTable('project_user_quotas')
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('project_user_quotas_pk', ['project_id', 'user_id', 'resource'])
      .execute()
    await db.schema
      .createTable('quota_classes')
      .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource', 'varchar(255)', (c) => c.notNull())
      .addColumn('hard_limit', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('quota_classes_pk', ['class_name', 'resource'])
      .execute()
  },
}
