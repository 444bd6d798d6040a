/**
 * Subnets: CIDR and version checks, no overlap on one network, the gateway (first
 * address by default, none with null, never outside the CIDR or inside a pool),
 * allocation pools (default: the usable range less the gateway; given: inside the CIDR,
 * ordered, disjoint), DNS servers and host routes with Neutron's limits, IPv6 RA and
 * address modes, prefixes from subnet pools, and deletion that names the ports holding
 * addresses.
 */
import { badAttribute, badRequest, invalidInput, notFound, subnetInUse, typed } from '../errors.js'
import { SUBNET } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import {
  type Cidr,
  canonical,
  contains,
  formatAddress,
  formatCidr,
  type IpVersion,
  isLinkLocalV6,
  isLoopback,
  isMulticast,
  lastOf,
  overlaps,
  parseAddress,
  parseCidr,
  usableRange,
} from './ip.js'
import { type Ipam, isAutoAddress, type Pool } from './ipam.js'
import { AUTO_DELETE_OWNERS, bumpNetwork, grants, Networks, onNetworks } from './networks.js'
import type { ListQuery, Page } from './query.js'
import type { Quotas } from './quotas.js'
import {
  boolCond,
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  type ListColumn,
  type Memo,
  memoized,
  newDoc,
  ownerOf,
  ResourceDomain,
  STANDARD_COLUMNS,
  type StoredExtras,
} from './resource.js'

/** A subnet's network and CIDR are always strings: filters on them are exact. */
const SUBNET_COLUMNS: Readonly<Record<string, ListColumn>> = {
  ...STANDARD_COLUMNS,
  network_id: { col: 'network_id', text: true, exact: true },
  cidr: { col: 'cidr', text: true, exact: true },
  ip_version: { col: 'ip_version', text: false },
}

const MAX_DNS = 5
const MAX_ROUTES = 20

export interface SubnetPoolAllocator {
  /** A prefix from a subnet pool for a new subnet. */
  allocate(
    s: NetworkStore,
    caller: Caller,
    poolId: string,
    ipVersion: number,
    prefixlen?: number,
    cidr?: string,
  ): Promise<string>
  defaultPool(ipVersion: number): Promise<string | undefined>
}

