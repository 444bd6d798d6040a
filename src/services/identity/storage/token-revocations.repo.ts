/**
 * Revocation events. Every process keeps them all in memory; `stamp()` is the cheap
 * query that tells whether the table changed since the last load.
 */
import type { Kysely } from 'kysely'
import type { TokenDB } from './token-schema.js'

export interface StoredRevocationEvent {
  id: number
  user_id: string | null
  project_id: string | null
  domain_id: string | null
  role_id: string | null
  audit_id: string | null
  audit_chain_id: string | null
  trust_id: string | null
  application_credential_id: string | null
  issuedBefore: number
  revokedAt: number
}

export type NewRevocationEvent = Omit<StoredRevocationEvent, 'id'>

export class TokenRevocationsRepo {
  constructor(private readonly db: Kysely<TokenDB>) {}

  async add(event: NewRevocationEvent): Promise<void> {
    await this.db
      .insertInto('revocation_event')
      .values({
        user_id: event.user_id,
        project_id: event.project_id,
        domain_id: event.domain_id,
        role_id: event.role_id,
        audit_id: event.audit_id,
        audit_chain_id: event.audit_chain_id,
        trust_id: event.trust_id,
        application_credential_id: event.application_credential_id,
        issued_before: event.issuedBefore,
        revoked_at: event.revokedAt,
      })
      .execute()
  }

  /** `max(id)` and `count(*)`: changes whenever an event is added or pruned. */
  async stamp(): Promise<string> {
    const row = await this.db
      .selectFrom('revocation_event')
      .select((eb) => [eb.fn.max('id').as('max_id'), eb.fn.countAll().as('n')])
      .executeTakeFirst()
    return `${row?.max_id ?? 0}:${row?.n ?? 0}`
  }

  async list(): Promise<StoredRevocationEvent[]> {
    const rows = await this.db.selectFrom('revocation_event').selectAll().orderBy('id').execute()
    return rows.map((r) => ({
      id: Number(r.id),
      user_id: r.user_id,
      project_id: r.project_id,
      domain_id: r.domain_id,
      role_id: r.role_id,
      audit_id: r.audit_id,
      audit_chain_id: r.audit_chain_id,
      trust_id: r.trust_id ?? null,
      application_credential_id: r.application_credential_id ?? null,
      issuedBefore: Number(r.issued_before),
      revokedAt: Number(r.revoked_at),
    }))
  }

  /** Events older than any token that could still validate are useless. */
  async pruneRevokedBefore(cutoff: number): Promise<number> {
    const res = await this.db
      .deleteFrom('revocation_event')
      .where('revoked_at', '<', cutoff)
      .executeTakeFirst()
    return Number(res.numDeletedRows ?? 0)
  }
}
