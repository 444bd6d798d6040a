/**
 * The proxy APIs upstream keeps for clients of the nova-network days, answered from the
 * network service for the caller's project (removed at 2.36: 404 from then on):
 * os-networks and os-tenant-networks (list, show), os-floating-ip-pools, os-floating-ips
 * (list, show, allocate from a pool, release), os-security-groups (list, show, create,
 * update, delete) and os-security-group-rules (create, delete).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FloatingIpInfo, NetworkInfo, SecurityGroupInfo } from '../clients/network.js'
import { ComputeBadRequest, ComputeNotFound, ServerNetworkConflict } from '../errors.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'

const UUID_LIKE = /^(?:[0-9a-f]-?){31}[0-9a-f]$/i

type Raw = { status: number; body: unknown } | undefined

/** The network service's refusal as Nova's fault (404, 409 as 400, the rest as 400). */
function refused(res: Raw, notFound: string): never {
  const message =
    (res?.body as { NeutronError?: { message?: string } } | undefined)?.NeutronError?.message ?? notFound
  if (!res || res.status === 404) throw new ComputeNotFound(notFound)
  if (res.status === 403 && /[Qq]uota/.test(message)) throw new ServerNetworkConflict(message)
  throw new ComputeBadRequest(message)
}

function ok(res: Raw): boolean {
  return res !== undefined && res.status < 300
}

// --- os-networks, os-tenant-networks

function networkView(n: NetworkInfo, cidr: string | null) {
  return { id: n.id, label: n.name, cidr }
}

/**
 * The networks the caller's project sees: its own and the shared ones, and for
 * os-networks also the external ones (os-tenant-networks leaves those out).
 */
async function visibleNetworks(req: FastifyRequest, deps: ComputeDeps): Promise<NetworkInfo[]> {
  const caller = callerOf(req)
  const tenantOnly = req.url.includes('/os-tenant-networks')
  const lists = await Promise.all([
    deps.networkPorts.listNetworks({ project_id: caller.projectId }, req.id),
    deps.networkPorts.listNetworks({ shared: 'true' }, req.id),
    tenantOnly ? [] : deps.networkPorts.listNetworks({ 'router:external': 'true' }, req.id),
  ])
  const seen = new Map<string, NetworkInfo>()
  for (const n of lists.flat()) if (!tenantOnly || !n['router:external']) seen.set(n.id, n)
  return [...seen.values()]
}

async function cidrOf(deps: ComputeDeps, n: NetworkInfo, requestId: string): Promise<string | null> {
  const first = n.subnets?.[0]
  if (!first) return null
  const res = await deps.networkPorts.raw('GET', `subnets/${first}`, undefined, requestId)
  return ok(res) ? ((res!.body as { subnet?: { cidr?: string } }).subnet?.cidr ?? null) : null
}

export async function listNetworks(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const nets = await visibleNetworks(req, deps)
  return { networks: await Promise.all(nets.map(async (n) => networkView(n, await cidrOf(deps, n, req.id)))) }
}

export async function showNetwork(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).network_id!
  const n = (await visibleNetworks(req, deps)).find((x) => x.id === id)
  if (!n) throw new ComputeNotFound(`Network ${id} could not be found.`)
  return { network: networkView(n, await cidrOf(deps, n, req.id)) }
}

// --- os-floating-ip-pools, os-floating-ips

async function externalNetworks(req: FastifyRequest, deps: ComputeDeps) {
  return (await deps.networkPorts.listNetworks({ 'router:external': 'true' }, req.id)).filter(
    (n) => n['router:external'],
  )
}

export async function listFloatingIpPools(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { floating_ip_pools: (await externalNetworks(req, deps)).map((n) => ({ name: n.name })) }
}

async function floatingView(req: FastifyRequest, deps: ComputeDeps, fips: FloatingIpInfo[]) {
  const pools = new Map((await externalNetworks(req, deps)).map((n) => [n.id, n.name]))
  const portIds = fips.map((f) => f.port_id).filter((p): p is string => Boolean(p))
  const ports = portIds.length ? await deps.networkPorts.listPorts({ id: portIds }, req.id) : []
  return fips.map((f) => ({
    id: f.id,
    ip: f.floating_ip_address,
    fixed_ip: f.fixed_ip_address,
    instance_id: ports.find((p) => p.id === f.port_id)?.device_id || null,
    pool: pools.get(f.floating_network_id) ?? f.floating_network_id,
  }))
}

async function ownFloatingIp(req: FastifyRequest, deps: ComputeDeps): Promise<FloatingIpInfo> {
  const id = params(req).floating_ip_id!
  const notFound = `Floating IP ${id} could not be found.`
  if (!UUID_LIKE.test(id)) throw new ComputeNotFound(notFound)
  const [fip] = await deps.networkPorts.listFloatingIps({ id }, req.id)
  const caller = callerOf(req)
  if (!fip || (fip.project_id !== caller.projectId && !caller.isAdmin)) throw new ComputeNotFound(notFound)
  return fip
}

