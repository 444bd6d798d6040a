/**
 * Ports: addresses by subnet or by address (IPAM claims them race-free), a MAC from
 * `[DEFAULT] base_mac` unique on the network, device owner and id, the binding
 * attributes (a port with a host is bound by the simulated mechanism driver: vif type
 * `ovs`, status ACTIVE), allowed address pairs and security groups (both need port
 * security), extra DHCP options, and deletion that refuses a trunk's parent or a router's
 * interface and says why.
 *
 *   create ─▶ network visible? ─▶ policy (port and attribute rules, network-owner aware)
 *          ─▶ one transaction: quota ─▶ MAC (unique per network) ─▶ addresses
 *             (given: claimed or 409 IpAddressInUse; none given: one IPv4, SLAAC IPv6,
 *             one stateful IPv6; exhausted: 409 IpAddressGenerationFailure)
 *             ─▶ security groups (the project's default when none given) ─▶ row
 */
import { randomBytes } from 'node:crypto'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { NetworkConfig } from '../config.js'
import {
  addressPairsNeedPortSecurity,
  badRequest,
  invalidInput,
  macGenerationFailure,
  macInUse,
  NeutronError,
  notFound,
  portBoundToTrunk,
  securityGroupsNeedPortSecurity,
  typed,
} from '../errors.js'
import { PORT } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo, ViewRow } from '../storage/index.js'
import { canonical, contains, formatAddress, parseAddress, parseCidr } from './ip.js'
import { type Ipam, isAutoAddress } from './ipam.js'
import { Networks, onNetworks } from './networks.js'
import type { ListQuery } from './query.js'
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
import type { SecurityGroups } from './security-groups.js'

export interface FixedIp {
  subnet_id: string
  ip_address: string
}

interface FixedIpRequest {
  subnet_id?: string
  ip_address?: string
}

/** What a port create or update may also need from other resources. */
export interface PortHooks {
  /** Floating IPs pointing at a port are disassociated when it goes. */
  portDeleted(s: NetworkStore, portId: string): Promise<void>
}

const NULLISH_VALUES = new Set(['', 'None', 'null'])

/** A port's name, network, device and MAC are always strings: filters on them are exact. */
const PORT_COLUMNS: Readonly<Record<string, ListColumn>> = {
  ...STANDARD_COLUMNS,
  name: { col: 'name', text: true, exact: true },
  network_id: { col: 'network_id', text: true, exact: true },
  device_id: { col: 'device_id', text: true, exact: true },
  device_owner: { col: 'device_owner', text: true, exact: true },
  mac_address: { col: 'mac_address', text: true, exact: true },
}

