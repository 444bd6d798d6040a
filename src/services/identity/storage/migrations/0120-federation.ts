/**
 * OS-FEDERATION (identity providers and their remote ids, mappings, protocols, service
 * providers, the shadow users federated logins create), OS-OAUTH1 request and access
 * tokens, and OS-ENDPOINT-POLICY associations.
 *
 * Association keys fold the nullable endpoint / service / region into one NOT NULL
 * key column, so a unique key works the same on every dialect.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

const ID = 'varchar(64)'

export const federationMigration0120: NamedMigration = {
  name: '0120_identity_federation_oauth1_endpoint_policy',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('identity_idp')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('domain_id', ID, (c) => c.notNull())
      .addColumn('authorization_ttl', 'integer')
      .execute()
    await db.schema
      .createTable('identity_idp_remote_id')
      .addColumn('remote_id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('idp_id', 'varchar(255)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('identity_mapping')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('schema_version', 'varchar(5)', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('identity_federation_protocol')
      .addColumn('id', 'varchar(255)', (c) => c.notNull())
      .addColumn('idp_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('mapping_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('remote_id_attribute', 'varchar(64)')
      .addPrimaryKeyConstraint('identity_federation_protocol_pk', ['idp_id', 'id'])
      .execute()
    await db.schema
      .createTable('identity_service_provider')
      .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('auth_url', 'varchar(256)', (c) => c.notNull())
      .addColumn('sp_url', 'varchar(256)', (c) => c.notNull())
      .addColumn('relay_state_prefix', 'varchar(256)')
      .execute()
    await db.schema
      .createTable('identity_federated_user')
      .addColumn('user_id', ID, (c) => c.notNull())
      .addColumn('idp_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('protocol_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('unique_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('display_name', 'varchar(255)')
      .addColumn('group_ids', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_federated_user_pk', ['idp_id', 'protocol_id', 'unique_id'])
      .execute()
    await db.schema
      .createIndex('identity_federated_user_user')
      .on('identity_federated_user')
      .column('user_id')
      .execute()

    await db.schema
      .createTable('identity_oauth_request_token')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('secret', 'varchar(64)', (c) => c.notNull())
      .addColumn('consumer_id', ID, (c) => c.notNull())
      .addColumn('requested_project_id', ID, (c) => c.notNull())
      .addColumn('role_ids', 'text')
      .addColumn('verifier', 'varchar(64)')
      .addColumn('authorizing_user_id', ID)
      .addColumn('expires_at', 'varchar(32)')
      .execute()
    await db.schema
      .createTable('identity_oauth_access_token')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('secret', 'varchar(64)', (c) => c.notNull())
      .addColumn('consumer_id', ID, (c) => c.notNull())
      .addColumn('project_id', ID, (c) => c.notNull())
      .addColumn('role_ids', 'text', (c) => c.notNull())
      .addColumn('authorizing_user_id', ID, (c) => c.notNull())
      .addColumn('expires_at', 'varchar(32)')
      .execute()
    await db.schema
      .createIndex('identity_oauth_access_token_user')
      .on('identity_oauth_access_token')
      .column('authorizing_user_id')
      .execute()

    await db.schema
      .createTable('identity_policy_association')
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('policy_id', ID, (c) => c.notNull())
      .addColumn('endpoint_id', ID)
      .addColumn('service_id', ID)
      .addColumn('region_id', 'varchar(255)')
      .addColumn('target_key', 'varchar(600)', (c) => c.notNull())
      .addUniqueConstraint('identity_policy_association_key', ['target_key'])
      .execute()
  },
  async down(db: Kysely<unknown>) {
    for (const t of [
      'identity_policy_association',
      'identity_oauth_access_token',
      'identity_oauth_request_token',
      'identity_federated_user',
      'identity_service_provider',
      'identity_federation_protocol',
      'identity_mapping',
      'identity_idp_remote_id',
      'identity_idp',
    ]) {
      await db.schema.dropTable(t).ifExists().execute()
    }
  },
}
