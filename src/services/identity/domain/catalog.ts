/**
 * The service catalog: regions (a tree), services, endpoints, and OS-EP-FILTER
 * endpoint groups with their project associations.
 */

import { ActionForbidden, ResourceConflict, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Repos, Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import { fromBool, newId, parseJson, type ResourceDeps, toBool } from './common.js'
import type { CatalogService } from './ports.js'

export interface Region {
  id: string
  description: string
  parent_region_id: string | null
  extra: Record<string, unknown>
}

export interface Service {
  id: string
  type: string
  enabled: boolean
  /** name, description and any other attribute. */
  extra: Record<string, unknown>
}

export interface Endpoint {
  id: string
  service_id: string
  region_id: string | null
  interface: string
  url: string
  enabled: boolean
  extra: Record<string, unknown>
}

export interface EndpointGroup {
  id: string
  name: string
  description: string
  filters: Record<string, unknown>
}

const toRegion = (r: Row<'identity_region'>): Region => ({
  id: r.id,
  description: r.description,
  parent_region_id: r.parent_region_id,
  extra: parseJson(r.extra, {}),
})
const toService = (r: Row<'identity_service'>): Service => ({
  id: r.id,
  type: r.type,
  enabled: toBool(r.enabled),
  extra: parseJson(r.extra, {}),
})
const toEndpoint = (r: Row<'identity_endpoint'>): Endpoint => ({
  id: r.id,
  service_id: r.service_id,
  region_id: r.region_id,
  interface: r.interface,
  url: r.url,
  enabled: toBool(r.enabled),
  extra: parseJson(r.extra, {}),
})
const toGroup = (r: Row<'identity_endpoint_group'>): EndpointGroup => ({
  id: r.id,
  name: r.name,
  description: r.description ?? '',
  filters: parseJson(r.filters, {}),
})

export class Catalog {
  constructor(private readonly deps: ResourceDeps) {}

  private get repos() {
    return this.deps.repos
  }

  // Regions
  async getRegion(id: string): Promise<Region> {
    const r = await this.repos.identity_region.get({ id })
    if (!r) throw new ResourceNotFound('region', id)
    return toRegion(r)
  }

  async listRegions(f: { parent_region_id?: string }): Promise<Region[]> {
    return (
      await this.repos.identity_region.list({ parent_region_id: f.parent_region_id }, { orderBy: 'id' })
    ).map(toRegion)
  }

  async createRegion(input: {
    id?: string
    description?: string | null
    parent_region_id?: string | null
    extra?: Record<string, unknown>
  }): Promise<Region> {
    const id = input.id ?? newId()
    if (input.parent_region_id) {
      if (input.parent_region_id === id) throw new ValidationFailed('A region cannot be its own parent.')
      await this.getRegion(input.parent_region_id)
    }
    try {
      await this.repos.identity_region.insert({
        id,
        description: input.description ?? '',
        parent_region_id: input.parent_region_id ?? null,
        extra: JSON.stringify(input.extra ?? {}),
      })
    } catch (e) {
      if (e instanceof DuplicateRow) throw new ResourceConflict('region', `Duplicate ID, ${id}.`)
      throw e
    }
    return this.getRegion(id)
  }

  async updateRegion(
    id: string,
    patch: { description?: string | null; parent_region_id?: string | null; extra?: Record<string, unknown> },
  ): Promise<Region> {
    const cur = await this.getRegion(id)
    if (patch.parent_region_id) {
      // Walk up from the new parent: reaching `id` would make a cycle.
      let p: string | null = patch.parent_region_id
      const seen = new Set<string>()
      while (p && !seen.has(p)) {
        if (p === id) throw new ValidationFailed(`Circular reference found in the region tree at ${id}.`)
        seen.add(p)
        p = (await this.getRegion(p)).parent_region_id
      }
    }
    const set: Partial<Row<'identity_region'>> = {}
    if (patch.description !== undefined) set.description = patch.description ?? ''
    if (patch.parent_region_id !== undefined) set.parent_region_id = patch.parent_region_id
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.identity_region.update({ id }, set)
    return this.getRegion(id)
  }

  async deleteRegion(id: string): Promise<void> {
    await this.getRegion(id)
    if ((await this.repos.identity_region.count({ parent_region_id: id })) > 0) {
      throw new ActionForbidden(`Unable to delete region ${id} because it has child regions.`)
    }
    await this.repos.transaction(async (tx) => {
      await tx.identity_endpoint.update({ region_id: id }, { region_id: null })
      await tx.identity_policy_association.delete({ region_id: id })
      await tx.identity_region.delete({ id })
    })
  }

  // Services
  async getService(id: string): Promise<Service> {
    const r = await this.repos.identity_service.get({ id })
    if (!r) throw new ResourceNotFound('service', id)
    return toService(r)
  }

  async listServices(f: { type?: string; name?: string }): Promise<Service[]> {
    const all = (await this.repos.identity_service.list({ type: f.type }, { orderBy: 'type' })).map(toService)
    return f.name === undefined ? all : all.filter((s) => s.extra.name === f.name)
  }

  async createService(input: {
    type: string
    enabled?: boolean
    extra?: Record<string, unknown>
    id?: string
  }) {
    const id = input.id ?? newId()
    await this.repos.identity_service.insert({
      id,
      type: input.type,
      enabled: fromBool(input.enabled ?? true),
      extra: JSON.stringify(input.extra ?? {}),
    })
    return this.getService(id)
  }

  async updateService(
    id: string,
    patch: { type?: string; enabled?: boolean; extra?: Record<string, unknown> },
  ) {
    const cur = await this.getService(id)
    const set: Partial<Row<'identity_service'>> = {}
    if (patch.type !== undefined) set.type = patch.type
    if (patch.enabled !== undefined) set.enabled = fromBool(patch.enabled)
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.identity_service.update({ id }, set)
    return this.getService(id)
  }

  async deleteService(id: string): Promise<void> {
    await this.getService(id)
    await this.repos.transaction(async (tx) => {
      const eps = (await tx.identity_endpoint.list({ service_id: id })).map((e) => e.id)
      await tx.identity_project_endpoint.delete({ endpoint_id: eps })
      await tx.identity_policy_association.delete({ endpoint_id: eps })
      await tx.identity_policy_association.delete({ service_id: id })
      await tx.identity_endpoint.delete({ service_id: id })
      await tx.identity_service.delete({ id })
    })
  }

  // Endpoints
  async getEndpoint(id: string): Promise<Endpoint> {
    const r = await this.repos.identity_endpoint.get({ id })
    if (!r) throw new ResourceNotFound('endpoint', id)
    return toEndpoint(r)
  }

  async listEndpoints(f: {
    interface?: string
    service_id?: string
    region_id?: string
  }): Promise<Endpoint[]> {
    return (await this.repos.identity_endpoint.list(f)).map(toEndpoint)
  }

  private async checkRefs(serviceId?: string, regionId?: string | null, createRegion = false): Promise<void> {
    if (serviceId !== undefined && !(await this.repos.identity_service.get({ id: serviceId }))) {
      throw new ValidationFailed(`Invalid input for field 'service_id': service ${serviceId} does not exist.`)
    }
    if (regionId && !createRegion && !(await this.repos.identity_region.get({ id: regionId }))) {
      throw new ValidationFailed(`Invalid input for field 'region_id': region ${regionId} does not exist.`)
    }
  }

  async createEndpoint(input: {
    service_id: string
    interface: string
    url: string
    region_id?: string | null
    /** The legacy `region` was given: create `region_id` if it does not exist. */
    createRegion?: boolean
    enabled?: boolean
    extra?: Record<string, unknown>
    id?: string
  }): Promise<Endpoint> {
    await this.checkRefs(input.service_id, input.region_id, input.createRegion)
    const id = input.id ?? newId()
    await this.repos.transaction(async (tx) => {
      if (input.createRegion && input.region_id) await ensureRegion(tx, input.region_id)
      await tx.identity_endpoint.insert({
        id,
        service_id: input.service_id,
        region_id: input.region_id ?? null,
        interface: input.interface,
        url: input.url,
        enabled: fromBool(input.enabled ?? true),
        extra: JSON.stringify(input.extra ?? {}),
      })
    })
    return this.getEndpoint(id)
  }

  async updateEndpoint(
    id: string,
    patch: {
      service_id?: string
      interface?: string
      url?: string
      region_id?: string | null
      createRegion?: boolean
      enabled?: boolean
      extra?: Record<string, unknown>
    },
  ): Promise<Endpoint> {
    const cur = await this.getEndpoint(id)
    await this.checkRefs(patch.service_id, patch.region_id, patch.createRegion)
    const set: Partial<Row<'identity_endpoint'>> = {}
    if (patch.service_id !== undefined) set.service_id = patch.service_id
    if (patch.interface !== undefined) set.interface = patch.interface
    if (patch.url !== undefined) set.url = patch.url
    if (patch.region_id !== undefined) set.region_id = patch.region_id
    if (patch.enabled !== undefined) set.enabled = fromBool(patch.enabled)
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await this.repos.transaction(async (tx) => {
      if (patch.createRegion && patch.region_id) await ensureRegion(tx, patch.region_id)
      await tx.identity_endpoint.update({ id }, set)
    })
    return this.getEndpoint(id)
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.getEndpoint(id)
    await this.repos.transaction(async (tx) => {
      await tx.identity_project_endpoint.delete({ endpoint_id: id })
      await tx.identity_policy_association.delete({ endpoint_id: id })
      await tx.identity_endpoint.delete({ id })
    })
  }

  /**
   * The catalog tokens carry: enabled services with their enabled endpoints. For a
   * project with OS-EP-FILTER associations (endpoints or endpoint groups) only those
   * endpoints, and only the services left with one; with none, the whole catalog unless
   * `[endpoint_filter] return_all_endpoints_if_no_filter` is false (then empty), as
   * Keystone's sql catalog driver.
   */
  async catalog(projectId?: string): Promise<CatalogService[]> {
    const services = (await this.repos.identity_service.list({ enabled: 1 }, { orderBy: 'type' })).map(
      toService,
    )
    let endpoints = (await this.repos.identity_endpoint.list({ enabled: 1 })).map(toEndpoint)
    const filter = projectId ? await this.endpointsForProject(projectId) : new Map<string, Endpoint>()
    if (filter.size > 0) {
      endpoints = endpoints.filter((e) => filter.has(e.id))
    } else if (!this.deps.config.endpoint_filter.return_all_endpoints_if_no_filter) {
      return []
    }
    const full = services.map((s) => ({
      id: s.id,
      type: s.type,
      name: typeof s.extra.name === 'string' ? s.extra.name : '',
      endpoints: endpoints
        .filter((e) => e.service_id === s.id)
        .map((e) => ({
          id: e.id,
          interface: e.interface as 'public' | 'internal' | 'admin',
          region: e.region_id,
          region_id: e.region_id,
          url: e.url,
        })),
    }))
    return filter.size > 0 ? full.filter((s) => s.endpoints.length > 0) : full
  }

  // Project-endpoint associations (OS-EP-FILTER)

  /** The endpoints a project is associated with, directly or through endpoint groups. */
  async endpointsForProject(projectId: string): Promise<Map<string, Endpoint>> {
    const out = new Map<string, Endpoint>()
    const direct = await this.repos.identity_project_endpoint.list({ project_id: projectId })
    for (const ref of direct) {
      const e = await this.repos.identity_endpoint.get({ id: ref.endpoint_id })
      if (e) out.set(e.id, toEndpoint(e))
    }
    for (const g of await this.endpointGroupsForProject(projectId)) {
      for (const e of await this.endpointsInGroup(g.id)) if (!out.has(e.id)) out.set(e.id, e)
    }
    return out
  }

  async endpointGroupsForProject(projectId: string): Promise<EndpointGroup[]> {
    const refs = await this.repos.identity_project_endpoint_group.list({ project_id: projectId })
    const groups: EndpointGroup[] = []
    for (const ref of refs) {
      const g = await this.repos.identity_endpoint_group.get({ id: ref.endpoint_group_id })
      if (g) groups.push(toGroup(g))
    }
    return groups
  }

  async addEndpointToProject(endpointId: string, projectId: string): Promise<void> {
    await this.getEndpoint(endpointId)
    const added = await this.repos.identity_project_endpoint.insertIgnoringDuplicate({
      endpoint_id: endpointId,
      project_id: projectId,
    })
    if (!added) throw new ResourceConflict('project_endpoint', 'Duplicate entry')
  }

  async checkEndpointInProject(endpointId: string, projectId: string): Promise<void> {
    const ref = await this.repos.identity_project_endpoint.get({
      endpoint_id: endpointId,
      project_id: projectId,
    })
    if (!ref) throw new ResourceNotFound('endpoint in project', `${endpointId} in ${projectId}`)
  }

  async removeEndpointFromProject(endpointId: string, projectId: string): Promise<void> {
    await this.checkEndpointInProject(endpointId, projectId)
    await this.repos.identity_project_endpoint.delete({ endpoint_id: endpointId, project_id: projectId })
  }

  async projectIdsForEndpoint(endpointId: string): Promise<string[]> {
    await this.getEndpoint(endpointId)
    return (await this.repos.identity_project_endpoint.list({ endpoint_id: endpointId })).map(
      (r) => r.project_id,
    )
  }

  // Endpoint groups (OS-EP-FILTER)
  async getEndpointGroup(id: string): Promise<EndpointGroup> {
    const r = await this.repos.identity_endpoint_group.get({ id })
    if (!r) throw new ResourceNotFound('endpoint group', id)
    return toGroup(r)
  }

  async listEndpointGroups(f: { name?: string }): Promise<EndpointGroup[]> {
    return (await this.repos.identity_endpoint_group.list({ name: f.name }, { orderBy: 'name' })).map(toGroup)
  }

  async createEndpointGroup(input: {
    name: string
    description?: string | null
    filters: Record<string, unknown>
  }) {
    const id = newId()
    await this.repos.identity_endpoint_group.insert({
      id,
      name: input.name,
      description: input.description ?? '',
      filters: JSON.stringify(input.filters),
    })
    return this.getEndpointGroup(id)
  }

  async updateEndpointGroup(
    id: string,
    patch: { name?: string; description?: string | null; filters?: Record<string, unknown> },
  ): Promise<EndpointGroup> {
    await this.getEndpointGroup(id)
    const set: Partial<Row<'identity_endpoint_group'>> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.description !== undefined) set.description = patch.description ?? ''
    if (patch.filters !== undefined) set.filters = JSON.stringify(patch.filters)
    await this.repos.identity_endpoint_group.update({ id }, set)
    return this.getEndpointGroup(id)
  }

  async deleteEndpointGroup(id: string): Promise<void> {
    await this.getEndpointGroup(id)
    await this.repos.transaction(async (tx) => {
      await tx.identity_project_endpoint_group.delete({ endpoint_group_id: id })
      await tx.identity_endpoint_group.delete({ id })
    })
  }

  async endpointsInGroup(id: string): Promise<Endpoint[]> {
    const g = await this.getEndpointGroup(id)
    const all = await this.listEndpoints({})
    return all.filter((e) =>
      Object.entries(g.filters).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v),
    )
  }

  async addProjectToEndpointGroup(groupId: string, projectId: string): Promise<void> {
    await this.getEndpointGroup(groupId)
    await this.repos.identity_project_endpoint_group.insertIgnoringDuplicate({
      endpoint_group_id: groupId,
      project_id: projectId,
    })
  }

  async checkProjectInEndpointGroup(groupId: string, projectId: string): Promise<void> {
    await this.getEndpointGroup(groupId)
    if (
      !(await this.repos.identity_project_endpoint_group.get({
        endpoint_group_id: groupId,
        project_id: projectId,
      }))
    ) {
      throw new ResourceNotFound('endpoint group project association', `${groupId}/${projectId}`)
    }
  }

  async removeProjectFromEndpointGroup(groupId: string, projectId: string): Promise<void> {
    await this.checkProjectInEndpointGroup(groupId, projectId)
    await this.repos.identity_project_endpoint_group.delete({
      endpoint_group_id: groupId,
      project_id: projectId,
    })
  }

  async projectIdsOfEndpointGroup(groupId: string): Promise<string[]> {
    await this.getEndpointGroup(groupId)
    return (await this.repos.identity_project_endpoint_group.list({ endpoint_group_id: groupId })).map(
      (r) => r.project_id,
    )
  }
}

/** Creates region `id` (no parent, no description) unless it exists. */
async function ensureRegion(tx: Repos, id: string): Promise<void> {
  if (await tx.identity_region.get({ id })) return
  await tx.identity_region.insertIgnoringDuplicate({
    id,
    description: '',
    parent_region_id: null,
    extra: '{}',
  })
}
