/**
 * Server handlers: create (202 with the new server's id and admin password, or the
 * reservation id), list and detail with upstream's filters and sort keys, show,
 * update, delete and the deferred-delete actions. Policies whose target is the
 * server's project are checked against the loaded server.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { requestedDevices } from '../domain/block-devices.js'
import { type Server, statusFilter } from '../domain/servers.js'
import { ComputeBadRequest, ServerNotFound } from '../errors.js'
import { SERVER } from '../policies/index.js'
import { LIST_SERVERS } from '../schemas/servers.js'
import { toBool } from '../schemas/types.js'
import { type ListFilter, SORT_COLUMNS, type SortColumn } from '../storage/server.repo.js'
import { bodyOf, type ComputeDeps, callerOf, nextLink, params, queryOf } from './common.js'
import { serverSummary, serverView, type ViewContext } from './server-views.js'

/** Loads a server and checks `rule` against its project (404 before 403, as upstream). */
export async function loadServer(req: FastifyRequest, deps: ComputeDeps, rule: string): Promise<Server> {
  const s = await deps.servers.get(params(req).server_id!)
  // NOTE: another project's server does not exist for a non-admin (upstream reads it
  // with the caller's project as a filter).
  if (s.project_id !== req.ctx.who.project_id && !callerOf(req).isAdmin) throw new ServerNotFound(s.uuid)
  req.ctx.can(rule, { project_id: s.project_id, user_id: s.user_id })
  return s
}

export function viewContext(req: FastifyRequest, deps: ComputeDeps, servers: readonly Server[]): ViewContext {
  const vc: ViewContext = {}
  if (
    req.version.gte('2.16') &&
    servers.length &&
    req.ctx.allows(SERVER.HOST_STATUS, { project_id: servers[0]!.project_id })
  )
    vc.hostStatus = (host) => (host ? (deps.hostStatus.get(host) ?? 'UNKNOWN') : '')
  return vc
}

async function refreshHostStatus(deps: ComputeDeps): Promise<void> {
  const services = await deps.hosts.services()
  deps.hostStatus.clear()
  for (const s of services.filter((x) => x.binary === 'nova-compute'))
    deps.hostStatus.set(s.host, s.forcedDown || !s.up ? 'DOWN' : s.disabled ? 'MAINTENANCE' : 'UP')
}

