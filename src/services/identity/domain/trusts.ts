/**
 * OS-TRUST: a trustor delegates some of their roles on a project to a trustee,
 * optionally impersonated, until an expiry or a number of uses. A trust-scoped token
 * may create a further trust from its trust (redelegation), within the limits the
 * chain allows:
 *
 *   trustor ──T1 (allow_redelegation, count 3)──▶ A ──T2 (count 2, redelegated_trust_id T1)──▶ B ...
 *
 * each link no wider than its parent (roles, expiry, impersonation), no use count,
 * and no deeper than `[trust] max_redelegation_count`. Deleting a trust deletes what
 * was redelegated from it. Trust-scoped tokens are issued by the auth half.
 */

import { ActionForbidden, notAuthorized, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Repos, Row } from '../storage/table.repo.js'
import type { Assignments } from './assignments.js'
import { fromBool, newId, nowIso, parseTime, type ResourceDeps, revoke, toBool } from './common.js'
import type { Projects } from './projects.js'
import { impliedClosure, type Role, type Roles } from './roles.js'
import type { Users } from './users.js'

export interface Trust {
  id: string
  trustor_user_id: string
  trustee_user_id: string
  project_id: string | null
  impersonation: boolean
  expires_at: string | null
  remaining_uses: number | null
  redelegated_trust_id: string | null
  redelegation_count: number | null
  roles: Role[]
}

export interface TrustInput {
  trustor_user_id: string
  trustee_user_id: string
  impersonation: boolean
  project_id?: string | null
  roles?: Array<{ id?: string; name?: string }>
  expires_at?: string | null
  remaining_uses?: number | null
  allow_redelegation?: boolean | null
  redelegation_count?: number | null
}

/** What the caller's token says about delegation (policy checks are the handler's). */
export interface TrustCaller {
  /** Set when the token came from an application credential. */
  application_credential_id?: string | undefined
  /** Set when the token is trust-scoped: a new trust redelegates this one. */
  trust_id?: string | undefined
}

/** A trust as token issue needs it: the roles a token gets and whose roles back them. */
export interface EffectiveTrust extends Trust {
  /** Delegated roles plus the roles they imply (global roles only). */
  effectiveRoles: Role[]
  /** The trustor at the root of a redelegation chain, whose roles back every link. */
  rootTrustorId: string
}

export class Trusts {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly users: Users,
    private readonly roles: Roles,
    private readonly assignments: Assignments,
    private readonly projects: Projects,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  private get maxRedelegation(): number {
    return this.deps.config.trust.max_redelegation_count
  }

  private async view(row: Row<'identity_trust'>): Promise<Trust> {
    const roleRows = await this.repos.identity_trust_role.list({ trust_id: row.id })
    const roles = await this.roles.byIds(roleRows.map((r) => r.role_id))
    return {
      id: row.id,
      trustor_user_id: row.trustor_user_id,
      trustee_user_id: row.trustee_user_id,
      project_id: row.project_id,
      impersonation: toBool(row.impersonation),
      expires_at: row.expires_at,
      remaining_uses: row.remaining_uses,
      redelegated_trust_id: row.redelegated_trust_id,
      redelegation_count: row.redelegation_count,
      roles: [...roles.values()],
    }
  }

  private live(row: Row<'identity_trust'>): boolean {
    return !row.expires_at || Date.parse(row.expires_at) > Date.now()
  }

  /**
   * Application credentials are bound to one project; letting their tokens manage
   * trusts would let a leaked credential mint delegations that outlive it (the attack
   * in issue 11). As Keystone since 2026.1, no application credential token manages
   * trusts; `[security_compliance] allow_insecure_application_credential_trust_escalation`
   * restores the older rule, under which unrestricted ones may.
   */
  private async guard(caller: TrustCaller | undefined): Promise<void> {
    const acId = caller?.application_credential_id
    if (!acId) return
    if (this.deps.config.security_compliance.allow_insecure_application_credential_trust_escalation) {
      const ac = await this.repos.identity_app_cred.get({ id: acId })
      if (ac && toBool(ac.unrestricted)) return
    }
    throw new ActionForbidden(
      notAuthorized("Using method 'application_credential' is not allowed for managing trusts."),
    )
  }

  async get(id: string, caller?: TrustCaller): Promise<Trust> {
    await this.guard(caller)
    const row = await this.repos.identity_trust.get({ id })
    if (!row || !this.live(row)) throw new ResourceNotFound('trust', id)
    return this.view(row)
  }

