/**
 * /v3/regions, /v3/services, /v3/endpoints and /v3/OS-EP-FILTER endpoint groups.
 */
import type { FastifyRequest } from 'fastify'
import type { Endpoint, EndpointGroup, Region, Service } from '../domain/catalog.js'
import { splitExtra } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import { bodyOf, can, collection, noContent, params, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'
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
export const endpointView = (req: FastifyRequest, e: Endpoint) => ({
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

// Regions

/** GET /v3/regions */
export const listRegions: Handler = async (req, _reply, d) => {
  const list = await d.catalog.listRegions({ parent_region_id: qs(query(req), 'parent_region_id') })
  return collection(
    req,
    'regions',
    list.map((x) => regionView(req, x)),
    {},
    listLimit(d.config, 'catalog'),
  )
}

/** POST /v3/regions */
export const createRegion: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'region')
  const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
  const region = await d.catalog.createRegion({ ...known, id: body.id as string | undefined, extra })
  return reply.code(201).send({ region: regionView(req, region) })
}

/** PUT /v3/regions/:id */
export const createRegionWithId: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'region')
  const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
  const region = await d.catalog.createRegion({ ...known, id: params(req).id, extra })
  return reply.code(201).send({ region: regionView(req, region) })
}

/** GET /v3/regions/:id */
export const getRegion: Handler = async (req, _reply, d) => {
  return { region: regionView(req, await d.catalog.getRegion(params(req).id!)) }
}

/** PATCH /v3/regions/:id */
export const updateRegion: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'region')
  const { known, extra } = splitExtra(body, ['description', 'parent_region_id'])
  return { region: regionView(req, await d.catalog.updateRegion(params(req).id!, { ...known, extra })) }
}

/** DELETE /v3/regions/:id */
export const deleteRegion: Handler = async (req, reply, d) => {
  await d.catalog.deleteRegion(params(req).id!)
  return noContent(reply)
}

// Services

/** GET /v3/services */
export const listServices: Handler = async (req, _reply, d) => {
  const q = query(req)
  const list = await d.catalog.listServices({ type: qs(q, 'type'), name: qs(q, 'name') })
  return collection(
    req,
    'services',
    list.map((x) => serviceView(req, x)),
    {},
    listLimit(d.config, 'catalog'),
  )
}

/** POST /v3/services */
export const createService: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'service')
  const { known, extra } = splitExtra(body, ['type', 'enabled'])
  const s = await d.catalog.createService({ ...(known as { type: string }), extra })
  return reply.code(201).send({ service: serviceView(req, s) })
}

/** GET /v3/services/:id */
export const getService: Handler = async (req, _reply, d) => {
  return { service: serviceView(req, await d.catalog.getService(params(req).id!)) }
}

/** PATCH /v3/services/:id */
export const updateService: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'service')
  const { known, extra } = splitExtra(body, ['type', 'enabled'])
  return { service: serviceView(req, await d.catalog.updateService(params(req).id!, { ...known, extra })) }
}

/** DELETE /v3/services/:id */
export const deleteService: Handler = async (req, reply, d) => {
  await d.catalog.deleteService(params(req).id!)
  return noContent(reply)
}

// Endpoints

/** GET /v3/endpoints */
export const listEndpoints: Handler = async (req, _reply, d) => {
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
}

/** POST /v3/endpoints */
export const createEndpoint: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'endpoint')
  const { known, extra } = splitExtra(body, EP_FIELDS)
  const e = await d.catalog.createEndpoint({
    ...(endpointInput(known) as { service_id: string; interface: string; url: string }),
    extra,
  })
  return reply.code(201).send({ endpoint: endpointView(req, e) })
}

/** GET /v3/endpoints/:id */
export const getEndpoint: Handler = async (req, _reply, d) => {
  // As Keystone, the endpoint is looked up before the policy check: a missing one is 404
  // for every caller (the same for update and delete).
  const endpoint = await d.catalog.getEndpoint(params(req).id!)
  can(req, 'identity:get_endpoint', { endpoint })
  return { endpoint: endpointView(req, endpoint) }
}

/** PATCH /v3/endpoints/:id */
export const updateEndpoint: Handler = async (req, _reply, d) => {
  can(req, 'identity:update_endpoint', { endpoint: await d.catalog.getEndpoint(params(req).id!) })
  const body = bodyOf(req, 'endpoint')
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
}

/** DELETE /v3/endpoints/:id */
export const deleteEndpoint: Handler = async (req, reply, d) => {
  can(req, 'identity:delete_endpoint', { endpoint: await d.catalog.getEndpoint(params(req).id!) })
  await d.catalog.deleteEndpoint(params(req).id!)
  return noContent(reply)
}

// Endpoint groups

/** GET /v3/OS-EP-FILTER/endpoint_groups */
export const listEndpointGroups: Handler = async (req, _reply, d) => {
  const list = await d.catalog.listEndpointGroups({ name: qs(query(req), 'name') })
  return collection(
    req,
    'endpoint_groups',
    list.map((x) => groupView(req, x)),
  )
}

