/**
 * Auth tables: JWS public keys and revocation events. Portable across SQLite,
 * PostgreSQL and MariaDB (varchar lengths on indexed columns; BIGINT epoch ms).
 */
import { type Kysely, PostgresAdapter, sql } from 'kysely'
import type { NamedMigration } from '../../../../kernel/db/index.js'
import { auth0510DelegationEvents } from './auth-0510-delegation-events.js'

export const auth0500Tokens: NamedMigration = {
  name: '0500_auth_tokens',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('token_signing_key')
      .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute()

    // NOTE: an auto-incremented id lets every process notice new events with a cheap
    // `max(id), count(*)` query; PostgreSQL spells auto-increment as a type.
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter
    await db.schema
      .createTable('revocation_event')
      .addColumn('id', postgres ? sql`bigserial` : 'integer', (c) =>
        postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('user_id', 'varchar(64)')
      .addColumn('project_id', 'varchar(64)')
      .addColumn('domain_id', 'varchar(64)')
      .addColumn('role_id', 'varchar(64)')
      .addColumn('audit_id', 'varchar(64)')
      .addColumn('audit_chain_id', 'varchar(64)')
      .addColumn('issued_before', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint', (c) => c.notNull())
      .execute()
    await db.schema
      .createIndex('ix_revocation_event_revoked_at')
      .on('revocation_event')
      .column('revoked_at')
      .execute()
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('revocation_event').execute()
    await db.schema.dropTable('token_signing_key').execute()
  },
}

/** The auth half's migrations, in order. */
export const authMigrations: NamedMigration[] = [auth0500Tokens, auth0510DelegationEvents]
