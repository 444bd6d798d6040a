/**
 * Unified limits, as Keystone keeps them for every service to enforce:
 *
 *   registered limit (service, region?, resource_name) ─ default_limit for every project
 *        ▲ registered_limit_id
 *   limit (project or domain) ─ resource_limit: that owner's own value
 *
 * A limit always refers to a registered limit (403 without one); a registered limit
 * with limits referring to it can be neither changed nor deleted (403), as upstream.
 * `[unified_limit] enforcement_model` is reported by /v3/limits/model; with
 * `strict_two_level` a project limit may not exceed its domain's limit (or the
 * registered default), and a domain limit may not be lower than its projects' limits.
 *
 * `limitsFor()` is what other services read through (image's LimitsReader): a
 * project's limit per resource, its own or the registered default, as oslo.limit
 * resolves them.
 */
import { ActionForbidden, LimitNotFound, ResourceConflict, ValidationFailed } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import type { Catalog } from './catalog.js'
import { newId, type ResourceDeps } from './common.js'
import type { Projects } from './projects.js'

export interface RegisteredLimit {
  id: string
  service_id: string
  region_id: string | null
  resource_name: string
  default_limit: number
  description: string | null
}

export interface Limit {
  id: string
  project_id: string | null
  domain_id: string | null
  service_id: string
  region_id: string | null
  resource_name: string
  resource_limit: number
  description: string | null
}

export interface RegisteredLimitInput {
  service_id: string
  region_id?: string | null
  resource_name: string
  default_limit: number
  description?: string | null
}

export interface LimitInput {
  project_id?: string | null
  domain_id?: string | null
  service_id: string
  region_id?: string | null
  resource_name: string
  resource_limit: number
  description?: string | null
}

/** Whose limits a list shows: everything, a domain's (its own and its projects'), or one project's. */
export type LimitViewer = { all: true } | { domainId: string } | { projectId: string }

/** The service whose limits are asked for: an endpoint, or a service type and optional region name. */
export interface LimitsQuery {
  projectId: string
  resourceNames: readonly string[]
  serviceType: string
  endpointId?: string | undefined
  regionName?: string | undefined
}

const MODELS = {
  flat: 'Limit enforcement and validation does not take project hierarchy into consideration.',
  strict_two_level: 'This model requires project hierarchy never exceeds a depth of two',
} as const

