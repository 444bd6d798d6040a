/**
 * /resource_providers/{uuid}/usages and /usages (1.9).
 */
import type { FastifyRequest } from 'fastify'
import * as usage from '../domain/usages.js'
import { cacheHeaders, validateQuery } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { type Handler, params } from './handler.js'

export const providerUsages: Handler = async (req, reply, d) => {
  const p = await d.pl.provider(params(req).uuid)
  cacheHeaders(req, reply, undefined)
  return { resource_provider_generation: p.generation, usages: usage.providerUsages(p) }
}

/** The policy target of GET /usages: its (validated) project. */
export const usagesTarget = (req: FastifyRequest) => ({
  project_id: validateQuery(req, S.usagesQuery(req.version)).project_id,
})

export const totalUsages: Handler = async (req, reply, d) => {
  const q = validateQuery(req, S.usagesQuery(req.version))
  const s = await d.pl.state()
  const who = { projectId: q.project_id!, userId: q.user_id }
  cacheHeaders(req, reply, undefined)
  if (!req.version.gte('1.38')) return { usages: usage.totalUsages(s, who) }
  return { usages: usage.usagesByConsumerType(s, { ...who, consumerType: q.consumer_type }) }
}
