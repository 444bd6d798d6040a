/**
 * Cloudlet's scheduler explain route (no upstream counterpart): the full scheduling
 * decision for a hypothetical request, without booting or claiming.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { bodyOf, type ComputeDeps, callerOf } from './common.js'

export async function explainScheduling(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const r = bodyOf(req).request as {
    flavorRef: string | number
    imageRef?: string
    project_id?: string
    availability_zone?: string
    scheduler_hints?: Record<string, string | string[]>
    count?: number
  }
  const result = await deps.explainer.explain(
    callerOf(req),
    {
      flavorRef: String(r.flavorRef),
      ...(r.imageRef ? { imageRef: r.imageRef } : {}),
      ...(r.project_id ? { projectId: r.project_id } : {}),
      ...(r.availability_zone ? { availabilityZone: r.availability_zone } : {}),
      hints: r.scheduler_hints ?? {},
      count: r.count ?? 1,
    },
    req.id,
  )
  return { scheduler_explanation: { hosts: result.hosts, ...result.explanation } }
}
