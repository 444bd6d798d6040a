/**
 * What compute asks identity for the unified limits driver, typed: the enforcement
 * model, the registered limits and project (or domain) limits of the catalog's
 * `compute` service, and the project hierarchy strict two-level enforcement walks.
 * Everything goes through the kernel's ServiceClient with the service token, so
 * identity may run in this process or another, as oslo.limit calls Keystone.
 *
 * The service and region are found as oslo.limit finds them from
 * `endpoint_service_type`: the `compute` service of the catalog and the region of its
 * public endpoint; only limits registered for that service and region count.
 */
import type { ServiceClient } from '../../../kernel/host/index.js'

export interface ProjectRef {
  id: string
  parent_id: string | null
  domain_id: string | null
  is_domain: boolean
}

interface LimitRow {
  resource_name: string
  resource_limit: number
  region_id: string | null
  project_id: string | null
  domain_id: string | null
}

interface RegisteredRow {
  resource_name: string
  default_limit: number
  region_id: string | null
}

/** How long the model and the service's catalog entry are kept before asking again. */
const CACHE_MS = 30_000

export class IdentityLimitsApi {
  private service:
    | { at: number; value: Promise<{ id: string; region: string | null } | undefined> }
    | undefined
  private modelName: { at: number; value: Promise<string> } | undefined

  constructor(
    private readonly client: ServiceClient,
    private readonly serviceType = 'compute',
  ) {}

  /** `[unified_limit] enforcement_model` of identity: `flat` or `strict_two_level`. */
  async model(): Promise<string> {
    if (!this.modelName || Date.now() - this.modelName.at > CACHE_MS) {
      const value = this.client.get<{ model: { name: string } }>('/v3/limits/model').then((b) => b.model.name)
      value.catch(() => (this.modelName = undefined))
      this.modelName = { at: Date.now(), value }
    }
    return this.modelName.value
  }

  private async owner(): Promise<{ id: string; region: string | null } | undefined> {
    if (!this.service || Date.now() - this.service.at > CACHE_MS) {
      const value = (async () => {
        const q = new URLSearchParams({ type: this.serviceType })
        const services = (await this.client.get<{ services: { id: string }[] }>(`/v3/services?${q}`)).services
        const first = services[0]
        if (!first) return undefined
        const eq = new URLSearchParams({ service_id: first.id, interface: 'public' })
        const eps = (
          await this.client.get<{ endpoints: { region_id: string | null }[] }>(`/v3/endpoints?${eq}`)
        ).endpoints
        return { id: first.id, region: eps[0]?.region_id ?? null }
      })()
      value.catch(() => (this.service = undefined))
      this.service = { at: Date.now(), value }
    }
    return this.service.value
  }

  /** Registered (default) limits by resource name; a name never registered is absent. */
  async registered(): Promise<Record<string, number>> {
    const svc = await this.owner()
    if (!svc) return {}
    const q = new URLSearchParams({ service_id: svc.id })
    const rows = (await this.client.get<{ registered_limits: RegisteredRow[] }>(`/v3/registered_limits?${q}`))
      .registered_limits
    const out: Record<string, number> = {}
    for (const r of rows) if ((r.region_id ?? null) === svc.region) out[r.resource_name] = r.default_limit
    return out
  }

  /** A project's (or, with `domain`, a domain's) own limits by resource name. */
  async own(ownerId: string, kind: 'project' | 'domain' = 'project'): Promise<Record<string, number>> {
    const svc = await this.owner()
    if (!svc) return {}
    const q = new URLSearchParams({ service_id: svc.id, [`${kind}_id`]: ownerId })
    const rows = (await this.client.get<{ limits: LimitRow[] }>(`/v3/limits?${q}`)).limits
    const out: Record<string, number> = {}
    for (const r of rows) {
      const mine = kind === 'project' ? r.project_id === ownerId : r.domain_id === ownerId
      if (mine && (r.region_id ?? null) === svc.region) out[r.resource_name] = r.resource_limit
    }
    return out
  }

  /** A project's place in the hierarchy, or undefined when identity does not know it. */
  async project(id: string): Promise<ProjectRef | undefined> {
    const res = await this.client.request(
      { method: 'GET', path: `/v3/projects/${encodeURIComponent(id)}` },
      { accept: [404] },
    )
    if (res.status === 404) return undefined
    const p = (res.body as { project: ProjectRef }).project
    return {
      id: p.id,
      parent_id: p.parent_id ?? null,
      domain_id: p.domain_id ?? null,
      is_domain: !!p.is_domain,
    }
  }

  /** The projects whose parent is `id`. */
  async children(id: string): Promise<string[]> {
    const q = new URLSearchParams({ parent_id: id })
    return (await this.client.get<{ projects: { id: string }[] }>(`/v3/projects?${q}`)).projects.map(
      (p) => p.id,
    )
  }

  /** The projects of a domain. */
  async inDomain(domainId: string): Promise<string[]> {
    const q = new URLSearchParams({ domain_id: domainId })
    return (await this.client.get<{ projects: { id: string }[] }>(`/v3/projects?${q}`)).projects.map(
      (p) => p.id,
    )
  }
}