  async list(
    f: { trustor_user_id?: string | undefined; trustee_user_id?: string | undefined },
    caller?: TrustCaller,
  ): Promise<Trust[]> {
    await this.guard(caller)
    const rows = await this.repos.identity_trust.list(f, { orderBy: 'created_at' })
    return Promise.all(rows.filter((r) => this.live(r)).map((r) => this.view(r)))
  }

  async create(input: TrustInput, caller?: TrustCaller): Promise<Trust> {
    await this.guard(caller)
    if (input.project_id && (input.roles ?? []).length === 0) {
      throw new ActionForbidden(notAuthorized('At least one role should be specified.'))
    }
    let expires = input.expires_at ? parseTime(input.expires_at, 'expires_at') : null
    await this.users.get(input.trustor_user_id)
    await this.users.get(input.trustee_user_id)
    const roles = await this.requestedRoles(input)

    // Redelegation depth, as Keystone: a trust that may not be redelegated has 0.
    const max = this.maxRedelegation
    const requested = input.redelegation_count ?? undefined
    const redelegatable = input.allow_redelegation === true && requested !== 0
    const remainingUses = input.remaining_uses ?? null
    let count: number | undefined
    if (!redelegatable) {
      count = 0
      if (remainingUses !== null && remainingUses <= 0) {
        throw new ValidationFailed('remaining_uses must be a positive integer or null.')
      }
    } else {
      if (requested !== undefined && requested > max) {
        throw new ActionForbidden(
          `Requested redelegation depth of ${requested} is greater than allowed ${max}`,
        )
      }
      if (remainingUses !== null) {
        throw new ValidationFailed('remaining_uses must not be set if redelegation is allowed')
      }
      count = requested
    }

    let parent: Trust | undefined
    if (caller?.trust_id) {
      parent = await this.get(caller.trust_id)
      const remaining = (parent.redelegation_count ?? 0) - 1
      if (redelegatable && requested && requested !== remaining) {
        throw new ActionForbidden(
          'Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.',
        )
      }
      count ??= remaining
      const child = { ...input, remaining_uses: remainingUses, expires_at: expires, roles }
      for (const link of await this.pedigree(parent)) {
        expires = this.checkRedelegation(link, child)
        child.expires_at = expires
      }
    }
    count ??= max

    const id = newId()
    await this.repos.transaction(async (tx) => {
      await tx.identity_trust.insert({
        id,
        trustor_user_id: input.trustor_user_id,
        trustee_user_id: input.trustee_user_id,
        project_id: input.project_id ?? null,
        impersonation: fromBool(input.impersonation),
        expires_at: expires,
        remaining_uses: remainingUses,
        redelegated_trust_id: parent?.id ?? null,
        redelegation_count: count ?? 0,
        created_at: nowIso(),
        extra: '{}',
      })
      for (const r of new Set(roles.map((x) => x.id))) {
        await tx.identity_trust_role.insert({ trust_id: id, role_id: r })
      }
    })
    return this.get(id)
  }

  /** The roles a new trust names, each held by the trustor on the project (404 otherwise, as Keystone). */
  private async requestedRoles(input: TrustInput): Promise<Role[]> {
    if (!input.project_id) {
      if ((input.roles ?? []).length > 0)
        throw new ValidationFailed('A trust with roles must name a project.')
      return []
    }
    await this.projects.get(input.project_id)
    const held = await this.assignments.effectiveRoles(input.trustor_user_id, { projectId: input.project_id })
    const roles: Role[] = []
    for (const ref of input.roles ?? []) {
      const r = ref.id ? await this.roles.find(ref.id) : await this.roles.findByName(ref.name ?? '')
      if (!r || !held.some((h) => h.id === r.id)) throw new ResourceNotFound('role', ref.id ?? ref.name ?? '')
      roles.push(r)
    }
    return roles
  }

  /** A trust and every trust it was redelegated from, nearest first. */
  private async pedigree(trust: Trust): Promise<Trust[]> {
    const chain = [trust]
    const seen = new Set([trust.id])
    let cur = trust
    while (cur.redelegated_trust_id) {
      if (seen.has(cur.redelegated_trust_id)) break
      const row = await this.repos.identity_trust.get({ id: cur.redelegated_trust_id })
      if (!row || !this.live(row)) throw new ResourceNotFound('trust', cur.redelegated_trust_id)
      cur = await this.view(row)
      seen.add(cur.id)
      chain.push(cur)
    }
    return chain
  }

