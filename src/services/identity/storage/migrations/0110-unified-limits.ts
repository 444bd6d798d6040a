/**
 * Unified limits (/v3/registered_limits, /v3/limits): registered limits, one per
 * service, region and resource name, and project or domain limits that override one.
 * Uniqueness is a database key on every dialect: the nullable region and the
 * project-or-domain owner are folded into NOT NULL key columns.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ID = 'varchar(64)'

export const unifiedLimitsMigration0110: NamedMigration = {
  name: '0110_identity_unified_limits',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('identity_registered_limit')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('service_id', ID, (c) => c.notNull())
      .addColumn('region_id', 'varchar(255)')
      .addColumn('region_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('resource_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('default_limit', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addUniqueConstraint('identity_registered_limit_key', ['service_id', 'region_key', 'resource_name'])
      .execute()
    await db.schema
      .createTable('identity_limit')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('registered_limit_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('domain_id', ID)
      .addColumn('owner_key', ID, (c) => c.notNull())
      .addColumn('resource_limit', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addUniqueConstraint('identity_limit_key', ['registered_limit_id', 'owner_key'])
      .execute()
    await db.schema.createIndex('identity_limit_owner').on('identity_limit').column('owner_key').execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('identity_limit').ifExists().execute()
    await db.schema.dropTable('identity_registered_limit').ifExists().execute()
  },
}
