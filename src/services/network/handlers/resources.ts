/**
 * The standard collections: each is the shared collection handlers over one domain.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { caller, collection, type NetworkDeps, params } from './common.js'

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