export class Subnets extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'subnet',
    collection: 'subnets',
    attrs: SUBNET,
    standard: true,
    extraFilters: ['shared'],
  }

  constructor(
    store: NetworkStore,
    private readonly networks: Networks,
    private readonly quotas: Quotas,
    private readonly ipam: Ipam,
    private readonly pools: SubnetPoolAllocator,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.subnets
  }

  override async target(doc: Doc): Promise<Record<string, unknown>> {
    const net = await this.store.networks.get(String(doc.network_id))
    return { ...doc, tenant_id: doc.project_id, ...(net ? Networks.networkTarget(net) : {}) }
  }

  /** A grantee of an RBAC share sees the network's subnets as shared. */
  override async targetFor(caller: Caller, doc: Doc, memo?: Memo): Promise<Record<string, unknown>> {
    const id = String(doc.network_id)
    const netTarget = await memoized(memo, `network-target:${id}`, async () => {
      const net = await this.store.networks.get(id)
      if (!net) return {}
      // Only the network's `network:*` attributes: the subnet keeps its own id and owner.
      const t = await this.networks.targetFor(caller, net)
      return Object.fromEntries(Object.entries(t).filter(([k]) => k.startsWith('network:')))
    })
    return { ...doc, tenant_id: doc.project_id, ...netTarget }
  }

  protected override async candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    if (caller.isAdmin) return this.store.subnets.find()
    const shared = await this.store.networks.find({}, [{ shared: 1 }, { project_id: caller.projectId }])
    const granted = await this.store.rbacPolicies.find({
      object_type: 'network',
      action: 'access_as_shared',
      target_tenant: [caller.projectId, '*'],
    })
    return this.store.subnets.find({}, [
      { project_id: caller.projectId },
      { network_id: [...shared.map((n) => n.id), ...granted.map((r) => String(r.object_id))] },
    ])
  }

  protected override sqlScope(caller: Caller): Cond | undefined {
    if (caller.isAdmin) return { all: true }
    const p = caller.projectId
    return {
      or: [
        { col: 'project_id', in: [p] },
        onNetworks({
          or: [
            { col: 'shared', in: [1] },
            { col: 'project_id', in: [p] },
          ],
        }),
        { col: 'network_id', inSelect: grants({ action: ['access_as_shared'], target_tenant: [p, '*'] }) },
      ],
    }
  }

  /** A subnet's target carries its network's, as the caller sees it (`Networks.targetFor`). */
  protected override sqlTargetKey(caller: Caller, key: string, values: readonly string[]): Cond | undefined {
    switch (key) {
      case 'network:project_id':
      case 'network:tenant_id':
        return onNetworks({ col: 'project_id', in: values })
      case 'network:shared':
        return boolCond(values, onNetworks(Networks.sharedTo(caller.projectId)))
      case 'network:router:external':
        return boolCond(values, onNetworks(Networks.externalTo(caller.projectId)))
      default:
        return super.sqlTargetKey(caller, key, values)
    }
  }

  protected override listColumns() {
    return SUBNET_COLUMNS
  }

  /** Subnets have nothing decorated: their stored views are whole. */
  protected override async storedExtras(): Promise<StoredExtras> {
    return new Map()
  }

  /** `shared` filters on the network's sharing (the subnet does not show it), as upstream. */
  override list(caller: Caller, q: ListQuery): Promise<Page> {
    const wanted = q.filters.get('shared')
    if (!wanted) return super.list(caller, q)
    const filters = new Map(q.filters)
    filters.delete('shared')
    const want = wanted.map((w) => ['true', '1'].includes(w.toLowerCase()))
    return super.list(caller, { ...q, filters }, (t) => want.includes(Boolean(t['network:shared'])))
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const network = await this.networks.load(caller, String(attrs.network_id))
    const target = { ...attrs, project_id: owner, tenant_id: owner, ...Networks.networkTarget(network) }
    caller.can('create_subnet', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'subnet', 1)
      const version = attrs.ip_version as IpVersion
      let cidrText = attrs.cidr as string | undefined
      let poolId = (attrs.subnetpool_id as string | null) ?? null
      if (!poolId && attrs.use_default_subnetpool) {
        poolId = (await this.pools.defaultPool(version)) ?? null
        if (!poolId) throw badRequest(`No default subnetpool found for IPv${version}`)
      }
      if (poolId) {
        cidrText = await this.pools.allocate(
          s,
          caller,
          poolId,
          version,
          attrs.prefixlen as number | undefined,
          cidrText,
        )
      } else if (!cidrText) {
        throw badRequest('a subnetpool must be specified in the absence of a cidr')
      } else if (attrs.prefixlen !== undefined) {
        throw badRequest('Cannot specify both cidr and prefixlen')
      }
      const cidr = this.checkCidr(cidrText!, version)
      this.checkModes(attrs, cidr)
      const others = await s.subnets.find({ network_id: network.id })
      for (const o of others) {
        const oc = parseCidr(o.cidr)
        if (oc && overlaps(oc, cidr))
          throw invalidInput(
            `Requested subnet with cidr: ${formatCidr(cidr)} for network: ${network.id} overlaps with another subnet`,
          )
      }
      const gateway = this.gatewayOf(attrs, cidr)
      const pools = attrs.allocation_pools
        ? this.checkPools(attrs.allocation_pools as Pool[], cidr, gateway)
        : defaultPools(cidr, gateway)
      this.checkDns(attrs.dns_nameservers as string[])
      this.checkRoutes(attrs.host_routes as { destination: string; nexthop: string }[], version)
      const doc = newDoc(owner, {
        name: attrs.name,
        network_id: network.id,
        ip_version: version,
        subnetpool_id: poolId,
        enable_dhcp: attrs.enable_dhcp,
        ipv6_ra_mode: version === 6 ? attrs.ipv6_ra_mode : null,
        ipv6_address_mode: version === 6 ? attrs.ipv6_address_mode : null,
        gateway_ip: gateway,
        cidr: formatCidr(cidr),
        allocation_pools: pools,
        host_routes: normalRoutes(attrs.host_routes as { destination: string; nexthop: string }[]),
        dns_nameservers: attrs.dns_nameservers,
        description: attrs.description,
        service_types: attrs.service_types,
        segment_id: attrs.segment_id ?? null,
        tags: attrs.tags ?? [],
      })
      await s.subnets.insert(doc)
      await bumpNetwork(s, network.id)
      // NOTE: a new SLAAC subnet gives every port on the network an address at once, as
      // Neutron does (router interfaces excepted: they get theirs by being added).
      if (isAutoAddress(doc)) {
        for (const p of await s.ports.find({ network_id: network.id })) {
          if (String(p.device_owner).startsWith('network:router')) continue
          const ip = await this.ipam.claimAuto(s, doc, String(p.mac_address), p.id)
          await s.ports.update(
            {
              ...p,
              fixed_ips: [...(p.fixed_ips as unknown[]), { subnet_id: doc.id, ip_address: ip }],
              revision_number: Number(p.revision_number) + 1,
            },
            Number(p.revision_number),
          )
        }
      }
      return doc
    })
  }

  private checkCidr(text: string, version: IpVersion): Cidr {
    const cidr = parseCidr(text, false)
    if (!cidr) throw badAttribute('cidr', `'${text}' is not a valid IP subnet`)
    if (cidr.version !== version) throw invalidInput(`Cidr ${text} does not match IP version ${version}`)
    const strict = parseCidr(text, true)
    if (!strict)
      throw badAttribute(
        'cidr',
        `'${text}' isn't a recognized IP subnet cidr, '${formatCidr(cidr)}' is recommended`,
      )
    if (version === 4 && cidr.prefix === 0) throw invalidInput('0.0.0.0/0 is not a valid IPv4 subnet')
    if (version === 6 && cidr.prefix === 0) throw invalidInput('::/0 is not a valid IPv6 subnet')
    if (cidr.prefix >= (version === 4 ? 32 : 128))
      throw invalidInput(`${formatCidr(cidr)} is too small to hold any address`)
    const net = { version, value: cidr.network }
    if (isMulticast(net) || isLoopback(net))
      throw invalidInput(`${text} is not a valid subnet: multicast or loopback`)
    return cidr
  }

  private checkModes(attrs: Record<string, unknown>, cidr: Cidr) {
    const ra = attrs.ipv6_ra_mode as string | null
    const addr = attrs.ipv6_address_mode as string | null
    if (cidr.version === 4) {
      if (ra || addr)
        throw invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when ip_version is 4')
      return
    }
    if (ra && addr && ra !== addr)
      throw invalidInput(
        `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${addr}' is not valid. If both attributes are set, they must be the same value`,
      )
    if (
      attrs.enable_dhcp === false &&
      (ra === 'dhcpv6-stateful' ||
        addr === 'dhcpv6-stateful' ||
        ra === 'dhcpv6-stateless' ||
        addr === 'dhcpv6-stateless')
    )
      throw invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False')
    if ((addr === 'slaac' || addr === 'dhcpv6-stateless') && cidr.prefix !== 64)
      throw invalidInput(
        `Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`,
      )
    if (isLinkLocalV6(cidr) && addr) throw invalidInput('IPv6 link-local subnets cannot use an address mode')
  }

  private gatewayOf(attrs: Record<string, unknown>, cidr: Cidr): string | null {
    if (attrs.gateway_ip === null) return null
    if (attrs.gateway_ip === undefined) return formatAddress(cidr.version, cidr.network + 1n)
    return this.checkGateway(String(attrs.gateway_ip), cidr)
  }

  private checkGateway(text: string, cidr: Cidr): string {
    const gw = parseAddress(text)
    if (!gw || gw.version !== cidr.version)
      throw badAttribute('gateway_ip', `'${text}' is not a valid IP address`)
    const invalid = () =>
      typed(
        'bad_request',
        'network.subnet.gateway_invalid',
        'InvalidInput',
        `Invalid input for operation: Gateway is not valid on subnet. Gateway ${text} is outside ${formatCidr(cidr)} or is its network or broadcast address.`,
      )
    if (!contains(cidr, gw)) throw invalid()
    if (cidr.version === 4 && cidr.prefix < 31 && (gw.value === cidr.network || gw.value === lastOf(cidr)))
      throw invalid()
    return formatAddress(gw.version, gw.value)
  }

  private checkPools(pools: Pool[], cidr: Cidr, gateway: string | null): Pool[] {
    const ranges = pools.map((p) => {
      const a = parseAddress(p.start)!
      const b = parseAddress(p.end)!
      const text = `${p.start}-${p.end}`
      if (a.version !== cidr.version || b.version !== cidr.version || a.value > b.value)
        throw typed(
          'bad_request',
          'network.subnet.pool_invalid',
          'InvalidAllocationPool',
          `The allocation pool ${text} is not valid.`,
        )
      if (!contains(cidr, a) || !contains(cidr, b))
        throw typed(
          'bad_request',
          'network.subnet.pool_outside',
          'OutOfBoundsAllocationPool',
          `The allocation pool ${text} spans beyond the subnet cidr ${formatCidr(cidr)}.`,
        )
      if (cidr.version === 4 && cidr.prefix < 31 && (a.value === cidr.network || b.value === lastOf(cidr)))
        throw typed(
          'bad_request',
          'network.subnet.pool_invalid',
          'InvalidAllocationPool',
          `The allocation pool ${text} is not valid.`,
        )
      return { a: a.value, b: b.value, text }
    })
    for (let i = 0; i < ranges.length; i++)
      for (let j = i + 1; j < ranges.length; j++) {
        const x = ranges[i]!
        const y = ranges[j]!
        if (x.a <= y.b && y.a <= x.b)
          throw typed(
            'bad_request',
            'network.subnet.pools_overlap',
            'OverlappingAllocationPools',
            `Found overlapping allocation pools: ${x.text} and ${y.text} for subnet ${formatCidr(cidr)}.`,
          )
      }
    if (gateway) {
      const g = parseAddress(gateway)!.value
      const hit = ranges.find((r) => r.a <= g && g <= r.b)
      if (hit)
        throw typed(
          'conflict',
          'network.subnet.gateway_in_pool',
          'GatewayConflictWithAllocationPools',
          `Gateway ip ${gateway} conflicts with allocation pool ${hit.text}`,
        )
    }
    return ranges.map((r) => ({
      start: formatAddress(cidr.version, r.a),
      end: formatAddress(cidr.version, r.b),
    }))
  }

  private checkDns(servers: string[] | undefined) {
    if (servers && servers.length > MAX_DNS)
      throw typed(
        'bad_request',
        'network.subnet.dns_limit',
        'DNSNameServersExhausted',
        `Unable to complete operation for ${'subnet'}. The number of DNS nameservers exceeds the limit ${MAX_DNS}.`,
      )
  }

  private checkRoutes(routes: { destination: string; nexthop: string }[] | undefined, version: IpVersion) {
    if (!routes) return
    if (routes.length > MAX_ROUTES)
      throw typed(
        'bad_request',
        'network.subnet.routes_limit',
        'HostRoutesExhausted',
        `Unable to complete operation for subnet. The number of host routes exceeds the limit ${MAX_ROUTES}.`,
      )
    for (const r of routes) {
      const d = parseCidr(r.destination)
      const n = parseAddress(r.nexthop)
      if (d?.version !== version || n?.version !== version)
        throw invalidInput(
          `Host route ${JSON.stringify(r)} does not match the subnet's IP version ${version}`,
        )
    }
  }

  async update(
    caller: Caller,
    id: string,
    attrs: Record<string, unknown>,
    explicit: ReadonlySet<string>,
    ifMatch?: IfMatch,
  ): Promise<Doc> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    const target = { ...(await this.target(current)), ...attrs }
    caller.can('update_subnet', target)
    this.checkAttributes(caller, 'update', attrs, target, explicit)
    const cidr = parseCidr(current.cidr)!
    const saved = await this.store.tx((s) =>
      this.modify(
        id,
        async (d) => {
          if ('gateway_ip' in attrs) {
            d.gateway_ip =
              attrs.gateway_ip === null ? null : this.checkGateway(String(attrs.gateway_ip), cidr)
            if (d.gateway_ip && d.gateway_ip !== current.gateway_ip) {
              const holder = (await s.ips.onSubnet(id)).find((a) => a.ip_address === d.gateway_ip)
              if (holder)
                throw typed(
                  'conflict',
                  'network.subnet.gateway_in_use',
                  'GatewayIpInUse',
                  `Current gateway ip ${d.gateway_ip} already in use by port ${holder.port_id}. Unable to update.`,
                )
            }
          }
          if ('allocation_pools' in attrs) {
            d.allocation_pools = this.checkPools(
              attrs.allocation_pools as Pool[],
              cidr,
              d.gateway_ip as string | null,
            )
          } else if ('gateway_ip' in attrs && d.gateway_ip) {
            this.checkPools(d.allocation_pools as Pool[], cidr, d.gateway_ip as string)
          }
          if ('dns_nameservers' in attrs) this.checkDns(attrs.dns_nameservers as string[])
          if ('host_routes' in attrs) {
            this.checkRoutes(attrs.host_routes as { destination: string; nexthop: string }[], cidr.version)
            d.host_routes = normalRoutes(attrs.host_routes as { destination: string; nexthop: string }[])
          }
          for (const k of [
            'name',
            'description',
            'dns_nameservers',
            'enable_dhcp',
            'service_types',
            'segment_id',
          ])
            if (k in attrs) d[k] = attrs[k]
          return d
        },
        s,
      ),
    )
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_subnet', await this.target(current))
    await this.store.tx(async (s) => {
      const allocs = await s.ips.onSubnet(id)
      const ports = await s.ports.find({ id: [...new Set(allocs.map((a) => a.port_id))] })
      const holding = ports.filter(
        (p) =>
          !AUTO_DELETE_OWNERS.has(String(p.device_owner)) &&
          !(isAutoAddress(current) && !String(p.device_owner).startsWith('network:router')),
      )
      if (holding.length)
        throw subnetInUse(
          id,
          holding.map((p) => p.id),
        )
      for (const p of ports) {
        await s.ips.release(
          p.id,
          (await s.ips.ofPorts([p.id])).filter((a) => a.subnet_id !== id),
        )
        const fixed = (p.fixed_ips as { subnet_id: string }[]).filter((f) => f.subnet_id !== id)
        await s.ports.update(
          { ...p, fixed_ips: fixed, revision_number: Number(p.revision_number) + 1 },
          Number(p.revision_number),
        )
      }
      if (!(await s.subnets.delete(id))) throw notFound('subnet', id)
      await bumpNetwork(s, String(current.network_id))
    })
  }
}

/** The usable range of a CIDR less the gateway, as one or two pools. */
export function defaultPools(cidr: Cidr, gateway: string | null): Pool[] {
  const [lo, hi] = usableRange(cidr)
  const fmt = (v: bigint) => formatAddress(cidr.version, v)
  const g = gateway ? parseAddress(gateway)?.value : undefined
  if (g === undefined || g < lo || g > hi) return [{ start: fmt(lo), end: fmt(hi) }]
  const out: Pool[] = []
  if (g > lo) out.push({ start: fmt(lo), end: fmt(g - 1n) })
  if (g < hi) out.push({ start: fmt(g + 1n), end: fmt(hi) })
  return out
}

function normalRoutes(routes: { destination: string; nexthop: string }[] | undefined) {
  return (routes ?? []).map((r) => ({
    destination: formatCidr(parseCidr(r.destination)!),
    nexthop: canonical(r.nexthop),
  }))
}
