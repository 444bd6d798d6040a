/**
 * The initial placement schema, portable across SQLite, PostgreSQL and MariaDB.
 * Indexed strings carry explicit lengths (MariaDB's key limits).
 */
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter, sql } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { changeLog } from './0002-change-log.js'

const ts = 'varchar(40)'

/**
 * A generated integer key: `serial` on PostgreSQL (which has no AUTO_INCREMENT),
 * INTEGER PRIMARY KEY AUTOINCREMENT / AUTO_INCREMENT on SQLite and MariaDB.
 */
function serialId(db: Kysely<unknown>): [string, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return ['serial', (c) => c.primaryKey()]
  return ['integer', (c) => c.primaryKey().autoIncrement()]
}

export const initial: NamedMigration = {
  name: 'placement-0001-initial',
  async up(db: Kysely<unknown>) {
    const [idType, idColumn] = serialId(db)
    await db.schema
      .createTable('resource_providers')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('root_provider_id', 'integer')
      .addColumn('parent_provider_id', 'integer')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema
      .createIndex('rp_parent_idx')
      .on('resource_providers')
      .column('parent_provider_id')
      .execute()
    await db.schema.createIndex('rp_root_idx').on('resource_providers').column('root_provider_id').execute()

    await db.schema
      .createTable('resource_classes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()

    await db.schema
      .createTable('inventories')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('resource_provider_id', 'integer', (c) => c.notNull())
      .addColumn('resource_class_id', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('reserved', 'integer', (c) => c.notNull())
      .addColumn('min_unit', 'integer', (c) => c.notNull())
      .addColumn('max_unit', 'integer', (c) => c.notNull())
      .addColumn('step_size', 'integer', (c) => c.notNull())
      .addColumn('allocation_ratio', 'double precision', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .addUniqueConstraint('inventories_rp_rc_uc', ['resource_provider_id', 'resource_class_id'])
      .execute()

    await db.schema
      .createTable('allocations')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('resource_provider_id', 'integer', (c) => c.notNull())
      .addColumn('consumer_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('resource_class_id', 'integer', (c) => c.notNull())
      .addColumn('used', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()
    await db.schema.createIndex('alloc_consumer_idx').on('allocations').column('consumer_id').execute()
    await db.schema
      .createIndex('alloc_rp_rc_idx')
      .on('allocations')
      .columns(['resource_provider_id', 'resource_class_id'])
      .execute()

    for (const table of ['projects', 'users']) {
      await db.schema
        .createTable(table)
        .addColumn('id', idType as 'integer', idColumn)
        .addColumn('external_id', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute()
    }
    for (const table of ['consumer_types', 'traits']) {
      await db.schema
        .createTable(table)
        .addColumn('id', idType as 'integer', idColumn)
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts)
        .execute()
    }

    await db.schema
      .createTable('consumers')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('project_id', 'integer', (c) => c.notNull())
      .addColumn('user_id', 'integer', (c) => c.notNull())
      .addColumn('consumer_type_id', 'integer')
      .addColumn('generation', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts)
      .execute()

    await db.schema
      .createTable('placement_aggregates')
      .addColumn('id', idType as 'integer', idColumn)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('resource_provider_aggregates')
      .addColumn('resource_provider_id', 'integer', (c) => c.notNull())
      .addColumn('aggregate_id', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('rpa_pk', ['resource_provider_id', 'aggregate_id'])
      .execute()
    await db.schema
      .createTable('resource_provider_traits')
      .addColumn('resource_provider_id', 'integer', (c) => c.notNull())
      .addColumn('trait_id', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('rpt_pk', ['resource_provider_id', 'trait_id'])
      .execute()

    await db.schema
      .createTable('placement_changes')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('counter', 'bigint', (c) => c.notNull())
      .execute()
    await db
      .insertInto('placement_changes' as never)
      .values({ id: 1, counter: 0 } as never)
      .execute()
    void sql
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'placement_changes',
      'resource_provider_traits',
      'resource_provider_aggregates',
      'placement_aggregates',
      'consumers',
      'traits',
      'consumer_types',
      'users',
      'projects',
      'allocations',
      'inventories',
      'resource_classes',
      'resource_providers',
    ]) {
      await db.schema.dropTable(t).ifExists().execute()
    }
  },
}

export const placementMigrations: readonly NamedMigration[] = [initial, changeLog]
