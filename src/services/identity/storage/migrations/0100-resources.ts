/**
 * The resource half's tables, created in one step. Portable Kysely schema code:
 * varchar lengths on every indexed column (MariaDB), integers for booleans, ISO strings
 * for times, JSON as text.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { unifiedLimitsMigration0110 } from './0110-unified-limits.js'
import { federationMigration0120 } from './0120-federation.js'

const ID = 'varchar(64)'

export const resourcesMigration0100: NamedMigration = {
  name: '0100_identity_resources',
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('identity_project')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('parent_id', ID)
      .addColumn('is_domain', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('description', 'text')
      .addColumn('extra', 'text', (c) => c.notNull())
      .addUniqueConstraint('identity_project_domain_name', ['domain_id', 'name'])
      .execute()
    await db.schema
      .createIndex('identity_project_parent')
      .on('identity_project')
      .column('parent_id')
      .execute()

    await db.schema
      .createTable('identity_project_tag')
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_project_tag_pk', ['project_id', 'name'])
      .execute()

    await db.schema
      .createTable('identity_user')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('default_project_id', ID)
      .addColumn('description', 'text')
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('last_active_at', 'varchar(32)')
      .addColumn('failed_auth_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_auth_at', 'varchar(32)')
      .addUniqueConstraint('identity_user_domain_name', ['domain_id', 'name'])
      .execute()

    await db.schema
      .createTable('identity_password')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('self_service', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
    await db.schema.createIndex('identity_password_user').on('identity_password').column('user_id').execute()

    await db.schema
      .createTable('identity_group')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('extra', 'text', (c) => c.notNull())
      .addUniqueConstraint('identity_group_domain_name', ['domain_id', 'name'])
      .execute()

    await db.schema
      .createTable('identity_membership')
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('group_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_membership_pk', ['user_id', 'group_id'])
      .execute()
    await db.schema
      .createIndex('identity_membership_group')
      .on('identity_membership')
      .column('group_id')
      .execute()

    await db.schema
      .createTable('identity_role')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addUniqueConstraint('identity_role_name_domain', ['name', 'domain_id'])
      .execute()

    await db.schema
      .createTable('identity_implied_role')
      .addColumn('prior_role_id', ID, (c) => c.notNull())
      .addColumn('implied_role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_implied_role_pk', ['prior_role_id', 'implied_role_id'])
      .execute()

    await db.schema
      .createTable('identity_assignment')
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('actor_id', ID, (c) => c.notNull())
      .addColumn('target_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addColumn('inherited', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('identity_assignment_pk', [
        'type',
        'actor_id',
        'target_id',
        'role_id',
        'inherited',
      ])
      .execute()
    await db.schema
      .createIndex('identity_assignment_actor')
      .on('identity_assignment')
      .column('actor_id')
      .execute()
    await db.schema
      .createIndex('identity_assignment_target')
      .on('identity_assignment')
      .column('target_id')
      .execute()
    await db.schema
      .createIndex('identity_assignment_role')
      .on('identity_assignment')
      .column('role_id')
      .execute()

    await db.schema
      .createTable('identity_region')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('description', 'varchar(255)', (c) => c.notNull())
      .addColumn('parent_region_id', 'varchar(255)')
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('identity_service')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', 'varchar(255)', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('identity_endpoint')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('service_id', ID, (c) => c.notNull())
      .addColumn('region_id', 'varchar(255)')
      .addColumn('interface', 'varchar(8)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('identity_endpoint_service')
      .on('identity_endpoint')
      .column('service_id')
      .execute()

    await db.schema
      .createTable('identity_endpoint_group')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('filters', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('identity_project_endpoint_group')
      .addColumn('endpoint_group_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_project_endpoint_group_pk', ['endpoint_group_id', 'project_id'])
      .execute()
    await db.schema
      .createTable('identity_project_endpoint')
      .addColumn('endpoint_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_project_endpoint_pk', ['endpoint_id', 'project_id'])
      .execute()

    await db.schema
      .createTable('identity_credential')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('type', 'varchar(255)', (c) => c.notNull())
      .addColumn('key_hash', 'varchar(64)')
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('identity_credential_user')
      .on('identity_credential')
      .column('user_id')
      .execute()
    await db.schema
      .createIndex('identity_credential_key')
      .on('identity_credential')
      .column('key_hash')
      .execute()

    await db.schema
      .createTable('identity_app_cred')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('name', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('secret_hash', 'varchar(255)', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('unrestricted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('identity_app_cred_user_name', ['user_id', 'name'])
      .execute()
    await db.schema
      .createTable('identity_app_cred_role')
      .addColumn('application_credential_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_app_cred_role_pk', ['application_credential_id', 'role_id'])
      .execute()
    await db.schema
      .createTable('identity_access_rule')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('service', 'varchar(64)', (c) => c.notNull())
      .addColumn('path', 'varchar(128)', (c) => c.notNull())
      .addColumn('method', 'varchar(16)', (c) => c.notNull())
      .addUniqueConstraint('identity_access_rule_unique', ['user_id', 'service', 'path', 'method'])
      .execute()
    await db.schema
      .createTable('identity_app_cred_access_rule')
      .addColumn('application_credential_id', ID, (c) => c.notNull())
      .addColumn('access_rule_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_app_cred_access_rule_pk', [
        'application_credential_id',
        'access_rule_id',
      ])
      .execute()

    await db.schema
      .createTable('identity_policy')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('type', 'varchar(255)', (c) => c.notNull())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('identity_consumer')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('description', 'text')
      .addColumn('secret', 'varchar(64)', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()

    await db.schema
      .createTable('identity_trust')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('trustor_user_id', ID, (c) => c.notNull())
      .addColumn('trustee_user_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID)
      .addColumn('impersonation', 'integer', (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .addColumn('remaining_uses', 'integer')
      .addColumn('redelegated_trust_id', ID)
      .addColumn('redelegation_count', 'integer')
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('identity_trust_role')
      .addColumn('trust_id', ID, (c) => c.notNull())
      .addColumn('role_id', ID, (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_trust_role_pk', ['trust_id', 'role_id'])
      .execute()

    await db.schema
      .createTable('identity_domain_config')
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('group_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('option_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('sensitive', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('identity_domain_config_pk', ['domain_id', 'group_name', 'option_name'])
      .execute()
  },
  async down(db: Kysely<any>) {
    for (const t of [
      'identity_domain_config',
      'identity_trust_role',
      'identity_trust',
      'identity_consumer',
      'identity_policy',
      'identity_app_cred_access_rule',
      'identity_access_rule',
      'identity_app_cred_role',
      'identity_app_cred',
      'identity_credential',
      'identity_project_endpoint',
      'identity_project_endpoint_group',
      'identity_endpoint_group',
      'identity_endpoint',
      'identity_service',
      'identity_region',
      'identity_assignment',
      'identity_implied_role',
      'identity_role',
      'identity_membership',
      'identity_group',
      'identity_password',
      'identity_user',
      'identity_project_tag',
      'identity_project',
    ]) {
      await db.schema.dropTable(t).ifExists().execute()
    }
  },
}

/** The resource half's migrations, in order. */
export const resourceMigrations: NamedMigration[] = [
  resourcesMigration0100,
  unifiedLimitsMigration0110,
  federationMigration0120,
]