/** POST /v3/OS-EP-FILTER/endpoint_groups */
export const createEndpointGroup: Handler = async (req, reply, d) => {
  const body = bodyOf<{ name: string; description?: string; filters: Record<string, unknown> }>(
    req,
    'endpoint_group',
  )
  const g = await d.catalog.createEndpointGroup(body)
  return reply.code(201).send({ endpoint_group: groupView(req, g) })
}

/** GET /v3/OS-EP-FILTER/endpoint_groups/:id */
export const getEndpointGroup: Handler = async (req, reply, d) => {
  const g = await d.catalog.getEndpointGroup(params(req).id!)
  if (req.method === 'HEAD') return reply.code(200).send()
  return { endpoint_group: groupView(req, g) }
}

/** PATCH /v3/OS-EP-FILTER/endpoint_groups/:id */
export const updateEndpointGroup: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'endpoint_group')
  return { endpoint_group: groupView(req, await d.catalog.updateEndpointGroup(params(req).id!, body)) }
}

/** DELETE /v3/OS-EP-FILTER/endpoint_groups/:id */
export const deleteEndpointGroup: Handler = async (req, reply, d) => {
  await d.catalog.deleteEndpointGroup(params(req).id!)
  return noContent(reply)
}

/** GET /v3/OS-EP-FILTER/endpoint_groups/:id/endpoints */
export const listEndpointsAssociatedWithEndpointGroup: Handler = async (req, _reply, d) => {
  const list = await d.catalog.endpointsInGroup(params(req).id!)
  return collection(
    req,
    'endpoints',
    list.map((x) => endpointView(req, x)),
  )
}

/** GET /v3/OS-EP-FILTER/endpoint_groups/:id/projects */
export const listProjectsAssociatedWithEndpointGroup: Handler = async (req, _reply, d) => {
  const ids = await d.catalog.projectIdsOfEndpointGroup(params(req).id!)
  const list = await d.projects.list({ ids })
  return collection(
    req,
    'projects',
    list.map((p) => projectView(req, p)),
  )
}

/** PUT /v3/OS-EP-FILTER/endpoint_groups/:id/projects/:project */
export const addEndpointGroupToProject: Handler = async (req, reply, d) => {
  const { id, project } = params(req)
  await d.projects.get(project!)
  await d.catalog.addProjectToEndpointGroup(id!, project!)
  return noContent(reply)
}

/** GET /v3/OS-EP-FILTER/endpoint_groups/:id/projects/:project */
export const getEndpointGroupInProject: Handler = async (req, _reply, d) => {
  const { id, project } = params(req)
  const p = await d.projects.get(project!)
  await d.catalog.checkProjectInEndpointGroup(id!, project!)
  return { project: projectView(req, p) }
}

/** DELETE /v3/OS-EP-FILTER/endpoint_groups/:id/projects/:project */
export const removeEndpointGroupFromProject: Handler = async (req, reply, d) => {
  const { id, project } = params(req)
  await d.catalog.removeProjectFromEndpointGroup(id!, project!)
  return noContent(reply)
}

// Project-endpoint associations

/** GET /v3/OS-EP-FILTER/endpoints/:id/projects */
export const listProjectsForEndpoint: Handler = async (req, _reply, d) => {
  const ids = await d.catalog.projectIdsForEndpoint(params(req).id!)
  const list = await d.projects.list({ ids })
  return collection(
    req,
    'projects',
    list.map((p) => projectView(req, p)),
  )
}

/** GET /v3/OS-EP-FILTER/projects/:project/endpoints */
export const listEndpointsForProject: Handler = async (req, _reply, d) => {
  const { project } = params(req)
  await d.projects.get(project!)
  const list = [...(await d.catalog.endpointsForProject(project!)).values()]
  return collection(
    req,
    'endpoints',
    list.map((x) => endpointView(req, x)),
  )
}

/** PUT /v3/OS-EP-FILTER/projects/:project/endpoints/:id */
export const addEndpointToProject: Handler = async (req, reply, d) => {
  const { project, id } = params(req)
  await d.catalog.getEndpoint(id!)
  await d.projects.get(project!)
  await d.catalog.addEndpointToProject(id!, project!)
  return noContent(reply)
}

/** GET /v3/OS-EP-FILTER/projects/:project/endpoints/:id */
export const checkEndpointInProject: Handler = async (req, reply, d) => {
  const { project, id } = params(req)
  await d.catalog.getEndpoint(id!)
  await d.projects.get(project!)
  await d.catalog.checkEndpointInProject(id!, project!)
  return noContent(reply)
}

/** DELETE /v3/OS-EP-FILTER/projects/:project/endpoints/:id */
export const removeEndpointFromProject: Handler = async (req, reply, d) => {
  const { project, id } = params(req)
  await d.catalog.removeEndpointFromProject(id!, project!)
  return noContent(reply)
}

/** GET /v3/OS-EP-FILTER/projects/:project/endpoint_groups */
export const listEndpointGroupsForProject: Handler = async (req, _reply, d) => {
  const list = await d.catalog.endpointGroupsForProject(params(req).project!)
  return collection(
    req,
    'endpoint_groups',
    list.map((x) => groupView(req, x)),
  )
}
