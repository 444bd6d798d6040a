/**
 * /v3/regions, /v3/services, /v3/endpoints and /v3/OS-EP-FILTER endpoint groups.
 */
import type { FastifyRequest } from 'fastify'
import type { Endpoint, EndpointGroup, Region, Service } from '../domain/catalog.js'
import { splitExtra } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { IdentityDomain } from '../resources.js'
import {
  endpointCreate,
  endpointGroupCreate,
  endpointGroupUpdate,
  endpointUpdate,
  regionCreate,
  regionUpdate,
  serviceCreate,
  serviceUpdate,
} from '../schemas/catalog.js'
import { validateBody } from '../schemas/validate.js'
import { allows, can, collection, noContent, params, qs, query, type Router, selfLink } from './common.js'
import { projectView } from './projects.js'

const regionView = (req: FastifyRequest, r: Region) => ({
  ...r.extra,
  id: r.id,
  description: r.description,
  parent_region_id: r.parent_region_id,
  links: selfLink(req, `regions/${r.id}`),
})
const serviceView = (req: FastifyRequest, s: Service) => ({
  ...s.extra,
  id: s.id,
  type: s.type,
  enabled: s.enabled,
  links: selfLink(req, `services/${s.id}`),
})
const endpointView = (req: FastifyRequest, e: Endpoint) => ({
  ...e.extra,
  id: e.id,
  interface: e.interface,
  region_id: e.region_id,
  region: e.region_id,
  service_id: e.service_id,
  url: e.url,
  enabled: e.enabled,
  links: selfLink(req, `endpoints/${e.id}`),
})
const groupView = (req: FastifyRequest, g: EndpointGroup) => ({
  id: g.id,
  name: g.name,
  description: g.description,
  filters: g.filters,
  links: selfLink(req, `OS-EP-FILTER/endpoint_groups/${g.id}`),
})

const EP_FIELDS = ['service_id', 'interface', 'url', 'region_id', 'region', 'enabled'] as const

/**
 * Keystone still accepts the legacy `region` when `region_id` is absent or null, and then
 * creates that region if it does not exist yet (v2-style clients, tempest).
 */
function endpointInput(known: Record<string, unknown>) {
  const { region, ...rest } = known
  if (rest.region_id == null && typeof region === 'string') {
    return { ...rest, region_id: region, createRegion: true }
  }
  return rest
}