export async function listFloatingIps(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const fips = await deps.networkPorts.listFloatingIps({ project_id: callerOf(req).projectId }, req.id)
  return { floating_ips: await floatingView(req, deps, fips) }
}

export async function showFloatingIp(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const fip = await ownFloatingIp(req, deps)
  return { floating_ip: (await floatingView(req, deps, [fip]))[0] }
}

export async function createFloatingIp(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const pool = ((bodyOf(req) ?? {}) as { pool?: unknown }).pool
  const pools = await externalNetworks(req, deps)
  const net =
    typeof pool === 'string' && pool
      ? pools.find((n) => n.id === pool || n.name === pool)
      : (pools.find((n) => n.name === 'nova') ?? pools[0])
  if (!net) throw new ComputeNotFound('Floating IP pool not found.')
  const res = await deps.networkPorts.raw(
    'POST',
    'floatingips',
    { floatingip: { floating_network_id: net.id, project_id: callerOf(req).projectId } },
    req.id,
  )
  if (!ok(res)) {
    const message = (res?.body as { NeutronError?: { message?: string } } | undefined)?.NeutronError?.message
    if (res?.status === 409 || res?.status === 403)
      throw new ServerNetworkConflict(message ?? `No more floating IPs in pool ${net.name}.`)
    refused(res, 'Floating IP pool not found.')
  }
  const fip = (res!.body as { floatingip: FloatingIpInfo }).floatingip
  return { floating_ip: (await floatingView(req, deps, [fip]))[0] }
}

export async function deleteFloatingIp(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const fip = await ownFloatingIp(req, deps)
  const res = await deps.networkPorts.raw('DELETE', `floatingips/${fip.id}`, undefined, req.id)
  if (!ok(res)) refused(res, `Floating IP ${fip.id} could not be found.`)
  return reply.code(202).send()
}

// --- os-security-groups, os-security-group-rules

interface NeutronRule {
  id: string
  security_group_id: string
  direction: string
  ethertype: string
  protocol: string | null
  port_range_min: number | null
  port_range_max: number | null
  remote_ip_prefix: string | null
  remote_group_id: string | null
}

function ruleView(r: NeutronRule, groups: Map<string, SecurityGroupInfo>) {
  const icmp = r.protocol === 'icmp'
  const remote = r.remote_group_id ? groups.get(r.remote_group_id) : undefined
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: r.protocol,
    from_port: r.port_range_min ?? (r.protocol ? (icmp ? -1 : 1) : null),
    to_port: r.port_range_max ?? (r.protocol ? (icmp ? -1 : 65535) : null),
    ip_range: r.remote_group_id
      ? {}
      : { cidr: r.remote_ip_prefix ?? (r.ethertype === 'IPv6' ? '::/0' : '0.0.0.0/0') },
    group: remote ? { name: remote.name, tenant_id: remote.project_id } : {},
  }
}

export function securityGroupView(g: SecurityGroupInfo, groups?: Map<string, SecurityGroupInfo>) {
  const all = groups ?? new Map([[g.id, g]])
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.project_id,
    rules: ((g.security_group_rules ?? []) as unknown as NeutronRule[])
      .filter((r) => r.direction === 'ingress')
      .map((r) => ruleView(r, all)),
  }
}

function checkGroupId(id: string): void {
  if (!UUID_LIKE.test(id)) throw new ComputeBadRequest('Security group id should be uuid')
}

/** Name and description as upstream's proxy checks them before asking the network. */
function checkProperty(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new ComputeBadRequest(`Security group ${what} is not a string or unicode`)
  const v = value.trim()
  if (!v) throw new ComputeBadRequest(`Security group ${what} should not be empty.`)
  if (v.length > 255)
    throw new ComputeBadRequest(`Security group ${what} should not be greater than 255 characters.`)
  return value
}

async function ownGroup(req: FastifyRequest, deps: ComputeDeps, id: string): Promise<SecurityGroupInfo> {
  checkGroupId(id)
  const [g] = await deps.networkPorts.listSecurityGroups({ id }, req.id)
  const caller = callerOf(req)
  if (!g || (g.project_id !== caller.projectId && !caller.isAdmin))
    throw new ComputeNotFound(`Security group ${id} not found.`)
  return g
}

export async function listSecurityGroups(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const caller = callerOf(req)
  const all = String((req.query as Record<string, unknown>).all_tenants ?? '')
  const everyProject = caller.isAdmin && ['1', 'true', 'yes', 'on'].includes(all.toLowerCase())
  const groups = await deps.networkPorts.listSecurityGroups(
    everyProject ? {} : { project_id: caller.projectId },
    req.id,
  )
  const byId = new Map(groups.map((g) => [g.id, g]))
  return { security_groups: groups.map((g) => securityGroupView(g, byId)) }
}

export async function showSecurityGroup(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const g = await ownGroup(req, deps, params(req).security_group_id!)
  return { security_group: securityGroupView(g) }
}

