/**
 * Domains and projects. Keystone stores a domain as a project with `is_domain` set;
 * so do we: one table, one hierarchy (domain -> project -> sub-project ...), one place
 * for names, tags and the enabled flag.
 */

import { ActionForbidden, ResourceNotFound, ValidationFailed } from '../errors.js'
import { ROOT_DOMAIN_ID } from '../storage/schema.js'
import type { Repos, Row } from '../storage/table.repo.js'
import { deleteApplicationCredentials } from './application-credentials.js'
import { fromBool, newId, parseJson, type ResourceDeps, revoke, toBool, uniqueName } from './common.js'
import { deleteTrusts } from './trusts.js'

export interface Project {
  id: string
  name: string
  /** null for domains. */
  domain_id: string | null
  parent_id: string | null
  is_domain: boolean
  enabled: boolean
  description: string
  tags: string[]
  options: Record<string, unknown>
  extra: Record<string, unknown>
}

export type Domain = Project

export function toProject(row: Row<'identity_project'>, tags: string[] = []): Project {
  const extra = parseJson<Record<string, unknown>>(row.extra, {})
  const { options, ...rest } = extra as { options?: Record<string, unknown> }
  return {
    id: row.id,
    name: row.name,
    domain_id: row.domain_id === ROOT_DOMAIN_ID ? null : row.domain_id,
    parent_id: row.parent_id,
    is_domain: toBool(row.is_domain),
    enabled: toBool(row.enabled),
    description: row.description ?? '',
    tags,
    options: options ?? {},
    extra: rest,
  }
}

export interface ProjectFilters {
  name?: string
  domain_id?: string
  parent_id?: string
  enabled?: boolean
  is_domain?: boolean
  ids?: string[]
  tags?: string[]
  tagsAny?: string[]
  notTags?: string[]
  notTagsAny?: string[]
}

export class Projects {
  constructor(private readonly deps: ResourceDeps) {}

  private get repos(): Repos {
    return this.deps.repos
  }

  private async withTags(rows: Row<'identity_project'>[]): Promise<Project[]> {
    if (rows.length === 0) return []
    const tags = await this.repos.identity_project_tag.list(
      { project_id: rows.map((r) => r.id) },
      { orderBy: 'name' },
    )
    const by = new Map<string, string[]>()
    for (const t of tags) by.set(t.project_id, [...(by.get(t.project_id) ?? []), t.name])
    return rows.map((r) => toProject(r, by.get(r.id) ?? []))
  }

  async find(id: string): Promise<Project | undefined> {
    const row = await this.repos.identity_project.get({ id })
    return row ? (await this.withTags([row]))[0] : undefined
  }

  async get(id: string): Promise<Project> {
    const p = await this.find(id)
    if (!p || p.is_domain) throw new ResourceNotFound('project', id)
    return p
  }

  /** A project or a domain acting as a project (is_domain). */
  async getAny(id: string): Promise<Project> {
    const p = await this.find(id)
    if (!p) throw new ResourceNotFound('project', id)
    return p
  }

  async getDomain(id: string): Promise<Domain> {
    const p = await this.find(id)
    if (!p || !p.is_domain) throw new ResourceNotFound('domain', id)
    return p
  }

  async findDomainByName(name: string): Promise<Domain | undefined> {
    const row = await this.repos.identity_project.get({ domain_id: ROOT_DOMAIN_ID, name })
    return row ? toProject(row) : undefined
  }

  async findByName(name: string, domainId: string): Promise<Project | undefined> {
    const row = await this.repos.identity_project.get({ domain_id: domainId, name, is_domain: 0 })
    return row ? (await this.withTags([row]))[0] : undefined
  }

  async list(f: ProjectFilters): Promise<Project[]> {
    const rows = await this.repos.identity_project.list(
      {
        name: f.name,
        domain_id: f.is_domain ? ROOT_DOMAIN_ID : f.domain_id,
        parent_id: f.parent_id,
        enabled: f.enabled === undefined ? undefined : fromBool(f.enabled),
        is_domain: f.is_domain === undefined ? 0 : fromBool(f.is_domain),
        id: f.ids,
      },
      { orderBy: 'name' },
    )
    let projects = await this.withTags(rows)
    const has = (p: Project, t: string) => p.tags.includes(t)
    if (f.tags?.length) projects = projects.filter((p) => f.tags!.every((t) => has(p, t)))
    if (f.tagsAny?.length) projects = projects.filter((p) => f.tagsAny!.some((t) => has(p, t)))
    if (f.notTags?.length) projects = projects.filter((p) => !f.notTags!.every((t) => has(p, t)))
    if (f.notTagsAny?.length) projects = projects.filter((p) => !f.notTagsAny!.some((t) => has(p, t)))
    return projects
  }

  async listDomains(f: { name?: string; enabled?: boolean }): Promise<Domain[]> {
    return this.list({ ...f, is_domain: true })
  }