export function registerCatalogRoutes(r: Router, d: IdentityDomain): void {
  // Regions
  r.get('/v3/regions', async (req) => {
    can(req, 'identity:list_regions', {})
    const list = await d.catalog.listRegions({ parent_region_id: qs(query(req), 'parent_region_id') })
    return collection(
      req,
      'regions',
      list.map((x) => regionView(req, x)),
      {},
      listLimit(d.config, 'catalog'),
    )
  })
  r.post('/v3/regions', async (req, reply) => {
    const body = validateBody(req.body, 'region', regionCreate)
    can(req, 'identity:create_region', {})
    const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
    const region = await d.catalog.createRegion({ ...known, id: body.id as string | undefined, extra })
    return reply.code(201).send({ region: regionView(req, region) })
  })
  r.put('/v3/regions/:id', async (req, reply) => {
    const body = validateBody(req.body, 'region', regionCreate)
    can(req, 'identity:create_region', {})
    const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
    const region = await d.catalog.createRegion({ ...known, id: params(req).id, extra })
    return reply.code(201).send({ region: regionView(req, region) })
  })
  r.get('/v3/regions/:id', async (req) => {
    can(req, 'identity:get_region', {})
    return { region: regionView(req, await d.catalog.getRegion(params(req).id!)) }
  })
  r.patch('/v3/regions/:id', async (req) => {
    const body = validateBody(req.body, 'region', regionUpdate)
    can(req, 'identity:update_region', {})
    const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
    return { region: regionView(req, await d.catalog.updateRegion(params(req).id!, { ...known, extra })) }
  })
  r.delete('/v3/regions/:id', async (req, reply) => {
    can(req, 'identity:delete_region', {})
    await d.catalog.deleteRegion(params(req).id!)
    return noContent(reply)
  })

  // Services
  r.get('/v3/services', async (req) => {
    can(req, 'identity:list_services', {})
    const q = query(req)
    const list = await d.catalog.listServices({ type: qs(q, 'type'), name: qs(q, 'name') })
    return collection(
      req,
      'services',
      list.map((x) => serviceView(req, x)),
      {},
      listLimit(d.config, 'catalog'),
    )
  })
  r.post('/v3/services', async (req, reply) => {
    const body = validateBody(req.body, 'service', serviceCreate)
    can(req, 'identity:create_service', {})
    const { known, extra } = splitExtra(body, ['type', 'enabled'])
    const s = await d.catalog.createService({ ...(known as { type: string }), extra })
    return reply.code(201).send({ service: serviceView(req, s) })
  })
  r.get('/v3/services/:id', async (req) => {
    can(req, 'identity:get_service', {})
    return { service: serviceView(req, await d.catalog.getService(params(req).id!)) }
  })
  r.patch('/v3/services/:id', async (req) => {
    const body = validateBody(req.body, 'service', serviceUpdate)
    can(req, 'identity:update_service', {})
    const { known, extra } = splitExtra(body, ['type', 'enabled'])
    return { service: serviceView(req, await d.catalog.updateService(params(req).id!, { ...known, extra })) }
  })
  r.delete('/v3/services/:id', async (req, reply) => {
    can(req, 'identity:delete_service', {})
    await d.catalog.deleteService(params(req).id!)
    return noContent(reply)
  })

  // Endpoints
  r.get('/v3/endpoints', async (req) => {
    can(req, 'identity:list_endpoints', {})
    const q = query(req)
    const list = await d.catalog.listEndpoints({
      interface: qs(q, 'interface'),
      service_id: qs(q, 'service_id'),
      region_id: qs(q, 'region_id'),
    })
    return collection(
      req,
      'endpoints',
      list.map((x) => endpointView(req, x)),
      {},
      listLimit(d.config, 'catalog'),
    )
  })
  r.post('/v3/endpoints', async (req, reply) => {
    const body = validateBody(req.body, 'endpoint', endpointCreate)
    can(req, 'identity:create_endpoint', {})
    const { known, extra } = splitExtra(body, EP_FIELDS)
    const e = await d.catalog.createEndpoint({
      ...(endpointInput(known) as { service_id: string; interface: string; url: string }),
      extra,
    })
    return reply.code(201).send({ endpoint: endpointView(req, e) })
  })
  r.get('/v3/endpoints/:id', async (req) => {
    can(req, 'identity:get_endpoint', {})
    return { endpoint: endpointView(req, await d.catalog.getEndpoint(params(req).id!)) }
  })
  r.patch('/v3/endpoints/:id', async (req) => {
    const body = validateBody(req.body, 'endpoint', endpointUpdate)
    can(req, 'identity:update_endpoint', {})
    const { known, extra } = splitExtra(body, EP_FIELDS)
    return {
      endpoint: endpointView(
        req,
        await d.catalog.updateEndpoint(params(req).id!, {
          ...(endpointInput(known) as { region_id?: string | null }),
          extra,
        }),
      ),
    }
  })
  r.delete('/v3/endpoints/:id', async (req, reply) => {
    can(req, 'identity:delete_endpoint', {})
    await d.catalog.deleteEndpoint(params(req).id!)
    return noContent(reply)
  })

  // Endpoint groups
  const EG = '/v3/OS-EP-FILTER/endpoint_groups'
  r.get(EG, async (req) => {
    can(req, 'identity:list_endpoint_groups', {})
    const list = await d.catalog.listEndpointGroups({ name: qs(query(req), 'name') })
    return collection(
      req,
      'endpoint_groups',
      list.map((x) => groupView(req, x)),
    )
  })
  r.post(EG, async (req, reply) => {
    const body = validateBody<{ name: string; description?: string; filters: Record<string, unknown> }>(
      req.body,
      'endpoint_group',
      endpointGroupCreate,
    )
    can(req, 'identity:create_endpoint_group', {})
    const g = await d.catalog.createEndpointGroup(body)
    return reply.code(201).send({ endpoint_group: groupView(req, g) })
  })
  r.get(`${EG}/:id`, async (req, reply) => {
    can(req, 'identity:get_endpoint_group', {})
    const g = await d.catalog.getEndpointGroup(params(req).id!)
    if (req.method === 'HEAD') return reply.code(200).send()
    return { endpoint_group: groupView(req, g) }
  })
  r.patch(`${EG}/:id`, async (req) => {
    const body = validateBody(req.body, 'endpoint_group', endpointGroupUpdate)
    can(req, 'identity:update_endpoint_group', {})
    return { endpoint_group: groupView(req, await d.catalog.updateEndpointGroup(params(req).id!, body)) }
  })
  r.delete(`${EG}/:id`, async (req, reply) => {
    can(req, 'identity:delete_endpoint_group', {})
    await d.catalog.deleteEndpointGroup(params(req).id!)
    return noContent(reply)
  })
  r.get(`${EG}/:id/endpoints`, async (req) => {
    can(req, 'identity:list_endpoints_associated_with_endpoint_group', {})
    const list = await d.catalog.endpointsInGroup(params(req).id!)
    return collection(
      req,
      'endpoints',
      list.map((x) => endpointView(req, x)),
    )
  })
  r.get(`${EG}/:id/projects`, async (req) => {
    can(req, 'identity:list_projects_associated_with_endpoint_group', {})
    const ids = await d.catalog.projectIdsOfEndpointGroup(params(req).id!)
    const list = await d.projects.list({ ids })
    return collection(
      req,
      'projects',
      list.map((p) => projectView(req, p)),
    )
  })
  r.put(`${EG}/:id/projects/:project`, async (req, reply) => {
    const { id, project } = params(req)
    can(req, 'identity:add_endpoint_group_to_project', {})
    await d.projects.get(project!)
    await d.catalog.addProjectToEndpointGroup(id!, project!)
    return noContent(reply)
  })
  r.get(`${EG}/:id/projects/:project`, async (req) => {
    const { id, project } = params(req)
    can(req, 'identity:get_endpoint_group_in_project', {})
    const p = await d.projects.get(project!)
    await d.catalog.checkProjectInEndpointGroup(id!, project!)
    return { project: projectView(req, p) }
  })
  r.delete(`${EG}/:id/projects/:project`, async (req, reply) => {
    const { id, project } = params(req)
    can(req, 'identity:remove_endpoint_group_from_project', {})
    await d.catalog.removeProjectFromEndpointGroup(id!, project!)
    return noContent(reply)
  })

  // Project-endpoint associations
  const PE = '/v3/OS-EP-FILTER/projects/:project/endpoints'
  r.get('/v3/OS-EP-FILTER/endpoints/:id/projects', async (req) => {
    can(req, 'identity:list_projects_for_endpoint', {})
    const ids = await d.catalog.projectIdsForEndpoint(params(req).id!)
    const list = await d.projects.list({ ids })
    return collection(
      req,
      'projects',
      list.map((p) => projectView(req, p)),
    )
  })
  r.get(PE, async (req) => {
    can(req, 'identity:list_endpoints_for_project', {})
    const { project } = params(req)
    await d.projects.get(project!)
    const list = [...(await d.catalog.endpointsForProject(project!)).values()]
    return collection(
      req,
      'endpoints',
      list.map((x) => endpointView(req, x)),
    )
  })
  r.put(`${PE}/:id`, async (req, reply) => {
    const { project, id } = params(req)
    can(req, 'identity:add_endpoint_to_project', {})
    await d.catalog.getEndpoint(id!)
    await d.projects.get(project!)
    await d.catalog.addEndpointToProject(id!, project!)
    return noContent(reply)
  })
  r.get(`${PE}/:id`, async (req, reply) => {
    const { project, id } = params(req)
    can(req, 'identity:check_endpoint_in_project', {})
    await d.catalog.getEndpoint(id!)
    await d.projects.get(project!)
    await d.catalog.checkEndpointInProject(id!, project!)
    return noContent(reply)
  })
  r.delete(`${PE}/:id`, async (req, reply) => {
    const { project, id } = params(req)
    can(req, 'identity:remove_endpoint_from_project', {})
    await d.catalog.removeEndpointFromProject(id!, project!)
    return noContent(reply)
  })
  r.get('/v3/OS-EP-FILTER/projects/:project/endpoint_groups', async (req) => {
    can(req, 'identity:list_endpoint_groups_for_project', {})
    const list = await d.catalog.endpointGroupsForProject(params(req).project!)
    return collection(
      req,
      'endpoint_groups',
      list.map((x) => groupView(req, x)),
    )
  })
}
