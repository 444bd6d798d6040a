/**
 * The standard collections: each is the shared collection handlers over one domain.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { availabilityZones, exactJson } from '../domain/availability.js'
import { badRequest } from '../errors.js'
import { caller, collection, fieldsOf, type NetworkDeps, params, query } from './common.js'

export const networks = collection((d) => d.networks, 'networks')
export const subnets = collection((d) => d.subnets, 'subnets')
export const ports = collection((d) => d.ports, 'ports')
export const securityGroups = collection((d) => d.securityGroups, 'security-groups')
export const securityGroupRules = collection((d) => d.securityGroupRules, 'security-group-rules')
export const routers = collection((d) => d.routers, 'routers')
export const floatingIps = collection((d) => d.floatingIps, 'floatingips')

export async function addRouterInterface(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return deps.routers.addInterface(caller(req), params(req).id!, req.body)
}

export async function removeRouterInterface(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return deps.routers.removeInterface(caller(req), params(req).id!, req.body)
}

export async function addExtraRoutes(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { router: await deps.routers.changeRoutes(caller(req), params(req).id!, req.body, true) }
}

export async function removeExtraRoutes(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { router: await deps.routers.changeRoutes(caller(req), params(req).id!, req.body, false) }
}

export const agents = collection((d) => d.agents, 'agents')
export const addressScopes = collection((d) => d.addressScopes, 'address-scopes')
export const subnetPools = collection((d) => d.subnetPools, 'subnetpools')
export const trunks = collection((d) => d.trunks, 'trunks')
export const rbacPolicies = collection((d) => d.rbacPolicies, 'rbac-policies')
export const segments = collection((d) => d.segments, 'segments')
export const meteringLabels = collection((d) => d.meteringLabels, 'metering/metering-labels')
export const meteringRules = collection((d) => d.meteringRules, 'metering/metering-label-rules')

export async function addSubports(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return deps.trunks.changeSubports(caller(req), params(req).id!, req.body, true)
}

export async function removeSubports(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return deps.trunks.changeSubports(caller(req), params(req).id!, req.body, false)
}

export async function getSubports(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { sub_ports: await deps.trunks.subports(caller(req), params(req).id!) }
}

export async function listIpAvailability(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  const body = { network_ip_availabilities: await deps.ipAvailability.list(caller(req), query(req)) }
  return reply.type('application/json').send(exactJson(body))
}

export async function showIpAvailability(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  const body = { network_ip_availability: await deps.ipAvailability.show(caller(req), params(req).id!) }
  return reply.type('application/json').send(exactJson(body))
}

export async function listAvailabilityZones(req: FastifyRequest) {
  caller(req).can('get_availability_zone', {})
  const q = query(req)
  return {
    availability_zones: availabilityZones().filter(
      (z) =>
        (q.resource === undefined || z.resource === q.resource) &&
        (q.name === undefined || z.name === q.name),
    ),
  }
}

export async function listDhcpAgentsOfNetwork(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const c = caller(req)
  const net = await deps.networks.load(c, params(req).id!)
  return { agents: await deps.agents.agentsHosting(c, net) }
}

export async function listNetworksOfDhcpAgent(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const c = caller(req)
  const nets = await deps.agents.networksHosted(c, params(req).id!)
  return { networks: await Promise.all(nets.map((n) => deps.networks.show(c, n.id))) }
}

export async function addNetworkToDhcpAgent(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  const networkId = (req.body as { network_id?: unknown } | undefined)?.network_id
  if (typeof networkId !== 'string') throw badRequest("Invalid input: 'network_id' is required.")
  await deps.agents.host(caller(req), params(req).id!, networkId, true)
  // Upstream answers the scheduling with a JSON null, which clients parse.
  return reply.code(201).type('application/json').send('null')
}

export async function removeNetworkFromDhcpAgent(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: NetworkDeps,
) {
  await deps.agents.host(caller(req), params(req).id!, params(req).network_id!, false)
  return reply.code(204).send()
}

/** GET /v2.0/auto-allocated-topology/<project> (`?fields=dry-run` checks only). */
export async function getAutoTopology(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const dryRun = (fieldsOf(req) ?? []).includes('dry-run')
  const c = caller(req)
  return { auto_allocated_topology: await deps.autoTopology.get(c, topologyProject(req), dryRun) }
}

/** The project in the URL; `None` (what clients send for "mine") is the caller's. */
function topologyProject(req: FastifyRequest): string {
  const p = params(req).project_id!
  return p === 'None' || p === '' ? caller(req).projectId : p
}

export async function deleteAutoTopology(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  await deps.autoTopology.delete(caller(req), topologyProject(req))
  return reply.code(204).send()
}
