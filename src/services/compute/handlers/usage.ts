/**
 * os-simple-tenant-usage: every project's usage in a period (admins; `detailed=1` adds
 * each server's), and one project's with its servers. `start` and `end` default to now.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { usagePeriod } from '../domain/tenant-usage.js'
import { ComputeNotFound } from '../errors.js'
import { USAGE } from '../schemas/servers.js'
import { toBool } from '../schemas/types.js'
import { type ComputeDeps, params, queryOf } from './common.js'

export async function listUsage(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  // NOTE: `/os-simple-tenant-usage/` names an empty tenant id, which upstream routes nowhere.
  if (req.url.split('?')[0]!.endsWith('/')) throw new ComputeNotFound()
  const q = queryOf(req, USAGE)
  const detailed = q.detailed !== undefined && toBool(q.detailed)
  const usages = await deps.usages.usage(usagePeriod(q.start, q.end))
  return {
    tenant_usages: usages.map(({ server_usages, ...t }) => (detailed ? { ...t, server_usages } : t)),
  }
}

export async function showUsage(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const q = queryOf(req, USAGE)
  const [usage] = await deps.usages.usage(usagePeriod(q.start, q.end), params(req).tenant_id!)
  return { tenant_usage: usage ?? {} }
}
