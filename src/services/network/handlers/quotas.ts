/**
 * Quotas (`quotas` and `quota_details`): the projects with limits of their own, one
 * project's limits, its defaults, its usage, update and reset. The URL's project is the
 * policy target.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { caller, type NetworkDeps, params } from './common.js'

export async function listQuotas(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const c = caller(req)
  const projects = (await deps.quotas.projects()).filter((p) =>
    c.allows('get_quota', { project_id: p, tenant_id: p }),
  )
  return {
    quotas: await Promise.all(
      projects.map(async (p) => ({ ...(await deps.quotas.limits(p)), project_id: p, tenant_id: p })),
    ),
  }
}

export async function showQuota(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { quota: await deps.quotas.limits(params(req).project_id!) }
}

export async function showDefaultQuota(_req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { quota: deps.quotas.defaults() }
}

export async function showQuotaDetails(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { quota: await deps.quotas.details(params(req).project_id!) }
}

export async function updateQuota(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  return { quota: await deps.quotas.update(params(req).project_id!, req.body) }
}

export async function deleteQuota(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  await deps.quotas.reset(params(req).project_id!)
  return reply.code(204).send()
}
