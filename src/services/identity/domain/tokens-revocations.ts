/**
 * Revocation events, Keystone style: a token dies when every field an event sets
 * matches it and it was issued at or before the event's `issued_before`.
 *
 * Every process holds all events in memory and checks them without touching the
 * database. It re-reads the table when a cheap `max(id), count(*)` stamp changes; the
 * stamp is polled at most once a second, and right after this process writes one.
 */

import type { StoredRevocationEvent, TokenRevocationsRepo } from '../storage/token-revocations.repo.js'
import type { RevocationEvent, RevocationSink } from './ports.js'
import type { TokenModel } from './tokens-model.js'

const POLL_INTERVAL_MS = 1000

export interface RevocationListOptions {
  repo: TokenRevocationsRepo
  /** Longest time a token may still validate (expiration + allow_expired_window), ms. */
  maxTokenLifeMs: number
  now?: () => number
}

export class RevocationList implements RevocationSink {
  /** audit_id -> latest issued_before, for events that set nothing else (the common case: DELETE /v3/auth/tokens). */
  private byAuditId = new Map<string, number>()
  private others: StoredRevocationEvent[] = []
  private stamp: string | undefined
  private lastPoll = 0
  private polling: Promise<void> | undefined
  private readonly now: () => number

  constructor(private readonly opts: RevocationListOptions) {
    this.now = opts.now ?? Date.now
  }

  async record(event: RevocationEvent): Promise<void> {
    const issuedBefore = Date.parse(event.issued_before)
    if (Number.isNaN(issuedBefore))
      throw new Error(`revocation event with a bad issued_before: ${event.issued_before}`)
    await this.opts.repo.add({
      user_id: event.user_id ?? null,
      project_id: event.project_id ?? null,
      domain_id: event.domain_id ?? null,
      role_id: event.role_id ?? null,
      audit_id: event.audit_id ?? null,
      audit_chain_id: event.audit_chain_id ?? null,
      trust_id: event.trust_id ?? null,
      application_credential_id: event.application_credential_id ?? null,
      issuedBefore,
      revokedAt: Math.max(this.now(), issuedBefore),
    })
    await this.refresh(true)
  }

  /** Reloads if the table changed; with `force`, whatever the time since the last poll. */
  async refresh(force = false): Promise<void> {
    if (!force && this.now() - this.lastPoll < POLL_INTERVAL_MS) return
    if (this.polling) {
      await this.polling
      if (!force) return
    }
    this.polling = this.poll()
    try {
      await this.polling
    } finally {
      this.polling = undefined
    }
  }

  /** Deletes events older than any token that could still validate. */
  async prune(): Promise<number> {
    const n = await this.opts.repo.pruneRevokedBefore(this.now() - this.opts.maxTokenLifeMs)
    if (n > 0) await this.refresh(true)
    return n
  }

  isRevoked(token: TokenModel): boolean {
    const c = token.claims
    const auditId = c.audit_ids[0]
    if (auditId !== undefined) {
      const before = this.byAuditId.get(auditId)
      if (before !== undefined && token.issuedAtMs <= before) return true
    }
    for (const e of this.others) if (matches(e, token)) return true
    return false
  }

  get size(): number {
    return this.byAuditId.size + this.others.length
  }

  private async poll(): Promise<void> {
    const stamp = await this.opts.repo.stamp()
    this.lastPoll = this.now()
    if (stamp === this.stamp) return
    const events = await this.opts.repo.list()
    const byAuditId = new Map<string, number>()
    const others: StoredRevocationEvent[] = []
    for (const e of events) {
      const auditOnly =
        e.audit_id !== null &&
        !e.user_id &&
        !e.project_id &&
        !e.domain_id &&
        !e.role_id &&
        !e.audit_chain_id &&
        !e.trust_id &&
        !e.application_credential_id
      if (auditOnly) byAuditId.set(e.audit_id!, Math.max(byAuditId.get(e.audit_id!) ?? 0, e.issuedBefore))
      else others.push(e)
    }
    this.byAuditId = byAuditId
    this.others = others
    this.stamp = stamp
  }
}

function matches(e: StoredRevocationEvent, token: TokenModel): boolean {
  if (token.issuedAtMs > e.issuedBefore) return false
  const c = token.claims
  if (
    e.user_id &&
    e.user_id !== c.sub &&
    e.user_id !== c.trust?.trustor_user_id &&
    e.user_id !== c.trust?.trustee_user_id
  ) {
    return false
  }
  if (e.project_id && e.project_id !== c.project?.id) return false
  if (
    e.domain_id &&
    e.domain_id !== c.domain?.id &&
    e.domain_id !== c.user.domain.id &&
    e.domain_id !== c.project?.domain.id
  ) {
    return false
  }
  if (e.role_id && !(c.roles ?? []).some((r) => r.id === e.role_id)) return false
  if (e.audit_id && e.audit_id !== c.audit_ids[0]) return false
  if (e.audit_chain_id && e.audit_chain_id !== (c.audit_ids[1] ?? c.audit_ids[0])) return false
  if (e.trust_id && e.trust_id !== c.trust?.id) return false
  if (e.application_credential_id && e.application_credential_id !== c.application_credential?.id) {
    return false
  }
  return true
}