const notAValid = (attribute: string, target: string) =>
  new ValidationFailed(
    `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
  )

const toRegistered = (r: Row<'identity_registered_limit'>): RegisteredLimit => ({
  id: r.id,
  service_id: r.service_id,
  region_id: r.region_id,
  resource_name: r.resource_name,
  default_limit: Number(r.default_limit),
  description: r.description,
})

export class UnifiedLimits {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
    private readonly catalog: Catalog,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  model(): { name: string; description: string } {
    const name = this.deps.config.unified_limit.enforcement_model
    return { name, description: MODELS[name] }
  }

  // Registered limits

  async listRegistered(f: {
    service_id?: string | undefined
    region_id?: string | undefined
    resource_name?: string | undefined
  }): Promise<RegisteredLimit[]> {
    const rows = await this.repos.identity_registered_limit.list(
      { service_id: f.service_id, region_id: f.region_id, resource_name: f.resource_name },
      { orderBy: 'resource_name' },
    )
    return rows.map(toRegistered)
  }

  async getRegistered(id: string): Promise<RegisteredLimit> {
    const row = await this.repos.identity_registered_limit.get({ id })
    if (!row) throw new LimitNotFound('registered limit', id)
    return toRegistered(row)
  }

  async createRegistered(inputs: readonly RegisteredLimitInput[]): Promise<RegisteredLimit[]> {
    for (const input of inputs) await this.checkRefs(input, 'registered_limit')
    const ids: string[] = []
    await this.repos.transaction(async (tx) => {
      for (const input of inputs) {
        const id = newId()
        await duplicate('registered_limit', () =>
          tx.identity_registered_limit.insert({
            id,
            service_id: input.service_id,
            region_id: input.region_id ?? null,
            region_key: input.region_id ?? '',
            resource_name: input.resource_name,
            default_limit: input.default_limit,
            description: input.description ?? null,
          }),
        )
        ids.push(id)
      }
    })
    return Promise.all(ids.map((id) => this.getRegistered(id)))
  }

  async updateRegistered(id: string, patch: Partial<RegisteredLimitInput>): Promise<RegisteredLimit> {
    const cur = await this.getRegistered(id)
    // NOTE: as Keystone, any change to a registered limit that limits refer to is
    // refused, the default included: delete the limits first.
    await this.assertUnreferenced(id)
    const next = { ...cur, ...patch }
    await this.checkRefs(next, 'registered_limit')
    const set: Partial<Row<'identity_registered_limit'>> = {}
    if (patch.service_id !== undefined) set.service_id = patch.service_id
    if (patch.region_id !== undefined) {
      set.region_id = patch.region_id
      set.region_key = patch.region_id ?? ''
    }
    if (patch.resource_name !== undefined) set.resource_name = patch.resource_name
    if (patch.default_limit !== undefined) set.default_limit = patch.default_limit
    if (patch.description !== undefined) set.description = patch.description
    await duplicate('registered_limit', () => this.repos.identity_registered_limit.update({ id }, set))
    return this.getRegistered(id)
  }

  async deleteRegistered(id: string): Promise<void> {
    await this.getRegistered(id)
    await this.assertUnreferenced(id)
    await this.repos.identity_registered_limit.delete({ id })
  }

  private async assertUnreferenced(id: string): Promise<void> {
    if ((await this.repos.identity_limit.count({ registered_limit_id: id })) > 0) {
      throw new ActionForbidden(
        `Unable to update or delete registered limit ${id} because there are project limits associated with it.`,
      )
    }
  }

  /** The service, region, project and domain a limit names must exist (400 otherwise, as Keystone). */
  private async checkRefs(
    l: {
      service_id?: string
      region_id?: string | null
      project_id?: string | null
      domain_id?: string | null
    },
    target: 'registered_limit' | 'limit',
  ): Promise<void> {
    if (l.service_id !== undefined && !(await this.repos.identity_service.get({ id: l.service_id }))) {
      throw notAValid('service_id', target)
    }
    if (l.region_id && !(await this.repos.identity_region.get({ id: l.region_id }))) {
      throw notAValid('region_id', target)
    }
    if (l.project_id && !(await this.projects.find(l.project_id))) throw notAValid('project_id', target)
    if (l.domain_id) {
      const d = await this.projects.find(l.domain_id)
      if (!d?.is_domain) throw notAValid('domain_id', target)
    }
  }

  // Limits

  private async toLimits(rows: readonly Row<'identity_limit'>[]): Promise<Limit[]> {
    const ids = [...new Set(rows.map((r) => r.registered_limit_id))]
    const reg = new Map(
      (await this.repos.identity_registered_limit.list({ id: ids })).map((r) => [r.id, toRegistered(r)]),
    )
    return rows.flatMap((r) => {
      const g = reg.get(r.registered_limit_id)
      if (!g) return []
      return [
        {
          id: r.id,
          project_id: r.project_id,
          domain_id: r.domain_id,
          service_id: g.service_id,
          region_id: g.region_id,
          resource_name: g.resource_name,
          resource_limit: Number(r.resource_limit),
          description: r.description,
        },
      ]
    })
  }

  async getLimit(id: string): Promise<Limit> {
    const row = await this.repos.identity_limit.get({ id })
    const [limit] = row ? await this.toLimits([row]) : []
    if (!limit) throw new LimitNotFound('limit', id)
    return limit
  }

  async listLimits(
    f: {
      service_id?: string | undefined
      region_id?: string | undefined
      resource_name?: string | undefined
      project_id?: string | undefined
      domain_id?: string | undefined
    },
    viewer: LimitViewer,
  ): Promise<Limit[]> {
    const filtersRegistered = f.service_id ?? f.region_id ?? f.resource_name
    const registered = filtersRegistered ? (await this.listRegistered(f)).map((r) => r.id) : undefined
    const where: Parameters<typeof this.repos.identity_limit.list>[0] = {
      registered_limit_id: registered,
      project_id: f.project_id,
      domain_id: f.domain_id,
    }
    if ('projectId' in viewer)
      where.project_id = f.project_id && f.project_id !== viewer.projectId ? '' : viewer.projectId
    let rows = await this.repos.identity_limit.list(where, { orderBy: 'id' })
    if ('domainId' in viewer) {
      const inDomain = new Set((await this.projects.list({ domain_id: viewer.domainId })).map((p) => p.id))
      rows = rows.filter((r) => (r.project_id ? inDomain.has(r.project_id) : r.domain_id === viewer.domainId))
    }
    return this.toLimits(rows)
  }

  async createLimits(inputs: readonly LimitInput[]): Promise<Limit[]> {
    const normalized: LimitInput[] = []
    for (const input of inputs) {
      if ((input.project_id ? 1 : 0) + (input.domain_id ? 1 : 0) !== 1) {
        throw new ValidationFailed(
          "Invalid input for field 'limits': a limit names exactly one of project_id and domain_id",
        )
      }
      const l = { ...input }
      await this.checkRefs(l, 'limit')
      // A project id naming a domain (is_domain) makes a domain limit, as Keystone.
      if (l.project_id && (await this.projects.find(l.project_id))?.is_domain) {
        l.domain_id = l.project_id
        l.project_id = null
      }
      normalized.push(l)
    }
    await this.checkHierarchy(normalized)
    const ids: string[] = []
    await this.repos.transaction(async (tx) => {
      for (const l of normalized) {
        const reg = await tx.identity_registered_limit.get({
          service_id: l.service_id,
          region_key: l.region_id ?? '',
          resource_name: l.resource_name,
        })
        if (!reg) {
          throw new ActionForbidden('Unable to create a limit that has no corresponding registered limit.')
        }
        const id = newId()
        await duplicate('limit', () =>
          tx.identity_limit.insert({
            id,
            registered_limit_id: reg.id,
            project_id: l.project_id ?? null,
            domain_id: l.domain_id ?? null,
            owner_key: (l.project_id ?? l.domain_id)!,
            resource_limit: l.resource_limit,
            description: l.description ?? null,
          }),
        )
        ids.push(id)
      }
    })
    return Promise.all(ids.map((id) => this.getLimit(id)))
  }

  async updateLimit(
    id: string,
    patch: { resource_limit?: number; description?: string | null },
  ): Promise<Limit> {
    const cur = await this.getLimit(id)
    if (patch.resource_limit !== undefined) {
      await this.checkHierarchy([{ ...cur, resource_limit: patch.resource_limit }], id)
    }
    const set: Partial<Row<'identity_limit'>> = {}
    if (patch.resource_limit !== undefined) set.resource_limit = patch.resource_limit
    if (patch.description !== undefined) set.description = patch.description
    await this.repos.identity_limit.update({ id }, set)
    return this.getLimit(id)
  }

  async deleteLimit(id: string): Promise<void> {
    await this.getLimit(id)
    await this.repos.identity_limit.delete({ id })
  }

  /**
   * strict_two_level: a project limit no higher than its parent's domain limit (or
   * the registered default), a domain limit no lower than any of its projects' limits.
   * Limits of one request are checked against each other first.
   */
  private async checkHierarchy(limits: readonly LimitInput[], updating?: string): Promise<void> {
    if (this.deps.config.unified_limit.enforcement_model !== 'strict_two_level') return
    const same = (a: LimitInput, b: LimitInput) =>
      a.service_id === b.service_id &&
      (a.region_id ?? null) === (b.region_id ?? null) &&
      a.resource_name === b.resource_name
    for (const l of limits) {
      const reg = await this.repos.identity_registered_limit.get({
        service_id: l.service_id,
        region_key: l.region_id ?? '',
        resource_name: l.resource_name,
      })
      let ok = true
      if (l.project_id) {
        const parent = (await this.projects.find(l.project_id))?.parent_id ?? null
        const inBatch = limits.find((o) => o.domain_id === parent && same(o, l))
        let cap: number | undefined = inBatch?.resource_limit
        if (cap === undefined && parent && reg) {
          const own = await this.repos.identity_limit.get({ registered_limit_id: reg.id, domain_id: parent })
          cap = own ? Number(own.resource_limit) : Number(reg.default_limit)
        }
        if (cap !== undefined && cap >= 0 && (l.resource_limit < 0 || l.resource_limit > cap)) ok = false
      } else if (l.domain_id && reg && l.resource_limit >= 0) {
        const below = new Set((await this.projects.descendants(l.domain_id)).map((p) => p.id))
        const children = (await this.repos.identity_limit.list({ registered_limit_id: reg.id })).filter(
          (c) => c.project_id !== null && below.has(c.project_id) && c.id !== updating,
        )
        for (const c of children) {
          const v = Number(c.resource_limit)
          if (v < 0 || v > l.resource_limit) ok = false
        }
      }
      if (!ok) {
        const level = l.project_id ? `project_id: ${l.project_id}` : `domain_id: ${l.domain_id}`
        throw new ActionForbidden(
          `Invalid resource limit: The resource limit (${level}, resource_name: ${l.resource_name}, resource_limit: ${l.resource_limit}, service_id: ${l.service_id}, region_id: ${l.region_id ?? null}) doesn't satisfy current hierarchy model.`,
        )
      }
    }
  }

  /**
   * A project's limits for one service, by resource name, as oslo.limit resolves
   * them: the project's own limit, else the registered default; a resource with no
   * registered limit is absent (a service treats that as 0, as oslo.limit does).
   * The service is an endpoint's (service and region), or a service type with an
   * optional region name.
   */
  async limitsFor(q: LimitsQuery): Promise<Record<string, number>> {
    let serviceIds: string[]
    let regionId: string | null
    if (q.endpointId) {
      const ep = await this.repos.identity_endpoint.get({ id: q.endpointId })
      if (!ep) return {}
      serviceIds = [ep.service_id]
      regionId = ep.region_id
    } else {
      // As oslo.limit: the service's public endpoint (in the named region, if any)
      // gives the service and the region the limits are registered for.
      serviceIds = (await this.catalog.listServices({ type: q.serviceType })).map((s) => s.id)
      const endpoints = await this.repos.identity_endpoint.list({
        service_id: serviceIds,
        interface: 'public',
        ...(q.regionName ? { region_id: q.regionName } : {}),
      })
      const ep = endpoints[0]
      if (ep) serviceIds = [ep.service_id]
      regionId = ep ? ep.region_id : (q.regionName ?? null)
    }
    if (serviceIds.length === 0 || q.resourceNames.length === 0) return {}
    const registered = await this.repos.identity_registered_limit.list({
      service_id: serviceIds,
      resource_name: [...q.resourceNames],
    })
    const chosen = new Map<string, Row<'identity_registered_limit'>>()
    for (const r of registered) {
      // NOTE: the region must match, as oslo.limit asks; a registered limit without a
      // region serves a service whose region was not named.
      if ((r.region_id ?? null) !== regionId) continue
      if (!chosen.has(r.resource_name)) chosen.set(r.resource_name, r)
    }
    const out: Record<string, number> = {}
    const own = await this.repos.identity_limit.list({
      registered_limit_id: [...chosen.values()].map((r) => r.id),
      project_id: q.projectId,
    })
    const ownBy = new Map(own.map((l) => [l.registered_limit_id, Number(l.resource_limit)]))
    for (const [name, r] of chosen) out[name] = ownBy.get(r.id) ?? Number(r.default_limit)
    return out
  }
}

async function duplicate<T>(type: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (e) {
    if (e instanceof DuplicateRow) throw new ResourceConflict(type, 'Duplicate entry.')
    throw e
  }
}
