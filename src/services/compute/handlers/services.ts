/**
 * os-services (list; enable, disable with a reason and force down by host and binary
 * before 2.53, by id from 2.53; delete) and os-hypervisors (list, detail, show, search,
 * servers, uptime; statistics before 2.88). Ids are integers before 2.53 (the record's
 * place in the registry) and uuids from 2.53 (the service's, the provider's).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { novaTime } from '../domain/caller.js'
import type { ComputeServiceView, Hypervisor } from '../domain/services.js'
import { ComputeBadRequest, HypervisorNotFound, ServiceNotFound } from '../errors.js'
import { bodyOf, type ComputeDeps, params } from './common.js'

async function serviceIds(deps: ComputeDeps): Promise<Map<string, number>> {
  const all = await deps.services.list()
  return new Map(all.map((s, i) => [s.id, i + 1]))
}

function serviceView(req: FastifyRequest, s: ComputeServiceView, ids: Map<string, number>) {
  return {
    id: req.version.gte('2.53') ? s.id : (ids.get(s.id) ?? 0),
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: s.up ? 'up' : 'down',
    updated_at: novaTime(s.updated_at),
    disabled_reason: s.disabled_reason,
    ...(req.version.gte('2.11') ? { forced_down: s.forced_down } : {}),
  }
}

export async function listServices(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const q = req.query as Record<string, string | undefined>
  const filter = { ...(q.host ? { host: q.host } : {}), ...(q.binary ? { binary: q.binary } : {}) }
  const ids = await serviceIds(deps)
  return { services: (await deps.services.list(filter)).map((s) => serviceView(req, s, ids)) }
}

/** PUT /os-services/{action} before 2.53: enable, disable, disable-log-reason, force-down. */
export async function updateServiceByAction(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const action = params(req).service_id!
  const b = (bodyOf(req) ?? {}) as Record<string, unknown>
  if (typeof b.host !== 'string' || typeof b.binary !== 'string')
    throw new ComputeBadRequest('Invalid input for field/attribute host.')
  const s = await deps.services.find(b.host, b.binary).catch(() => {
    throw new ServiceNotFound(`${b.binary} on host ${b.host}`)
  })
  switch (action) {
    case 'enable':
      await deps.services.setDisabled(s.id, false)
      return { service: { host: s.host, binary: s.binary, status: 'enabled' } }
    case 'disable':
      await deps.services.setDisabled(s.id, true)
      return { service: { host: s.host, binary: s.binary, status: 'disabled' } }
    case 'disable-log-reason': {
      const reason = b.disabled_reason
      if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 255)
        throw new ComputeBadRequest('Missing disabled reason field')
      await deps.services.setDisabled(s.id, true, reason)
      return { service: { host: s.host, binary: s.binary, status: 'disabled', disabled_reason: reason } }
    }
    case 'force-down': {
      if (!req.version.gte('2.11')) throw new ServiceNotFound(action)
      const forced = b.forced_down === true || b.forced_down === 'true'
      await deps.services.setForcedDown(s.id, forced)
      return { service: { host: s.host, binary: s.binary, forced_down: forced } }
    }
    default:
      throw new ServiceNotFound(action)
  }
}

/** PUT /os-services/{service_id} from 2.53. */
export async function updateService(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).service_id!
  const b = (bodyOf(req) ?? {}) as { status?: string; disabled_reason?: string; forced_down?: boolean }
  if (b.status === undefined && b.forced_down === undefined)
    throw new ComputeBadRequest(
      "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
    )
  if (b.disabled_reason !== undefined && b.status !== 'disabled')
    throw new ComputeBadRequest("Specifying 'disabled_reason' with status other than 'disabled' is invalid.")
  if (b.status !== undefined)
    await deps.services.setDisabled(id, b.status === 'disabled', b.disabled_reason ?? null)
  if (b.forced_down !== undefined) await deps.services.setForcedDown(id, b.forced_down)
  return { service: serviceView(req, await deps.services.get(id), new Map()) }
}

export async function deleteService(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  let id = params(req).service_id!
  if (!req.version.gte('2.53')) {
    const ids = await serviceIds(deps)
    const found = [...ids].find(([, n]) => String(n) === id)
    if (!found) throw new ServiceNotFound(id)
    id = found[0]
  }
  await deps.services.delete(id)
  return reply.code(204).send()
}

// --- hypervisors

function hypervisorId(req: FastifyRequest, h: Hypervisor, all: Hypervisor[]): string | number {
  if (req.version.gte('2.53')) return h.providerUuid ?? h.service.id
  return all.indexOf(h) + 1
}

function hypervisorSummary(req: FastifyRequest, h: Hypervisor, all: Hypervisor[]) {
  return {
    id: hypervisorId(req, h, all),
    hypervisor_hostname: h.service.host,
    state: h.service.up ? 'up' : 'down',
    status: h.service.disabled ? 'disabled' : 'enabled',
  }
}