  /**
   * Keystone's rules for a link of a chain: the parent still has depth left, the child
   * has no use count, expires no later, delegates no other role and impersonates only
   * if the parent does. Returns the child's expiry (the parent's when it named none).
   */
  private checkRedelegation(
    parent: Trust,
    child: {
      remaining_uses: number | null
      expires_at: string | null
      roles: Role[]
      impersonation: boolean
    },
  ): string | null {
    const max = this.maxRedelegation
    const depth = parent.redelegation_count ?? 0
    if (!(depth > 0 && depth <= max)) {
      throw new ActionForbidden(
        `Remaining redelegation depth of ${depth} out of allowed range of [0..${max}]`,
      )
    }
    if (child.remaining_uses !== null) {
      throw new ActionForbidden(
        `Field "remaining_uses" is set to ${child.remaining_uses} while it must not be set in order to redelegate a trust`,
      )
    }
    let expires = child.expires_at
    if (expires && parent.expires_at) {
      if (Date.parse(parent.expires_at) < Date.parse(expires)) {
        throw new ActionForbidden('Requested expiration time is more than redelegated trust can provide')
      }
    } else if (!expires) {
      expires = parent.expires_at
    }
    const parentRoles = new Set(parent.roles.map((r) => r.id))
    if (!child.roles.every((r) => parentRoles.has(r.id))) {
      throw new ActionForbidden('Some of requested roles are not in redelegated trust')
    }
    if (!parent.impersonation && child.impersonation) {
      throw new ActionForbidden(
        `Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${parent.id}`,
      )
    }
    return expires
  }

  async delete(id: string, caller?: TrustCaller): Promise<void> {
    const t = await this.get(id, caller)
    const deleted = await this.repos.transaction((tx) =>
      deleteTrusts(tx, [{ id: t.id, trustor_user_id: t.trustor_user_id }]),
    )
    for (const d of deleted) await revoke(this.deps, { trust_id: d })
  }

  async getRole(id: string, roleId: string, caller?: TrustCaller): Promise<Role> {
    const t = await this.get(id, caller)
    const r = t.roles.find((x) => x.id === roleId)
    if (!r) throw new ResourceNotFound('role', roleId)
    return r
  }

  /**
   * For token issue: the trust with its effective roles, after checking the whole
   * chain it was redelegated from (every link valid, every trustee in it enabled).
   */
  async effective(id: string): Promise<EffectiveTrust> {
    const trust = await this.get(id)
    const chain = await this.pedigree(trust)
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i]!
      this.checkRedelegation(parent, { ...chain[i - 1]!, remaining_uses: chain[i - 1]!.remaining_uses })
      const trustee = await this.users.find(parent.trustee_user_id)
      if (!trustee?.enabled) throw new ActionForbidden('One of the trust agents is disabled or deleted')
    }
    const graph = await this.roles.inferenceGraph()
    const ids = new Set(trust.roles.map((r) => r.id))
    for (const r of trust.roles) for (const imp of impliedClosure(graph, r.id)) ids.add(imp.id)
    const all = await this.roles.byIds([...ids])
    return {
      ...trust,
      effectiveRoles: [...all.values()].filter((r) => r.domain_id === null),
      rootTrustorId: chain.at(-1)!.trustor_user_id,
    }
  }

  /** Consumes one use of a trust with remaining_uses (for the auth half). */
  async consume(id: string): Promise<void> {
    const row = await this.repos.identity_trust.get({ id })
    if (!row || !this.live(row)) throw new ResourceNotFound('trust', id)
    if (row.remaining_uses === null) return
    if (row.remaining_uses <= 0) throw new ActionForbidden(`Trust ${id} has no remaining uses.`)
    await this.repos.identity_trust.update(
      { id, remaining_uses: row.remaining_uses },
      { remaining_uses: row.remaining_uses - 1 },
    )
  }
}

/**
 * Deletes trusts and, recursively, the trusts redelegated from them, inside the
 * caller's transaction; returns every id deleted, for the revocation events the caller
 * records once the transaction is done. Used on trust, user and project deletion.
 */
export async function deleteTrusts(
  tx: Repos,
  trusts: ReadonlyArray<Pick<Row<'identity_trust'>, 'id' | 'trustor_user_id'>>,
): Promise<string[]> {
  const deleted: string[] = []
  const queue = [...trusts]
  const seen = new Set<string>()
  while (queue.length > 0) {
    const t = queue.shift()!
    if (seen.has(t.id)) continue
    seen.add(t.id)
    queue.push(...(await tx.identity_trust.list({ redelegated_trust_id: t.id })))
    await tx.identity_trust_role.delete({ trust_id: t.id })
    if ((await tx.identity_trust.delete({ id: t.id })) > 0) deleted.push(t.id)
  }
  return deleted
}