  /** Parents from the direct parent up to (and including) the domain. */
  async ancestors(id: string): Promise<Project[]> {
    const out: Project[] = []
    let cur = await this.find(id)
    const seen = new Set<string>()
    while (cur?.parent_id && !seen.has(cur.parent_id)) {
      seen.add(cur.parent_id)
      const parent = await this.find(cur.parent_id)
      if (!parent) break
      out.push(parent)
      cur = parent
    }
    return out
  }

  /** Every project below `id` (breadth first), not including it. */
  async descendants(id: string): Promise<Project[]> {
    const out: Project[] = []
    let frontier = [id]
    const seen = new Set<string>([id])
    while (frontier.length > 0) {
      const rows = await this.repos.identity_project.list(
        { parent_id: frontier, is_domain: 0 },
        { orderBy: 'name' },
      )
      const fresh = rows.filter((r) => !seen.has(r.id))
      for (const r of fresh) seen.add(r.id)
      out.push(...(await this.withTags(fresh)))
      frontier = fresh.map((r) => r.id)
    }
    return out
  }

  async create(input: {
    name: string
    domain_id?: string | null
    parent_id?: string | null
    is_domain?: boolean
    enabled?: boolean
    description?: string | null
    tags?: string[]
    options?: Record<string, unknown>
    extra?: Record<string, unknown>
    id?: string
  }): Promise<Project> {
    const isDomain = input.is_domain === true
    let domainId: string
    let parentId: string | null
    if (isDomain) {
      if (input.parent_id) throw new ValidationFailed('A domain cannot have a parent.')
      domainId = ROOT_DOMAIN_ID
      parentId = null
    } else if (input.parent_id) {
      const parent = await this.find(input.parent_id)
      if (!parent) throw new ResourceNotFound('project', input.parent_id)
      const parentDomain = parent.is_domain ? parent.id : parent.domain_id!
      if (input.domain_id && input.domain_id !== parentDomain) {
        throw new ValidationFailed(
          'Cannot create project, the parent and the project being created are not in the same domain.',
        )
      }
      domainId = parentDomain
      parentId = parent.id
    } else {
      domainId = input.domain_id ?? this.deps.config.identity.default_domain_id
      const domain = await this.find(domainId)
      if (!domain || !domain.is_domain) throw new ResourceNotFound('domain', domainId)
      parentId = domainId
    }
    const id = input.id ?? newId()
    const row: Row<'identity_project'> = {
      id,
      name: input.name,
      domain_id: domainId,
      parent_id: parentId,
      is_domain: fromBool(isDomain),
      enabled: fromBool(input.enabled ?? true),
      description: input.description ?? '',
      extra: JSON.stringify({ ...(input.extra ?? {}), ...(input.options ? { options: input.options } : {}) }),
    }
    const tags = [...new Set(input.tags ?? [])]
    await this.repos.transaction(async (tx) => {
      await uniqueName(isDomain ? 'domain' : 'project', input.name, isDomain ? undefined : domainId, () =>
        tx.identity_project.insert(row),
      )
      for (const t of tags) await tx.identity_project_tag.insert({ project_id: id, name: t })
    })
    return (await this.find(id))!
  }