function hypervisorDetail(req: FastifyRequest, h: Hypervisor, all: Hypervisor[], withServers: boolean) {
  const out: Record<string, unknown> = {
    ...hypervisorSummary(req, h, all),
    hypervisor_type: 'fake',
    hypervisor_version: 1000,
    host_ip: '127.0.0.1',
    service: {
      host: h.service.host,
      id: req.version.gte('2.53') ? h.service.id : all.indexOf(h) + 1,
      disabled_reason: h.service.disabled_reason,
    },
  }
  if (!req.version.gte('2.88')) {
    Object.assign(out, {
      vcpus: h.vcpus,
      memory_mb: h.memoryMb,
      local_gb: h.localGb,
      vcpus_used: h.vcpusUsed,
      memory_mb_used: h.memoryMbUsed,
      local_gb_used: h.localGbUsed,
      free_ram_mb: h.memoryMb - h.memoryMbUsed,
      free_disk_gb: h.localGb - h.localGbUsed,
      current_workload: 0,
      running_vms: h.runningVms,
      disk_available_least: h.localGb - h.localGbUsed,
      cpu_info: req.version.gte('2.28')
        ? {
            arch: 'x86_64',
            model: 'fake',
            vendor: 'fake',
            features: [],
            topology: { cores: 1, threads: 1, sockets: h.vcpus },
          }
        : '{}',
    })
  }
  if (withServers) out.servers = h.servers
  return out
}

async function hypervisorList(req: FastifyRequest, deps: ComputeDeps, detail: boolean) {
  const q = req.query as Record<string, string | undefined>
  const withServers =
    req.version.gte('2.53') &&
    q.with_servers !== undefined &&
    ['true', '1', 'yes'].includes(q.with_servers.toLowerCase())
  const all = await deps.services.hypervisors({ withServers })
  let list = all
  if (q.hypervisor_hostname_pattern !== undefined) {
    list = all.filter((h) => h.service.host.includes(q.hypervisor_hostname_pattern!))
    if (list.length === 0) throw new HypervisorNotFound(q.hypervisor_hostname_pattern)
  }
  return {
    hypervisors: list.map((h) =>
      detail
        ? hypervisorDetail(req, h, all, withServers)
        : { ...hypervisorSummary(req, h, all), ...(withServers ? { servers: h.servers } : {}) },
    ),
  }
}

export const listHypervisors = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) =>
  hypervisorList(req, deps, false)
export const listHypervisorDetails = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) =>
  hypervisorList(req, deps, true)

async function findHypervisor(req: FastifyRequest, deps: ComputeDeps) {
  const id = params(req).hypervisor_id!
  const all = await deps.services.hypervisors({ withServers: true })
  const h = req.version.gte('2.53')
    ? all.find((x) => x.providerUuid === id)
    : all[Number(id) - 1] && /^\d+$/.test(id)
      ? all[Number(id) - 1]
      : undefined
  if (!h) throw new HypervisorNotFound(id)
  return { h, all }
}

export async function showHypervisor(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const { h, all } = await findHypervisor(req, deps)
  const q = req.query as Record<string, string | undefined>
  const withServers = req.version.gte('2.53') && q.with_servers !== undefined
  const out = hypervisorDetail(req, h, all, withServers)
  if (req.version.gte('2.88')) out.uptime = uptime()
  return { hypervisor: out }
}

export async function hypervisorUptime(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const { h, all } = await findHypervisor(req, deps)
  return { hypervisor: { ...hypervisorSummary(req, h, all), uptime: uptime() } }
}

export async function searchHypervisors(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const pattern = params(req).pattern!
  const all = await deps.services.hypervisors({ withServers: true })
  const found = all.filter((h) => h.service.host.includes(pattern))
  if (found.length === 0) throw new HypervisorNotFound(pattern)
  const servers = req.url.split('?')[0]!.endsWith('/servers')
  return {
    hypervisors: found.map((h) => ({
      ...hypervisorSummary(req, h, all),
      ...(servers && h.servers.length ? { servers: h.servers } : {}),
    })),
  }
}

export async function hypervisorStatistics(_req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const all = await deps.services.hypervisors()
  const sum = (f: (h: Hypervisor) => number) => all.reduce((n, h) => n + f(h), 0)
  return {
    hypervisor_statistics: {
      count: all.length,
      vcpus: sum((h) => h.vcpus),
      memory_mb: sum((h) => h.memoryMb),
      local_gb: sum((h) => h.localGb),
      vcpus_used: sum((h) => h.vcpusUsed),
      memory_mb_used: sum((h) => h.memoryMbUsed),
      local_gb_used: sum((h) => h.localGbUsed),
      free_ram_mb: sum((h) => h.memoryMb - h.memoryMbUsed),
      free_disk_gb: sum((h) => h.localGb - h.localGbUsed),
      current_workload: 0,
      running_vms: sum((h) => h.runningVms),
      disk_available_least: sum((h) => h.localGb - h.localGbUsed),
    },
  }
}

/** The uptime line `uptime` prints, from this process's host. */
function uptime(): string {
  const s = Math.floor(process.uptime())
  const t = new Date().toTimeString().slice(0, 8)
  return ` ${t} up ${Math.floor(s / 60)} min,  0 users,  load average: 0.00, 0.00, 0.00`
}
