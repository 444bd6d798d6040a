/**
 * Roles (global and domain-specific) and role inference rules (implied roles).
 */

import { ActionForbidden, ResourceConflict, ResourceNotFound, ValidationFailed } from '../errors.js'
import { NULL_DOMAIN_ID } from '../storage/schema.js'
import type { Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import { deleteApplicationCredentials } from './application-credentials.js'
import { newId, parseJson, type ResourceDeps, revoke } from './common.js'
import type { Projects } from './projects.js'

export interface Role {
  id: string
  name: string
  domain_id: string | null
  description: string | null
  options: Record<string, unknown>
  extra: Record<string, unknown>
}

/** Roles that may never be implied by another ([assignment] prohibited_implied_role). */
const PROHIBITED_IMPLIED = ['admin']

export function toRole(row: Row<'identity_role'>): Role {
  return {
    id: row.id,
    name: row.name,
    domain_id: row.domain_id === NULL_DOMAIN_ID ? null : row.domain_id,
    description: row.description,
    options: parseJson(row.options, {}),
    extra: parseJson(row.extra, {}),
  }
}

export class Roles {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  async find(id: string): Promise<Role | undefined> {
    const row = await this.repos.identity_role.get({ id })
    return row ? toRole(row) : undefined
  }

  async get(id: string): Promise<Role> {
    const r = await this.find(id)
    if (!r) throw new ResourceNotFound('role', id)
    return r
  }

  async findByName(name: string, domainId: string | null = null): Promise<Role | undefined> {
    const row = await this.repos.identity_role.get({ name, domain_id: domainId ?? NULL_DOMAIN_ID })
    return row ? toRole(row) : undefined
  }

  async byIds(ids: readonly string[]): Promise<Map<string, Role>> {
    const rows = await this.repos.identity_role.list({ id: [...new Set(ids)] })
    return new Map(rows.map((r) => [r.id, toRole(r)]))
  }

  async list(f: { name?: string; domain_id?: string | null }): Promise<Role[]> {
    const rows = await this.repos.identity_role.list(
      { name: f.name, domain_id: f.domain_id ?? NULL_DOMAIN_ID },
      { orderBy: 'name' },
    )
    return rows.map(toRole)
  }

  async create(input: {
    name: string
    domain_id?: string | null
    description?: string | null
    options?: Record<string, unknown>
    extra?: Record<string, unknown>
    id?: string
  }): Promise<Role> {
    if (input.domain_id) await this.projects.getDomain(input.domain_id)
    const id = input.id ?? newId()
    try {
      await this.repos.identity_role.insert({
        id,
        name: input.name,
        domain_id: input.domain_id ?? NULL_DOMAIN_ID,
        description: input.description ?? null,
        extra: JSON.stringify(input.extra ?? {}),
        options: JSON.stringify(input.options ?? {}),
      })
    } catch (e) {
      if (e instanceof DuplicateRow) {
        throw new ResourceConflict('role', `Duplicate entry found with name ${input.name}.`)
      }
      throw e
    }
    return this.get(id)
  }

  async update(
    id: string,
    patch: {
      name?: string
      description?: string | null
      domain_id?: string | null
      options?: Record<string, unknown>
      extra?: Record<string, unknown>
    },
  ): Promise<Role> {
    const cur = await this.get(id)
    if (cur.options.immutable === true && !(patch.options && patch.options.immutable === false)) {
      throw new ActionForbidden(`Cannot modify immutable role: ${id}.`)
    }
    if (patch.domain_id !== undefined && (patch.domain_id ?? null) !== cur.domain_id) {
      throw new ValidationFailed('Update of `domain_id` is not allowed.')
    }
    const set: Partial<Row<'identity_role'>> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.description !== undefined) set.description = patch.description
    if (patch.options !== undefined) set.options = JSON.stringify({ ...cur.options, ...patch.options })
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    try {
      await this.repos.identity_role.update({ id }, set)
    } catch (e) {
      if (e instanceof DuplicateRow)
        throw new ResourceConflict('role', `Duplicate entry found with name ${patch.name}.`)
      throw e
    }
    return this.get(id)
  }

  async delete(id: string): Promise<void> {
    const cur = await this.get(id)
    if (cur.options.immutable === true) throw new ActionForbidden(`Cannot delete immutable role: ${id}.`)
    await this.repos.transaction(async (tx) => {
      // NOTE: as Keystone, each user granted this role directly on a project loses the
      // application credentials they made on that project.
      for (const a of await tx.identity_assignment.list({ role_id: id, type: 'UserProject' })) {
        const creds = await tx.identity_app_cred.list({ user_id: a.actor_id, project_id: a.target_id })
        await deleteApplicationCredentials(
          tx,
          creds.map((c) => c.id),
        )
      }
      await tx.identity_assignment.delete({ role_id: id })
      await tx.identity_implied_role.delete({ prior_role_id: id })
      await tx.identity_implied_role.delete({ implied_role_id: id })
      await tx.identity_app_cred_role.delete({ role_id: id })
      await tx.identity_trust_role.delete({ role_id: id })
      await tx.identity_role.delete({ id })
    })
    await revoke(this.deps, { role_id: id })
  }

  // Implied roles
  async createImplied(priorId: string, impliedId: string): Promise<{ prior: Role; implied: Role }> {
    const prior = await this.get(priorId)
    const implied = await this.get(impliedId)
    if (PROHIBITED_IMPLIED.includes(implied.name) && implied.domain_id === null) {
      throw new ActionForbidden(`${impliedId} cannot be an implied roles.`)
    }
    if (prior.domain_id === null && implied.domain_id !== null) {
      throw new ActionForbidden('Global role cannot imply a domain-specific role.')
    }
    await this.repos.identity_implied_role.insertIgnoringDuplicate({
      prior_role_id: priorId,
      implied_role_id: impliedId,
    })
    return { prior, implied }
  }

  async getImplied(priorId: string, impliedId: string): Promise<{ prior: Role; implied: Role }> {
    const prior = await this.get(priorId)
    const implied = await this.get(impliedId)
    const rule = await this.repos.identity_implied_role.get({
      prior_role_id: priorId,
      implied_role_id: impliedId,
    })
    if (!rule) throw new ResourceNotFound('implied role', `${priorId} implies ${impliedId}`)
    return { prior, implied }
  }

  async deleteImplied(priorId: string, impliedId: string): Promise<void> {
    await this.getImplied(priorId, impliedId)
    await this.repos.identity_implied_role.delete({ prior_role_id: priorId, implied_role_id: impliedId })
    await revoke(this.deps, { role_id: priorId })
  }

  async listImplied(priorId: string): Promise<{ prior: Role; implies: Role[] }> {
    const prior = await this.get(priorId)
    const rows = await this.repos.identity_implied_role.list({ prior_role_id: priorId })
    const roles = await this.byIds(rows.map((r) => r.implied_role_id))
    return { prior, implies: [...roles.values()] }
  }

  async listInferences(): Promise<Array<{ prior: Role; implies: Role[] }>> {
    const rows = await this.repos.identity_implied_role.list()
    const roles = await this.byIds(rows.flatMap((r) => [r.prior_role_id, r.implied_role_id]))
    const by = new Map<string, Role[]>()
    for (const r of rows) {
      const implied = roles.get(r.implied_role_id)
      if (implied) by.set(r.prior_role_id, [...(by.get(r.prior_role_id) ?? []), implied])
    }
    return [...by.entries()].flatMap(([prior, implies]) => {
      const p = roles.get(prior)
      return p ? [{ prior: p, implies }] : []
    })
  }

  /** The inference graph: prior role id -> directly implied role ids. */
  async inferenceGraph(): Promise<Map<string, string[]>> {
    const g = new Map<string, string[]>()
    for (const r of await this.repos.identity_implied_role.list()) {
      g.set(r.prior_role_id, [...(g.get(r.prior_role_id) ?? []), r.implied_role_id])
    }
    return g
  }
}

/** Every role implied by `roleId`, transitively, with the prior that implied it (not including itself). */
export function impliedClosure(
  graph: Map<string, string[]>,
  roleId: string,
): Array<{ id: string; prior: string }> {
  const out: Array<{ id: string; prior: string }> = []
  const seen = new Set([roleId])
  const queue = [roleId]
  while (queue.length > 0) {
    const cur = queue.shift()!
    for (const next of graph.get(cur) ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      out.push({ id: next, prior: cur })
      queue.push(next)
    }
  }
  return out
}