export async function createSecurityGroup(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const body = ((bodyOf(req) ?? {}) as { security_group?: Record<string, unknown> }).security_group
  if (!body || typeof body !== 'object') throw new ComputeBadRequest('security_group not specified')
  const name = checkProperty(body.name, 'name')
  const description = checkProperty(body.description, 'description')
  const res = await deps.networkPorts.raw(
    'POST',
    'security-groups',
    { security_group: { name, description, project_id: callerOf(req).projectId } },
    req.id,
  )
  if (!ok(res)) refused(res, 'Security group not found.')
  return {
    security_group: securityGroupView((res!.body as { security_group: SecurityGroupInfo }).security_group),
  }
}

export async function updateSecurityGroup(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const g = await ownGroup(req, deps, params(req).security_group_id!)
  const body = ((bodyOf(req) ?? {}) as { security_group?: Record<string, unknown> }).security_group
  if (!body || typeof body !== 'object') throw new ComputeBadRequest('security_group not specified')
  const name = checkProperty(body.name, 'name')
  const description = checkProperty(body.description, 'description')
  const res = await deps.networkPorts.raw(
    'PUT',
    `security-groups/${g.id}`,
    { security_group: { name, description } },
    req.id,
  )
  if (!ok(res)) refused(res, `Security group ${g.id} not found.`)
  return {
    security_group: securityGroupView((res!.body as { security_group: SecurityGroupInfo }).security_group),
  }
}

export async function deleteSecurityGroup(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const g = await ownGroup(req, deps, params(req).security_group_id!)
  // NOTE: the network refuses this to the project itself; compute asks as a service.
  if (g.name === 'default') throw new ComputeBadRequest('Removing default security group not allowed.')
  const res = await deps.networkPorts.raw('DELETE', `security-groups/${g.id}`, undefined, req.id)
  if (!ok(res)) refused(res, `Security group ${g.id} not found.`)
  return reply.code(202).send()
}

export async function deleteSecurityGroupWithoutId(): Promise<never> {
  throw new ComputeNotFound('Security group  not found.')
}

const PROTOCOLS = ['tcp', 'udp', 'icmp']

export async function createSecurityGroupRule(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const r = ((bodyOf(req) ?? {}) as { security_group_rule?: Record<string, unknown> }).security_group_rule
  if (!r || typeof r !== 'object') throw new ComputeBadRequest('security_group_rule not specified')
  const parentId = String(r.parent_group_id ?? '')
  checkGroupId(parentId)
  const parent = await ownGroup(req, deps, parentId)
  const protocol = r.ip_protocol == null ? null : String(r.ip_protocol).toLowerCase()
  if (protocol !== null && !PROTOCOLS.includes(protocol))
    throw new ComputeBadRequest(`Invalid IP protocol ${String(r.ip_protocol)}.`)
  const port = (v: unknown, which: string): number | null => {
    if (v === undefined || v === null || v === '') return null
    const n = Number(v)
    if (!Number.isInteger(n))
      throw new ComputeBadRequest(
        `Invalid port range ${String(r.from_port)}:${String(r.to_port)}. ${which} must be an integer.`,
      )
    return n
  }
  let from = port(r.from_port, 'from_port')
  let to = port(r.to_port, 'to_port')
  if (protocol && (from === null || to === null))
    throw new ComputeBadRequest(
      `Invalid port range ${String(r.from_port)}:${String(r.to_port)}. Not a valid port range.`,
    )
  if (protocol === 'icmp') {
    if (from! < -1 || from! > 255 || to! < -1 || to! > 255)
      throw new ComputeBadRequest(
        `Invalid port range ${from}:${to}. Type and Code must be integers for ICMP protocol type`,
      )
    if (from === -1) from = null
    if (to === -1) to = null
  } else if (protocol) {
    if (from! < 1 || to! > 65535 || from! > to!)
      throw new ComputeBadRequest(
        `Invalid port range ${from}:${to}. Valid TCP ports should be between 1-65535`,
      )
  }
  const groupId = r.group_id ? String(r.group_id) : undefined
  const remote = groupId ? await ownGroup(req, deps, groupId) : undefined
  const cidr = r.cidr ? String(r.cidr) : undefined
  const res = await deps.networkPorts.raw(
    'POST',
    'security-group-rules',
    {
      security_group_rule: {
        security_group_id: parent.id,
        direction: 'ingress',
        ethertype: cidr?.includes(':') ? 'IPv6' : 'IPv4',
        protocol,
        port_range_min: from,
        port_range_max: to,
        ...(groupId ? { remote_group_id: groupId } : { remote_ip_prefix: cidr ?? '0.0.0.0/0' }),
      },
    },
    req.id,
  )
  if (!ok(res)) refused(res, `Security group ${parent.id} not found.`)
  const rule = (res!.body as { security_group_rule: NeutronRule }).security_group_rule
  const known = new Map([[parent.id, parent]])
  if (remote) known.set(remote.id, remote)
  return { security_group_rule: ruleView(rule, known) }
}

export async function deleteSecurityGroupRule(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const id = params(req).rule_id!
  checkGroupId(id)
  const res = await deps.networkPorts.raw('DELETE', `security-group-rules/${id}`, undefined, req.id)
  if (!ok(res)) refused(res, `Rule (${id}) not found`)
  return reply.code(202).send()
}