export class Ports extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'port',
    collection: 'ports',
    attrs: PORT,
    standard: true,
    extraFilters: ['ip_address', 'subnet_id'],
  }
  private hooks: PortHooks = { portDeleted: async () => {} }

  constructor(
    store: NetworkStore,
    private readonly networks: Networks,
    private readonly groups: SecurityGroups,
    private readonly quotas: Quotas,
    private readonly ipam: Ipam,
    private readonly config: NetworkConfig,
  ) {
    super(store)
  }

  setHooks(hooks: PortHooks) {
    this.hooks = hooks
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.ports
  }

  override async target(doc: Doc): Promise<Record<string, unknown>> {
    return this.targetFor(undefined, doc)
  }

  override async targetFor(
    _caller: Caller | undefined,
    doc: Doc,
    memo?: Memo,
  ): Promise<Record<string, unknown>> {
    const id = String(doc.network_id)
    const net = await memoized(memo, `network:${id}`, () => this.store.networks.get(id))
    return {
      ...doc,
      tenant_id: doc.project_id,
      ...(net ? Networks.networkTarget(net) : {}),
      'port:network_device': String(doc.device_owner ?? '').startsWith('network:'),
    }
  }

  protected override async candidates(caller: Caller, q: ListQuery): Promise<Doc[]> {
    const where: Record<string, string[]> = {}
    for (const k of ['network_id', 'device_id', 'device_owner', 'id'] as const) {
      const v = q.filters.get(k)
      if (v) where[k] = v
    }
    if (caller.isAdmin) return this.store.ports.find(where)
    const owned = await this.store.networks.find({ project_id: caller.projectId })
    return this.store.ports.find(where, [
      { project_id: caller.projectId },
      { network_id: owned.map((n) => n.id) },
    ])
  }

  protected override sqlScope(caller: Caller): Cond | undefined {
    if (caller.isAdmin) return { all: true }
    return {
      or: [
        { col: 'project_id', in: [caller.projectId] },
        onNetworks({ col: 'project_id', in: [caller.projectId] }),
      ],
    }
  }

  /** A port's target carries its network's attributes (`networkTarget` without grants). */
  protected override sqlTargetKey(caller: Caller, key: string, values: readonly string[]): Cond | undefined {
    switch (key) {
      case 'network:project_id':
      case 'network:tenant_id':
        return onNetworks({ col: 'project_id', in: values })
      case 'network:shared':
        return boolCond(values, onNetworks({ col: 'shared', in: [1] }))
      case 'network:router:external':
        return boolCond(values, onNetworks({ col: 'external', in: [1] }))
      case 'port:network_device':
        return boolCond(values, { col: 'device_owner', prefix: 'network:' })
      default:
        return super.sqlTargetKey(caller, key, values)
    }
  }

  protected override listColumns() {
    return PORT_COLUMNS
  }

  /** `fixed_ips=subnet_id=X` and `ip_address=Y` select through the address rows. */
  protected override sqlFilter(key: string, wanted: readonly string[]): Cond | undefined {
    if (key !== 'fixed_ips') return super.sqlFilter(key, wanted)
    const conds: Cond[] = []
    for (const w of wanted) {
      const [k, v] = w.includes('=') ? w.split(/=(.*)/s) : ['ip_address', w]
      if ((k === 'ip_address' || k === 'subnet_id') && v && !NULLISH_VALUES.has(v))
        conds.push({
          col: 'id',
          inSelect: { table: 'neutron_ip_allocations', col: 'port_id', where: { col: k, in: [v] } },
        })
    }
    return conds.length ? { and: conds } : undefined
  }

  /** trunk_details on a trunk's parent port (trunk-details). */
  protected override async decorate(docs: Doc[]): Promise<void> {
    if (!docs.length) return
    const trunks = await this.store.trunks.find({ port_id: docs.map((d) => d.id) })
    for (const t of trunks) {
      const d = docs.find((x) => x.id === t.port_id)
      if (!d) continue
      const subs = await this.store.subports.ofTrunk(t.id)
      const ports = await this.store.ports.find({ id: subs.map((x) => x.port_id) })
      d.trunk_details = {
        trunk_id: t.id,
        sub_ports: subs.map((x) => ({
          port_id: x.port_id,
          segmentation_type: x.segmentation_type,
          segmentation_id: Number(x.segmentation_id),
          mac_address: ports.find((p) => p.id === x.port_id)?.mac_address,
        })),
      }
    }
  }

  /** Whether a port is a trunk's parent, read with the page. */
  protected override readonly storedExists = [
    { name: 'trunk_parent', table: 'neutron_trunks', col: 'port_id' },
  ]

  /** A trunk's parent port gets `trunk_details`: its view is built from the document. */
  protected override async storedExtras(rows: readonly ViewRow[]): Promise<StoredExtras> {
    return new Map(rows.filter((r) => r.cols.trunk_parent === true).map((r) => [r.id, 'rebuild' as const]))
  }

  override async list(caller: Caller, q: ListQuery) {
    // `ip_address` and `subnet_id` filter on fixed_ips (Neutron's shorthand filters).
    const ip = q.filters.get('ip_address')
    const subnet = q.filters.get('subnet_id')
    if (ip || subnet) {
      q.filters.delete('ip_address')
      q.filters.delete('subnet_id')
      const fixed = q.filters.get('fixed_ips') ?? []
      for (const v of ip ?? []) fixed.push(`ip_address=${v}`)
      for (const v of subnet ?? []) fixed.push(`subnet_id=${v}`)
      q.filters.set('fixed_ips', fixed)
    }
    return super.list(caller, q)
  }

  private portTarget(attrs: Record<string, unknown>, owner: string, net: Doc) {
    return {
      ...attrs,
      project_id: owner,
      tenant_id: owner,
      ...Networks.networkTarget(net),
      'port:network_device': String(attrs.device_owner ?? '').startsWith('network:'),
    }
  }

  private checkPortAttributes(
    caller: Caller,
    action: 'create' | 'update',
    attrs: Record<string, unknown>,
    target: Record<string, unknown>,
    explicit: ReadonlySet<string>,
  ) {
    this.checkAttributes(caller, action, attrs, target, explicit)
    const fixed = attrs.fixed_ips as FixedIpRequest[] | undefined
    if (explicit.has('fixed_ips') && fixed) {
      if (fixed.some((f) => f.ip_address !== undefined))
        caller.can(`${action}_port:fixed_ips:ip_address`, target)
      if (fixed.some((f) => f.subnet_id !== undefined))
        caller.can(`${action}_port:fixed_ips:subnet_id`, target)
    }
    const pairs = attrs.allowed_address_pairs as { mac_address?: string }[] | undefined
    if (explicit.has('allowed_address_pairs') && pairs?.length) {
      caller.can(`${action}_port:allowed_address_pairs:ip_address`, target)
      if (pairs.some((p) => p.mac_address !== undefined))
        caller.can(`${action}_port:allowed_address_pairs:mac_address`, target)
    }
  }

  /** Creates a port; `internal` skips policy (router and floating IP ports the service makes). */
  async create(
    caller: Caller,
    attrs: Record<string, unknown>,
    explicit: ReadonlySet<string>,
    opts: { internal?: boolean; s?: NetworkStore } = {},
  ): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const network = opts.internal
      ? await (opts.s ?? this.store).networks.get(String(attrs.network_id))
      : await this.networks.load(caller, String(attrs.network_id))
    if (!network) throw notFound('network', String(attrs.network_id))
    if (!opts.internal) {
      const target = this.portTarget(attrs, owner, network)
      caller.can('create_port', target)
      this.checkPortAttributes(caller, 'create', attrs, target, explicit)
    }
    const portSecurity =
      (attrs.port_security_enabled as boolean | undefined) ?? Boolean(network.port_security_enabled ?? true)
    const pairs = (attrs.allowed_address_pairs as { ip_address: string; mac_address?: string }[]) ?? []
    if (pairs.length && !portSecurity) throw addressPairsNeedPortSecurity()
    const requested = attrs.security_groups as string[] | undefined
    if (requested?.length && !portSecurity) throw securityGroupsNeedPortSecurity()
    const fixedReq = attrs.fixed_ips as FixedIpRequest[] | undefined
    if (fixedReq && fixedReq.length > this.config.DEFAULT.max_fixed_ips_per_port)
      throw badRequest('Exceeded maximum amount of fixed ips per port.')
    const device = String(attrs.device_owner ?? '')
    for (let attempt = 0; ; attempt++) {
      const mac =
        (attrs.mac_address as string | undefined)?.toLowerCase().replace(/-/g, ':') ?? this.generateMac()
      try {
        return await (opts.s ?? this.store).tx(async (s) => {
          if (!opts.internal) await this.quotas.check(s, owner, 'port', 1)
          const doc = newDoc(owner, {
            name: attrs.name ?? '',
            network_id: network.id,
            admin_state_up: attrs.admin_state_up ?? true,
            mac_address: mac,
            device_id: attrs.device_id ?? '',
            device_owner: device,
            description: attrs.description ?? '',
            tags: attrs.tags ?? [],
          })
          if ((await s.ports.find({ network_id: network.id, mac_address: mac })).length)
            throw macInUse(network.id, mac)
          doc.fixed_ips = await this.allocate(s, network, doc.id, mac, fixedReq, device)
          let groups: string[] = []
          if (portSecurity && !device.startsWith('network:')) {
            groups = requested ?? [await this.groups.ensureDefault(owner, s)].filter(Boolean)
            await this.checkGroups(s, caller, groups, owner, opts.internal)
          }
          doc.security_groups = groups
          doc.port_security_enabled = portSecurity
          doc.allowed_address_pairs = pairs.map((p) => ({
            ip_address: p.ip_address,
            mac_address: (p.mac_address ?? mac).toLowerCase(),
          }))
          doc.extra_dhcp_opts = normaliseDhcpOpts((attrs.extra_dhcp_opts as Record<string, unknown>[]) ?? [])
          doc.qos_policy_id = attrs.qos_policy_id ?? null
          doc.qos_network_policy_id = network.qos_policy_id ?? null
          doc.propagate_uplink_status = attrs.propagate_uplink_status ?? false
          doc.resource_request = null
          doc.ip_allocation = 'immediate'
          this.bind(doc, String(attrs['binding:host_id'] ?? ''), attrs)
          await s.ports.insert(doc)
          if (groups.length) await s.portGroups.set(doc.id, groups)
          return doc
        })
      } catch (e) {
        // A generated MAC that another port took meanwhile: try a new one.
        // A generated MAC that another port has (found by the check or the unique key):
        // try a new one.
        const taken = isUniqueViolation(e) || (e instanceof NeutronError && e.code === 'network.mac.in_use')
        if (taken && !attrs.mac_address && attempt < 8) continue
        if (isUniqueViolation(e) && attrs.mac_address) throw macInUse(network.id, String(attrs.mac_address))
        if (isUniqueViolation(e)) throw macGenerationFailure(network.id)
        throw e
      }
    }
  }

  /**
   * A trunk's subports follow its parent's binding, as the OVS agent's trunk handler
   * has the server bind them (update_subport_bindings): bound to the parent's host (ACTIVE),
   * unbound with it.
   */
  async bindSubports(s: NetworkStore, parent: Doc): Promise<void> {
    const trunk = (await s.trunks.find({ port_id: parent.id }))[0]
    if (!trunk) return
    for (const sp of await s.subports.ofTrunk(trunk.id)) await this.bindSubport(s, sp.port_id, parent)
  }

  /** Binds one subport to its parent's host (none: unbound). */
  async bindSubport(s: NetworkStore, portId: string, parent: Doc | undefined): Promise<void> {
    const host = String(parent?.['binding:host_id'] ?? '')
    await this.modify(
      portId,
      (d) => {
        if (String(d['binding:host_id'] ?? '') === host) return undefined
        this.bind(d, host, {})
        return d
      },
      s,
    )
  }

  /** The simulated mechanism driver binds any port with a host. */
  private bind(doc: Doc, host: string, attrs: Record<string, unknown>) {
    doc['binding:host_id'] = host
    doc['binding:vnic_type'] = attrs['binding:vnic_type'] ?? doc['binding:vnic_type'] ?? 'normal'
    doc['binding:profile'] = attrs['binding:profile'] ?? doc['binding:profile'] ?? {}
    if (host) {
      doc['binding:vif_type'] = 'ovs'
      doc['binding:vif_details'] = {
        port_filter: true,
        connectivity: 'l2',
        bridge_name: 'br-int',
        datapath_type: 'system',
      }
    } else {
      doc['binding:vif_type'] = 'unbound'
      doc['binding:vif_details'] = {}
    }
    const owner = String(doc.device_owner ?? '')
    doc.status = host || owner.startsWith('network:') ? 'ACTIVE' : 'DOWN'
    if (doc.admin_state_up === false) doc.status = 'DOWN'
  }

  private async checkGroups(
    s: NetworkStore,
    caller: Caller,
    ids: string[],
    owner: string,
    internal?: boolean,
  ) {
    const found = await s.securityGroups.find({ id: ids })
    for (const id of ids) {
      const g = found.find((x) => x.id === id)
      if (!g || (!internal && !caller.isAdmin && g.project_id !== owner)) throw notFound('security_group', id)
    }
  }

  generateMac(): string {
    const base = this.config.DEFAULT.base_mac.split(':').map((o) => Number.parseInt(o, 16))
    const rnd = randomBytes(6)
    const octets = base.map((b, i) => (i < 3 || b !== 0 ? b : rnd[i]!))
    return octets.map((o) => o.toString(16).padStart(2, '0')).join(':')
  }

  /** Claims a port's addresses: the requested ones, or Neutron's defaults. */
  async allocate(
    s: NetworkStore,
    network: Doc,
    portId: string,
    mac: string,
    requested: FixedIpRequest[] | undefined,
    deviceOwner: string,
  ): Promise<FixedIp[]> {
    const subnets = await s.subnets.find({ network_id: network.id })
    const out: FixedIp[] = []
    // As upstream: the subnets whose service types name the port's device owner when
    // there are any, otherwise those with no service types.
    const typesOf = (sub: Doc) => (sub.service_types as string[]) ?? []
    const serving = (version: number) => {
      const all = subnets.filter((x) => x.ip_version === version)
      const named = all.filter((x) => {
        const types = typesOf(x)
        return types.includes(deviceOwner) || (deviceOwner === '' && types.includes('compute:nova'))
      })
      return named.length ? named : all.filter((x) => typesOf(x).length === 0)
    }
    if (requested === undefined) {
      const v4 = serving(4)
      for (const sub of v4) {
        try {
          out.push({ subnet_id: sub.id, ip_address: await this.ipam.claimAny(s, sub, portId) })
          break
        } catch (e) {
          if (sub === v4[v4.length - 1]) throw e
        }
      }
      const v6 = serving(6)
      const isRouter = deviceOwner.startsWith('network:router')
      for (const sub of v6.filter(isAutoAddress)) {
        if (isRouter) continue
        out.push({ subnet_id: sub.id, ip_address: await this.ipam.claimAuto(s, sub, mac, portId) })
      }
      const stateful = v6.filter((x) => !isAutoAddress(x))
      if (stateful.length)
        out.push({
          subnet_id: stateful[0]!.id,
          ip_address: await this.ipam.claimAny(s, stateful[0]!, portId),
        })
      return out
    }
    const seen = new Set<string>()
    for (const f of requested) {
      let sub: Doc | undefined
      let ip: string | undefined
      if (f.ip_address !== undefined) {
        const a = parseAddress(f.ip_address)!
        ip = formatAddress(a.version, a.value)
        if (f.subnet_id !== undefined) {
          sub = subnets.find((x) => x.id === f.subnet_id)
          if (!sub) throw invalidSubnet(network.id, f.subnet_id)
          if (!contains(parseCidr(sub.cidr)!, a))
            throw typed(
              'bad_request',
              'network.port.ip_not_in_subnet',
              'InvalidIpForSubnet',
              `IP address ${f.ip_address} is not a valid IP for the specified subnet.`,
            )
        } else {
          sub = subnets.find((x) => contains(parseCidr(x.cidr)!, a))
          if (!sub)
            throw typed(
              'bad_request',
              'network.port.ip_not_on_network',
              'InvalidIpForNetwork',
              `IP address ${f.ip_address} is not a valid IP for any of the subnets on the specified network.`,
            )
        }
        if (isAutoAddress(sub) && !deviceOwner.startsWith('network:router'))
          throw invalidInput(
            `IPv6 address ${f.ip_address} cannot be directly assigned to a port on subnet ${sub.id} as the subnet is configured for automatic addresses`,
          )
        const key = `${sub.id}|${ip}`
        if (seen.has(key)) throw badRequest(`Duplicate IP address '${ip}'`)
        seen.add(key)
        await this.ipam.claim(s, sub, ip, portId)
      } else if (f.subnet_id !== undefined) {
        sub = subnets.find((x) => x.id === f.subnet_id)
        if (!sub) throw invalidSubnet(network.id, f.subnet_id)
        ip = isAutoAddress(sub)
          ? await this.ipam.claimAuto(s, sub, mac, portId)
          : await this.ipam.claimAny(s, sub, portId)
      } else {
        throw badRequest('Invalid input for fixed_ips. Reason: an entry needs subnet_id or ip_address.')
      }
      out.push({ subnet_id: sub.id, ip_address: ip })
    }
    return out
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
    const net = await this.store.networks.get(String(current.network_id))
    const target: Record<string, unknown> = {
      ...(await this.target(current)),
      ...attrs,
      ...(net ? Networks.networkTarget(net) : {}),
    }
    if ('device_owner' in attrs)
      target['port:network_device'] =
        String(attrs.device_owner).startsWith('network:') || Boolean(target['port:network_device'])
    caller.can('update_port', target)
    this.checkPortAttributes(caller, 'update', attrs, target, explicit)
    const saved = await this.store.tx((s) =>
      this.modify(
        id,
        async (d) => {
          const portSecurity =
            (attrs.port_security_enabled as boolean | undefined) ?? Boolean(d.port_security_enabled)
          const groups = (attrs.security_groups as string[] | undefined) ?? (d.security_groups as string[])
          const pairs =
            (attrs.allowed_address_pairs as { ip_address: string; mac_address?: string }[] | undefined) ??
            (d.allowed_address_pairs as { ip_address: string }[])
          if (
            !portSecurity &&
            attrs.port_security_enabled === false &&
            groups.length &&
            !('security_groups' in attrs)
          )
            throw typed(
              'conflict',
              'network.port.has_security_groups',
              'PortSecurityPortHasSecurityGroup',
              'Port has security group associated. Cannot disable port security or ip address until security group is removed',
            )
          if (!portSecurity && groups.length) throw securityGroupsNeedPortSecurity()
          if (!portSecurity && pairs.length) throw addressPairsNeedPortSecurity()
          if ('security_groups' in attrs) {
            await this.checkGroups(s, caller, groups, String(d.project_id))
            await s.portGroups.set(id, groups)
            d.security_groups = groups
          }
          if ('allowed_address_pairs' in attrs)
            d.allowed_address_pairs = pairs.map((p) => ({
              ip_address: p.ip_address,
              mac_address: (
                (p as { mac_address?: string }).mac_address ?? String(d.mac_address)
              ).toLowerCase(),
            }))
          if ('mac_address' in attrs) {
            if (d['binding:vif_type'] !== 'unbound' && d['binding:host_id'])
              throw typed(
                'conflict',
                'network.port.bound',
                'PortBound',
                `Unable to complete operation on port ${id}, port is already bound, port type: ${d['binding:vif_type']}, old_mac ${d.mac_address}, new_mac ${attrs.mac_address}.`,
              )
            const mac = String(attrs.mac_address).toLowerCase()
            if (
              mac !== d.mac_address &&
              (await s.ports.find({ network_id: String(d.network_id), mac_address: mac })).length
            )
              throw macInUse(String(d.network_id), mac)
            d.mac_address = mac
          }
          if ('fixed_ips' in attrs) {
            const req = attrs.fixed_ips as FixedIpRequest[]
            const old = d.fixed_ips as FixedIp[]
            const keep = req.filter(
              (f) =>
                f.ip_address !== undefined &&
                old.some(
                  (o) =>
                    o.ip_address === canonical(f.ip_address!) &&
                    (f.subnet_id === undefined || f.subnet_id === o.subnet_id),
                ),
            )
            const kept = keep.map((f) => old.find((o) => o.ip_address === canonical(f.ip_address!))!)
            await s.ips.release(id, kept)
            const fresh = req.filter((f) => !keep.includes(f))
            const added = fresh.length
              ? await this.allocate(s, net!, id, String(d.mac_address), fresh, String(d.device_owner))
              : []
            d.fixed_ips = [...kept, ...added]
          }
          if ('extra_dhcp_opts' in attrs)
            d.extra_dhcp_opts = mergeDhcpOpts(
              d.extra_dhcp_opts as Record<string, unknown>[],
              attrs.extra_dhcp_opts as Record<string, unknown>[],
            )
          for (const k of [
            'name',
            'description',
            'admin_state_up',
            'device_id',
            'device_owner',
            'port_security_enabled',
            'qos_policy_id',
            'propagate_uplink_status',
            'data_plane_status',
          ])
            if (k in attrs) d[k] = attrs[k]
          if (
            'binding:host_id' in attrs ||
            'binding:vnic_type' in attrs ||
            'binding:profile' in attrs ||
            'admin_state_up' in attrs ||
            'device_owner' in attrs
          )
            this.bind(d, String(attrs['binding:host_id'] ?? d['binding:host_id'] ?? ''), attrs)
          return d
        },
        s,
      ).then(async (d) => {
        if ('binding:host_id' in attrs) await this.bindSubports(s, d)
        return d
      }),
    )
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(
    caller: Caller,
    id: string,
    ifMatch?: IfMatch,
    opts: { internal?: boolean; s?: NetworkStore } = {},
  ): Promise<void> {
    const current = opts.internal ? await (opts.s ?? this.store).ports.get(id) : await this.load(caller, id)
    if (!current) throw notFound('port', id)
    if (!opts.internal) {
      checkRevision(current, ifMatch)
      caller.can('delete_port', await this.target(current))
      const owner = String(current.device_owner)
      if (
        owner === 'network:router_interface' ||
        owner === 'network:router_gateway' ||
        owner === 'network:floatingip' ||
        owner === 'network:router_interface_distributed' ||
        owner === 'network:ha_router_replicated_interface'
      )
        throw typed(
          'conflict',
          'network.port.l3_owned',
          'L3PortInUse',
          `Port ${id} cannot be deleted directly via the port API: has device owner ${owner}.`,
        )
    }
    await (opts.s ?? this.store).tx(async (s) => {
      const trunk = (await s.trunks.find({ port_id: id }))[0]
      if (trunk) throw portBoundToTrunk(id, trunk.id)
      const sub = opts.internal ? undefined : await s.subports.ofPort(id)
      if (sub)
        throw typed(
          'conflict',
          'network.port.trunk_subport',
          'PortInUseAsSubPort',
          `Port ${id} is currently a subport for trunk ${sub.trunk_id}; remove it from the trunk first.`,
        )
      await this.hooks.portDeleted(s, id)
      await s.subports.remove(id)
      await s.ips.release(id)
      await s.portGroups.set(id, [])
      await s.ports.delete(id)
    })
  }
}