export async function createServer(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const body = bodyOf(req)
  const s = body.server
  const caller = callerOf(req)
  const target = { project_id: caller.projectId, user_id: caller.userId }
  const zone = s.availability_zone as string | undefined
  if (zone?.includes(':')) req.ctx.can(SERVER.FORCED_HOST, target)
  if (s.host !== undefined || s.hypervisor_hostname !== undefined)
    req.ctx.can(SERVER.REQUESTED_DESTINATION, target)
  if (Array.isArray(s.networks) && s.networks.length) req.ctx.can(SERVER.ATTACH_NETWORK, target)
  for (const n of Array.isArray(s.networks) ? (s.networks as { uuid?: string }[]) : [])
    if (n.uuid !== undefined && !UUID_LIKE.test(n.uuid))
      throw new ComputeBadRequest(`Bad networks format: network uuid is not in proper format (${n.uuid})`)
  if (s.user_data !== undefined && !isBase64(s.user_data))
    throw new ComputeBadRequest('User data needs to be valid base 64.')
  const min = s.min_count === undefined ? 1 : Number(s.min_count)
  const max = s.max_count === undefined ? min : Number(s.max_count)
  if (min > max) throw new ComputeBadRequest('min_count must be <= max_count')
  const blockDevices = requestedDevices(s.block_device_mapping_v2, s.block_device_mapping, s.imageRef)
  if (Array.isArray(s.personality))
    await deps.servers.checkPersonality(caller.projectId, caller.userId, s.personality)
  const hints = { ...(body['OS-SCH-HNT:scheduler_hints'] ?? {}), ...(body['os:scheduler_hints'] ?? {}) }
  const created = await deps.servers.create(caller, {
    name: s.name,
    imageRef: s.imageRef ?? '',
    ...(blockDevices.length ? { blockDevices } : {}),
    flavorRef: String(s.flavorRef),
    metadata: s.metadata ?? {},
    ...(s.key_name !== undefined ? { keyName: s.key_name } : {}),
    ...(s.user_data !== undefined ? { userData: s.user_data } : {}),
    ...(zone !== undefined ? { availabilityZone: zone } : {}),
    ...(s.host !== undefined ? { host: s.host } : {}),
    ...(s.hypervisor_hostname !== undefined ? { hypervisorHostname: s.hypervisor_hostname } : {}),
    hints: Object.fromEntries(
      Object.entries(hints).map(([k, v]) => [
        k,
        typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : (v as string | string[]),
      ]),
    ),
    minCount: min,
    maxCount: max,
    tags: s.tags ?? [],
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
    configDrive: s.config_drive === undefined ? false : toBool(s.config_drive),
    networks: s.networks ?? 'auto',
    ...(s.networks === undefined ? { networksOmitted: true } : {}),
    ...(Array.isArray(s.security_groups)
      ? { securityGroups: (s.security_groups as { name?: string }[]).map((g) => String(g.name ?? '')) }
      : {}),
    ...(s.accessIPv4 !== undefined ? { accessIPv4: s.accessIPv4 } : {}),
    ...(s.accessIPv6 !== undefined ? { accessIPv6: s.accessIPv6 } : {}),
    ...(s.adminPass !== undefined ? { adminPass: s.adminPass } : {}),
    ...(s['OS-DCF:diskConfig'] !== undefined ? { diskConfig: s['OS-DCF:diskConfig'] } : {}),
    requestId: req.id,
    ...(typeof req.headers['x-auth-token'] === 'string' ? { userToken: req.headers['x-auth-token'] } : {}),
  })
  reply.code(202)
  if (s.return_reservation_id !== undefined && toBool(s.return_reservation_id))
    return { reservation_id: created.reservationId }
  const first = created.first
  reply.header('location', serverSummary(req, deps, first).links[0]!.href)
  return {
    server: {
      id: first.uuid,
      links: serverSummary(req, deps, first).links,
      'OS-DCF:diskConfig': first.auto_disk_config ? 'AUTO' : 'MANUAL',
      security_groups: [{ name: 'default' }],
      adminPass: created.adminPass,
    },
  }
}

/** What upstream's is_uuid_like accepts: 32 hex digits, dashes anywhere. */
const UUID_LIKE = /^(?:[0-9a-f]-?){31}[0-9a-f]$/i

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/\n\r]*={0,2}[\n\r]*$/.test(s) && s.replace(/[\n\r]/g, '').length % 4 === 0
}

