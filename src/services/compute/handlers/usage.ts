/**
 * os-simple-tenant-usage: every project's usage in a period (admins; `detailed=1` adds
 * each server's), and one project's with its servers. `start` and `end` default to now.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { usagePeriod } from '../domain/tenant-usage.js'
import { ComputeNotFound } from '../errors.js'
import { USAGE } from '../schemas/servers.js'
import { toBool } from '../schemas/types.js'
import { apiUrl, type ComputeDeps, pagingOf, params, queryOf } from './common.js'

/** limit and marker from 2.40 (a page of servers); none before. */
function pageOf(req: FastifyRequest, q: Record<string, string | undefined>, deps: ComputeDeps) {
  if (!req.version.gte('2.40')) return {}
  const p = pagingOf(q)
  const max = deps.config.api.max_limit
  return { ...p, limit: Math.min(p.limit ?? max, max) }
}

/** The next page's link when a page is full (2.40). */
function links(req: FastifyRequest, deps: ComputeDeps, path: string, last: string | undefined) {
  if (last === undefined) return undefined
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[]>))
    if (k !== 'marker') for (const one of [v].flat()) params.append(k, one)
  params.append('marker', last)
  return [{ rel: 'next', href: `${apiUrl(req, deps)}/${path}?${params.toString()}` }]
}

export async function listUsage(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  // NOTE: `/os-simple-tenant-usage/` names an empty tenant id, which upstream routes nowhere.
  if (req.url.split('?')[0]!.endsWith('/')) throw new ComputeNotFound()
  const q = queryOf(req, USAGE)
  const detailed = q.detailed !== undefined && toBool(q.detailed)
  const usages = await deps.usages.usage(usagePeriod(q.start, q.end), undefined, pageOf(req, q, deps))
  const next = links(req, deps, 'os-simple-tenant-usage', usages.last)
  return {
    tenant_usages: usages.map(({ server_usages, ...t }) => (detailed ? { ...t, server_usages } : t)),
    ...(next ? { tenant_usages_links: next } : {}),
  }
}

export async function showUsage(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const q = queryOf(req, USAGE)
  const tenant = params(req).tenant_id!
  const usages = await deps.usages.usage(usagePeriod(q.start, q.end), tenant, pageOf(req, q, deps))
  const next = links(req, deps, `os-simple-tenant-usage/${encodeURIComponent(tenant)}`, usages.last)
  return { tenant_usage: usages[0] ?? {}, ...(next ? { tenant_usage_links: next } : {}) }
}