function invalidSubnet(networkId: string, subnetId: string) {
  return typed(
    'bad_request',
    'network.port.subnet_not_on_network',
    'InvalidInput',
    `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${subnetId}.`,
  )
}

function normaliseDhcpOpts(opts: Record<string, unknown>[]): Record<string, unknown>[] {
  return opts
    .filter((o) => o.opt_value !== null)
    .map((o) => ({
      opt_name: o.opt_name,
      opt_value: o.opt_value,
      ip_version: o.ip_version === undefined ? 4 : Number(o.ip_version),
    }))
}

function mergeDhcpOpts(
  old: Record<string, unknown>[],
  changes: Record<string, unknown>[],
): Record<string, unknown>[] {
  const out = [...(old ?? [])]
  for (const c of changes ?? []) {
    const v = c.ip_version === undefined ? 4 : Number(c.ip_version)
    const i = out.findIndex((o) => o.opt_name === c.opt_name && Number(o.ip_version) === v)
    if (c.opt_value === null) {
      if (i >= 0) out.splice(i, 1)
    } else if (i >= 0) out[i] = { opt_name: c.opt_name, opt_value: c.opt_value, ip_version: v }
    else out.push({ opt_name: c.opt_name, opt_value: c.opt_value, ip_version: v })
  }
  return out
}