  async update(
    id: string,
    patch: {
      name?: string
      enabled?: boolean
      description?: string | null
      tags?: string[]
      options?: Record<string, unknown>
      domain_id?: string | null
      parent_id?: string | null
      is_domain?: boolean
      extra?: Record<string, unknown>
    },
    expectDomain: boolean,
  ): Promise<Project> {
    const cur = expectDomain ? await this.getDomain(id) : await this.getAny(id)
    if (patch.domain_id !== undefined && patch.domain_id !== cur.domain_id) {
      throw new ValidationFailed('Update of `domain_id` is not allowed.')
    }
    if (patch.parent_id !== undefined && patch.parent_id !== cur.parent_id) {
      throw new ActionForbidden('Update of `parent_id` is not allowed.')
    }
    if (patch.is_domain !== undefined && patch.is_domain !== cur.is_domain) {
      throw new ValidationFailed('Update of `is_domain` is not allowed.')
    }
    const set: Partial<Row<'identity_project'>> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.enabled !== undefined) set.enabled = fromBool(patch.enabled)
    if (patch.description !== undefined) set.description = patch.description ?? ''
    if (patch.extra !== undefined || patch.options !== undefined) {
      const options = { ...cur.options, ...(patch.options ?? {}) }
      for (const [k, v] of Object.entries(options)) if (v === null) delete options[k]
      set.extra = JSON.stringify({ ...cur.extra, ...(patch.extra ?? {}), options })
    }
    await this.repos.transaction(async (tx) => {
      await uniqueName(
        cur.is_domain ? 'domain' : 'project',
        patch.name,
        cur.is_domain ? undefined : cur.domain_id,
        () => tx.identity_project.update({ id }, set),
      )
      if (patch.tags !== undefined) await this.replaceTags(tx, id, patch.tags)
    })
    if (patch.enabled === false && cur.enabled) {
      await revoke(this.deps, cur.is_domain ? { domain_id: id } : { project_id: id })
    }
    return (await this.find(id))!
  }

  private async replaceTags(tx: Repos, id: string, tags: string[]): Promise<void> {
    await tx.identity_project_tag.delete({ project_id: id })
    for (const t of new Set(tags)) await tx.identity_project_tag.insert({ project_id: id, name: t })
  }

  async delete(id: string): Promise<void> {
    const p = await this.get(id)
    const children = await this.repos.identity_project.count({ parent_id: id })
    if (children > 0) {
      throw new ActionForbidden(`Cannot delete the project ${id} since it is not a leaf in the hierarchy.`)
    }
    const trusts = await this.repos.transaction(async (tx) => {
      await tx.identity_project_tag.delete({ project_id: id })
      await tx.identity_assignment.delete({ target_id: id })
      await tx.identity_project_endpoint.delete({ project_id: id })
      await tx.identity_project_endpoint_group.delete({ project_id: id })
      await tx.identity_user.update({ default_project_id: id }, { default_project_id: null })
      // As Keystone: the project's trusts and its limits go with it.
      const deleted = await deleteTrusts(tx, await tx.identity_trust.list({ project_id: id }))
      await tx.identity_limit.delete({ project_id: id })
      await tx.identity_project.delete({ id: p.id })
      return deleted
    })
    await revoke(this.deps, { project_id: id })
    for (const t of trusts) await revoke(this.deps, { trust_id: t })
  }

  /** Deletes a disabled domain and everything in it. */
  async deleteDomain(id: string): Promise<void> {
    const d = await this.getDomain(id)
    if (d.enabled)
      throw new ActionForbidden('Cannot delete a domain that is enabled, please disable it first.')
    let trusts: string[] = []
    await this.repos.transaction(async (tx) => {
      const projects = await tx.identity_project.list({ domain_id: id })
      const projectIds = projects.map((p) => p.id)
      const users = (await tx.identity_user.list({ domain_id: id })).map((u) => u.id)
      const groups = (await tx.identity_group.list({ domain_id: id })).map((g) => g.id)
      const roles = (await tx.identity_role.list({ domain_id: id })).map((r) => r.id)
      const targets = [id, ...projectIds]
      await tx.identity_assignment.delete({ target_id: targets })
      await tx.identity_assignment.delete({ actor_id: [...users, ...groups] })
      await tx.identity_assignment.delete({ role_id: roles })
      await tx.identity_implied_role.delete({ prior_role_id: roles })
      await tx.identity_implied_role.delete({ implied_role_id: roles })
      await tx.identity_role.delete({ id: roles })
      await tx.identity_membership.delete({ user_id: users })
      await tx.identity_membership.delete({ group_id: groups })
      await tx.identity_password.delete({ user_id: users })
      const appCreds = (await tx.identity_app_cred.list({ user_id: users })).map((a) => a.id)
      await deleteApplicationCredentials(tx, appCreds)
      await tx.identity_access_rule.delete({ user_id: users })
      trusts = await deleteTrusts(tx, [
        ...(await tx.identity_trust.list({ trustor_user_id: users })),
        ...(await tx.identity_trust.list({ trustee_user_id: users })),
        ...(await tx.identity_trust.list({ project_id: projectIds })),
      ])
      await tx.identity_limit.delete({ project_id: projectIds })
      await tx.identity_limit.delete({ domain_id: id })
      await tx.identity_credential.delete({ user_id: users })
      await tx.identity_user.delete({ id: users })
      await tx.identity_group.delete({ id: groups })
      await tx.identity_project_tag.delete({ project_id: targets })
      await tx.identity_domain_config.delete({ domain_id: id })
      await tx.identity_project.delete({ id: projectIds })
      await tx.identity_project.delete({ id })
    })
    await revoke(this.deps, { domain_id: id })
    for (const t of trusts) await revoke(this.deps, { trust_id: t })
  }

  // Tags (/v3/projects/{id}/tags)
  async setTags(id: string, tags: string[]): Promise<string[]> {
    await this.getAny(id)
    if (tags.length > 80) throw new ValidationFailed('A project may have at most 80 tags.')
    await this.repos.transaction((tx) => this.replaceTags(tx, id, tags))
    return (await this.getAny(id)).tags
  }

  async addTag(id: string, tag: string): Promise<void> {
    const p = await this.getAny(id)
    // As Keystone: the tag joins the list, which is then checked as a PUT of the list is.
    if (p.tags.includes(tag))
      throw new ValidationFailed(
        `Invalid input for field 'tags': ${JSON.stringify([...p.tags, tag])} has non-unique elements`,
      )
    if (p.tags.length >= 80) throw new ValidationFailed('A project may have at most 80 tags.')
    await this.repos.identity_project_tag.insertIgnoringDuplicate({ project_id: id, name: tag })
  }

  async removeTag(id: string, tag: string): Promise<void> {
    await this.getAny(id)
    const n = await this.repos.identity_project_tag.delete({ project_id: id, name: tag })
    if (n === 0) throw new ResourceNotFound('project tag', tag)
  }

  async hasTag(id: string, tag: string): Promise<void> {
    const p = await this.getAny(id)
    if (!p.tags.includes(tag)) throw new ResourceNotFound('project tag', tag)
  }
}