/** The list filter a request asks for, as far as the caller may ask. */
function listFilter(
  req: FastifyRequest,
  detail: boolean,
): { f: ListFilter; nameRe?: RegExp; limit?: number; marker?: string } {
  const q = queryOf(req, LIST_SERVERS)
  const caller = callerOf(req)
  const target = { project_id: caller.projectId }
  const allFilters = req.ctx.allows(SERVER.ALL_FILTERS, target)
  const allTenants = q.all_tenants !== undefined && (q.all_tenants === '' || toBoolish(q.all_tenants))
  // NOTE: asking for every project's servers without the right is a 403, as upstream,
  // not a quiet list of the caller's own.
  if (allTenants) req.ctx.can(detail ? SERVER.DETAIL_ALL : SERVER.INDEX_ALL, target)
  const f: ListFilter = { sort: [] }
  if (allTenants) {
    const project = q.project_id ?? q.tenant_id
    if (project !== undefined) f.projectId = project
  } else f.projectId = caller.projectId
  if (q.status !== undefined) {
    const st = statusFilter(q.status)
    if (!st) {
      // NOTE: an unknown status is a 400 from 2.38 on; before it the list is empty, as
      // clients written for the older versions expect.
      if (req.version.gte('2.38')) throw new ComputeBadRequest(`Invalid status value`)
      f.vmStates = []
    } else {
      f.vmStates = st.vmStates
      if (st.taskStates) f.taskStates = st.taskStates
    }
  }
  if (q.image !== undefined) f.imageRef = q.image.replace(/^.*\/images\//, '')
  if (q.flavor !== undefined) f.flavorId = q.flavor.replace(/^.*\/flavors\//, '')
  if (q.reservation_id !== undefined) f.reservationId = q.reservation_id
  if (q['changes-since'] !== undefined) {
    f.changesSince = time(q['changes-since'], 'changes-since')
    f.deleted = true
  }
  if (q['changes-before'] !== undefined) {
    f.changesBefore = time(q['changes-before'], 'changes-before')
    f.deleted = true
  }
  if (f.changesSince && f.changesBefore && f.changesSince > f.changesBefore)
    throw new ComputeBadRequest('The value of changes-since must be less than or equal to changes-before.')
  if (q.locked !== undefined && req.version.gte('2.73')) f.locked = toBoolish(q.locked)
  if (q.availability_zone !== undefined && req.version.gte('2.83')) f.availabilityZone = q.availability_zone
  if (q.key_name !== undefined && (allFilters || req.version.gte('2.83'))) f.keyName = q.key_name
  if (q.tags !== undefined) f.tagsAll = q.tags.split(',')
  if (q['tags-any'] !== undefined) f.tagsAny = q['tags-any'].split(',')
  if (q['not-tags'] !== undefined) f.notTagsAll = q['not-tags'].split(',')
  if (q['not-tags-any'] !== undefined) f.notTagsAny = q['not-tags-any'].split(',')
  if (allFilters) {
    if (q.host !== undefined) f.host = q.host
    if (q.node !== undefined) f.node = q.node
    if (q.uuid !== undefined) f.uuid = q.uuid
    if (q.user_id !== undefined) f.userId = q.user_id
    if (q.vm_state !== undefined) f.vmStates = [q.vm_state]
    if (q.task_state !== undefined) f.taskStates = [q.task_state]
    if (q.power_state !== undefined && /^\d+$/.test(q.power_state)) f.powerState = Number(q.power_state)
    if (q.deleted !== undefined && toBoolish(q.deleted)) {
      f.onlyDeleted = true
      f.deleted = true
    }
  } else if (req.version.gte('2.83')) {
    if (q.user_id !== undefined) f.userId = q.user_id
    if (q.vm_state !== undefined) f.vmStates = [q.vm_state]
    if (q.task_state !== undefined) f.taskStates = [q.task_state]
    if (q.power_state !== undefined && /^\d+$/.test(q.power_state)) f.powerState = Number(q.power_state)
  }
  // sort keys and directions pair up; missing directions are desc
  const multi = req.query as Record<string, string | string[]>
  const keys = [multi.sort_key ?? []].flat()
  const dirs = [multi.sort_dir ?? []].flat()
  keys.forEach((k, i) => {
    const dir = dirs[i] ?? 'desc'
    if (dir !== 'asc' && dir !== 'desc') throw new ComputeBadRequest(`Invalid sort_dir ${dir}`)
    const col = k === 'display_name' ? 'display_name' : k
    if (!(SORT_COLUMNS as readonly string[]).includes(col))
      throw new ComputeBadRequest(`Invalid sort_key ${k}`)
    if (!allFilters && ['host', 'node'].includes(col)) throw new ComputeBadRequest(`Invalid sort_key ${k}`)
    f.sort = [...f.sort, { key: col as SortColumn, dir }]
  })
  if (f.sort.length === 0) f.sort = [{ key: 'created_at', dir: 'desc' }]
  let nameRe: RegExp | undefined
  if (q.name !== undefined) {
    try {
      nameRe = new RegExp(q.name)
    } catch {
      nameRe = new RegExp(q.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    }
  }
  const out: { f: ListFilter; nameRe?: RegExp; limit?: number; marker?: string } = { f }
  if (nameRe) out.nameRe = nameRe
  if (q.limit !== undefined) out.limit = Number(q.limit)
  if (q.marker !== undefined) out.marker = q.marker
  return out
}

function toBoolish(v: string): boolean {
  return ['true', '1', 'on', 'yes', 't', 'y'].includes(v.toLowerCase())
}

/** ISO 8601 as upstream's date-time check parses it: a date, optionally a time and a zone. */
const ISO_TIME = /^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$/i

function time(v: string, name: string): string {
  const d = new Date(v.includes('T') || v.includes(' ') ? v.replace(' ', 'T') : v)
  // NOTE: Date() also takes forms like 2011/01/01 that upstream refuses.
  if (!ISO_TIME.test(v) || Number.isNaN(d.getTime()))
    throw new ComputeBadRequest(
      `Invalid input for field/attribute ${name}. Value: ${v}. '${v}' is not a 'date-time'`,
    )
  return d.toISOString()
}

async function listAny(req: FastifyRequest, deps: ComputeDeps, detail: boolean) {
  const { f, nameRe, limit, marker } = listFilter(req, detail)
  let rows = await deps.servers.list(f)
  if (nameRe) rows = rows.filter((s) => nameRe.test(s.display_name))
  rows = await filterByAddress(req, deps, rows)
  let start = 0
  if (marker !== undefined) {
    const i = rows.findIndex((s) => s.uuid === marker)
    if (i < 0) throw new ComputeBadRequest(`marker [${marker}] not found`)
    start = i + 1
  }
  const max = deps.config.api.max_limit
  const take = Math.min(limit ?? max, max)
  const page = rows.slice(start, start + take)
  const key = 'servers'
  if (detail) await refreshHostStatus(deps)
  const vc = detail ? viewContext(req, deps, page) : {}
  if (detail) vc.network = await deps.serverNetworks.views(page, req.id)
  const out: Record<string, unknown> = {
    [key]: page.map((s) => (detail ? serverView(req, deps, s, vc) : serverSummary(req, deps, s))),
  }
  if (page.length === take && take > 0 && start + take < rows.length)
    out.servers_links = nextLink(
      req,
      deps,
      detail ? 'servers/detail' : 'servers',
      page[page.length - 1]!.uuid,
    )
  return out
}

/**
 * `ip` and `ip6`: regular expressions upstream matches against each server's IPv4 and
 * IPv6 addresses (fixed and floating), read from its ports.
 */
async function filterByAddress(req: FastifyRequest, deps: ComputeDeps, rows: Server[]): Promise<Server[]> {
  const q = queryOf(req, LIST_SERVERS) as { ip?: string; ip6?: string }
  if (!q.ip && !q.ip6) return rows
  const compile = (p: string) => {
    try {
      return new RegExp(p)
    } catch {
      return new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    }
  }
  const v4 = q.ip ? compile(q.ip) : undefined
  const v6 = q.ip6 ? compile(q.ip6) : undefined
  const views = await deps.serverNetworks.views(rows, req.id)
  return rows.filter((s) => {
    const all = Object.values(views.get(s.uuid)?.addresses ?? {}).flat()
    return all.some((a) => (a.version === 4 ? v4?.test(a.addr) : v6?.test(a.addr)))
  })
}

export const listServers = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) =>
  listAny(req, deps, false)
export const listServerDetails = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) =>
  listAny(req, deps, true)

export async function showServer(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.SHOW)
  await refreshHostStatus(deps)
  const vc = viewContext(req, deps, [s])
  vc.network = await deps.serverNetworks.views([s], req.id)
  return { server: serverView(req, deps, s, vc) }
}

