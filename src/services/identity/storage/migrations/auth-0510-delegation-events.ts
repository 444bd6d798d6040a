/**
 * Revocation events that name a delegation: `trust_id` (as Keystone's events) and
 * `application_credential_id`, so deleting a trust or an application credential ends
 * exactly the tokens issued through it.
 */
import type { Kysely } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'

export const auth0510DelegationEvents: NamedMigration = {
  name: '0510_auth_delegation_events',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('revocation_event').addColumn('trust_id', 'varchar(64)').execute()
    await db.schema
      .alterTable('revocation_event')
      .addColumn('application_credential_id', 'varchar(64)')
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('revocation_event').dropColumn('application_credential_id').execute()
    await db.schema.alterTable('revocation_event').dropColumn('trust_id').execute()
  },
}
