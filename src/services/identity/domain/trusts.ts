/**
 * OS-TRUST: a trustor delegates some of their roles on a project to a trustee,
 * optionally impersonated, until an expiry or a number of uses. Trust-scoped tokens
 * are issued by the auth half.
 */

import { ActionForbidden, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import type { Assignments } from './assignments.js'
import { fromBool, newId, nowIso, parseJson, parseTime, type ResourceDeps, revoke, toBool } from './common.js'
import type { Projects } from './projects.js'
import type { Role, Roles } from './roles.js'
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
  allow_redelegation: boolean
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
  allow_redelegation?: boolean
  redelegation_count?: number | null
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

  private async view(row: Row<'identity_trust'>): Promise<Trust> {
    const roleRows = await this.repos.identity_trust_role.list({ trust_id: row.id })
    const roles = await this.roles.byIds(roleRows.map((r) => r.role_id))
    const extra = parseJson<{ allow_redelegation?: boolean }>(row.extra, {})
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
      allow_redelegation: extra.allow_redelegation === true,
      roles: [...roles.values()],
    }
  }

  private live(row: Row<'identity_trust'>): boolean {
    return !row.expires_at || Date.parse(row.expires_at) > Date.now()
  }

  async get(id: string): Promise<Trust> {
    const row = await this.repos.identity_trust.get({ id })
    if (!row || !this.live(row)) throw new ResourceNotFound('trust', id)
    return this.view(row)
  }

  async list(f: { trustor_user_id?: string; trustee_user_id?: string }): Promise<Trust[]> {
    const rows = await this.repos.identity_trust.list(f, { orderBy: 'created_at' })
    return Promise.all(rows.filter((r) => this.live(r)).map((r) => this.view(r)))
  }

  async create(input: TrustInput): Promise<Trust> {
    const expires = input.expires_at ? parseTime(input.expires_at, 'expires_at') : null
    await this.users.get(input.trustor_user_id)
    await this.users.get(input.trustee_user_id)
    if (input.remaining_uses !== undefined && input.remaining_uses !== null && input.remaining_uses <= 0) {
      throw new ValidationFailed(
        "Invalid input for field 'remaining_uses': must be a positive integer or null.",
      )
    }
    const roles: Role[] = []
    if (input.project_id) {
      await this.projects.get(input.project_id)
      const held = await this.assignments.effectiveRoles(input.trustor_user_id, {
        projectId: input.project_id,
      })
      for (const ref of input.roles ?? []) {
        const r = ref.id ? await this.roles.find(ref.id) : await this.roles.findByName(ref.name ?? '')
        if (!r) throw new ResourceNotFound('role', ref.id ?? ref.name ?? '')
        if (!held.some((h) => h.id === r.id)) {
          throw new ActionForbidden(`The trustor does not hold role ${r.id} on project ${input.project_id}.`)
        }
        roles.push(r)
      }
    } else if ((input.roles ?? []).length > 0) {
      throw new ValidationFailed('A trust with roles must name a project.')
    }
    const id = newId()
    await this.repos.transaction(async (tx) => {
      await tx.identity_trust.insert({
        id,
        trustor_user_id: input.trustor_user_id,
        trustee_user_id: input.trustee_user_id,
        project_id: input.project_id ?? null,
        impersonation: fromBool(input.impersonation),
        expires_at: expires,
        remaining_uses: input.remaining_uses ?? null,
        redelegated_trust_id: null,
        redelegation_count: input.allow_redelegation ? (input.redelegation_count ?? 3) : null,
        created_at: nowIso(),
        extra: JSON.stringify({ allow_redelegation: input.allow_redelegation === true }),
      })
      for (const r of new Set(roles.map((x) => x.id)))
        await tx.identity_trust_role.insert({ trust_id: id, role_id: r })
    })
    return this.get(id)
  }

  async delete(id: string): Promise<void> {
    const t = await this.get(id)
    await this.repos.transaction(async (tx) => {
      await tx.identity_trust_role.delete({ trust_id: id })
      await tx.identity_trust.delete({ id })
    })
    await revoke(this.deps, { user_id: t.trustee_user_id, audit_chain_id: id })
  }

  async getRole(id: string, roleId: string): Promise<Role> {
    const t = await this.get(id)
    const r = t.roles.find((x) => x.id === roleId)
    if (!r) throw new ResourceNotFound('role', roleId)
    return r
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