export async function updateServer(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.UPDATE)
  const b = bodyOf(req).server
  const updated = await deps.servers.update(s, {
    ...(b.name !== undefined ? { name: b.name } : {}),
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.hostname !== undefined ? { hostname: b.hostname } : {}),
    ...(b.accessIPv4 !== undefined ? { accessIPv4: b.accessIPv4 } : {}),
    ...(b.accessIPv6 !== undefined ? { accessIPv6: b.accessIPv6 } : {}),
    ...(b['OS-DCF:diskConfig'] !== undefined ? { diskConfig: b['OS-DCF:diskConfig'] } : {}),
  })
  const view = serverView(req, deps, updated, viewContext(req, deps, [updated]))
  // NOTE: before 2.75 the update answer is the show view without the extension fields
  // (zone, extended status and attributes, usage, key, config drive, volumes, groups).
  if (!req.version.gte('2.75'))
    for (const k of Object.keys(view))
      if (UPDATE_OMITS.some((p) => (p.endsWith(':') ? k.startsWith(p) : k === p))) delete view[k]
  return { server: view }
}

/** The show view's fields the update (and rebuild) answer leaves out below 2.75. */
export const UPDATE_OMITS = [
  'OS-EXT-AZ:',
  'OS-EXT-STS:',
  'OS-EXT-SRV-ATTR:',
  'OS-SRV-USG:',
  'os-extended-volumes:',
  'config_drive',
  'key_name',
  'host_status',
  'security_groups',
  'server_groups',
]

export async function deleteServer(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.DELETE)
  await deps.servers.delete(callerOf(req), s, req.id)
  return reply.code(204).send()
}
