/**
 * os-hosts (up to 2.42: list with a zone filter, show, update status/maintenance_mode,
 * the startup/shutdown/reboot GETs) and os-instance-usage-audit-log (the report of the
 * last completed audit period, before now or before a given time).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseAuditTimestamp } from '../domain/usage-audit.js'
import { bodyOf, type ComputeDeps, params } from './common.js'

export async function listHosts(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const zone = [(req.query as Record<string, string | string[] | undefined>).zone ?? []].flat().at(-1)
  return { hosts: await deps.hostAdmin.list(zone) }
}

export async function showHost(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const resources = await deps.hostAdmin.show(params(req).host_name!)
  return { host: resources.map((resource) => ({ resource })) }
}

/** `enable` in any case turns a key on; the status is applied before maintenance mode. */
export async function updateHost(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const host = params(req).host_name!
  const b = bodyOf(req) as { status?: string; maintenance_mode?: string }
  const out: Record<string, string> = { host }
  if (b.status !== undefined)
    out.status = await deps.hostAdmin.setEnabled(host, b.status.toLowerCase() === 'enable')
  if (b.maintenance_mode !== undefined) await deps.hostAdmin.setMaintenance(host)
  return out
}

/** GET /os-hosts/{host}/{startup|shutdown|reboot}. */
export async function hostPowerAction(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return deps.hostAdmin.powerAction(params(req).host_name!)
}

export async function listUsageAudits(_req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { instance_usage_audit_logs: await deps.usageAudits.report() }
}

export async function showUsageAudit(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const before = parseAuditTimestamp(params(req).before_timestamp!)
  return { instance_usage_audit_log: await deps.usageAudits.report(before) }
}
