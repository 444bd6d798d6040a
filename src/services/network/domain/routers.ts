/**
 * Routers: the external gateway (a port on an external network, SNAT on by default,
 * addresses chosen or given by an admin), interfaces by subnet (the subnet's gateway
 * address, claimed race-free, so two concurrent adds can never both take it) or by port,
 * no two interface subnets that overlap, extra routes whose next hop the router reaches
 * (set whole or added and removed atomically), and deletion that names the interfaces
 * still attached.
 */

import { badRequest, invalidInput, notFound, portInUse, routerInUse, typed } from '../errors.js'
import { ROUTER } from '../schemas/attributes.js'
import { uuid } from '../schemas/validators.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { contains, formatCidr, overlaps, parseAddress, parseCidr } from './ip.js'
import type { Networks } from './networks.js'
import type { FixedIp, Ports } from './ports.js'
import type { Quotas } from './quotas.js'
import {
  type Caller,
  checkRevision,
  type IfMatch,
  type Kind,
  newDoc,
  ownerOf,
  ResourceDomain,
} from './resource.js'
import type { Subnets } from './subnets.js'

export const ROUTER_INTERFACE = 'network:router_interface'
export const ROUTER_GATEWAY = 'network:router_gateway'

interface Gateway {
  network_id: string
  enable_snat?: boolean
  external_fixed_ips?: { subnet_id?: string; ip_address?: string }[]
}

interface Route {
  destination: string
  nexthop: string
}

export class Routers extends ResourceDomain {
  readonly kind: Kind = { resource: 'router', collection: 'routers', attrs: ROUTER, standard: true }

  constructor(
    store: NetworkStore,
    private readonly networks: Networks,
    private readonly subnets: Subnets,
    private readonly ports: Ports,
    private readonly quotas: Quotas,
  ) {
    super(store)
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.routers
  }

  /** Lists in SQL: the candidates are the caller's own rows (all of them for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    return this.ownScope(caller)
  }

  private checkGatewayPolicy(
    caller: Caller,
    action: 'create' | 'update',
    gw: Gateway | null | undefined,
    target: Record<string, unknown>,
  ) {
    if (!gw) return
    const base = `${action}_router:external_gateway_info`
    caller.can(`${base}:network_id`, target)
    if (gw.enable_snat !== undefined) caller.can(`${base}:enable_snat`, target)
    if (gw.external_fixed_ips !== undefined) caller.can(`${base}:external_fixed_ips`, target)
  }

  private parseGateway(value: unknown): Gateway | null {
    if (value === null || value === undefined) return null
    const g = value as Record<string, unknown>
    if (Object.keys(g).length === 0) return null
    const unknown = Object.keys(g).filter(
      (k) => !['network_id', 'enable_snat', 'external_fixed_ips'].includes(k),
    )
    if (unknown.length)
      throw badRequest(
        `Invalid input for external_gateway_info. Reason: Unrecognized attribute(s) '${unknown.join(', ')}'.`,
      )
    if (typeof g.network_id !== 'string')
      throw badRequest('Invalid input for external_gateway_info. Reason: network_id is required.')
    if (g.enable_snat !== undefined && typeof g.enable_snat !== 'boolean')
      throw badRequest(
        `Invalid input for external_gateway_info. Reason: '${String(g.enable_snat)}' is not boolean.`,
      )
    if (g.external_fixed_ips !== undefined && !Array.isArray(g.external_fixed_ips))
      throw badRequest('Invalid input for external_gateway_info. Reason: external_fixed_ips must be a list.')
    return g as unknown as Gateway
  }

  /**
   * A gateway network the caller may not see (no external grant to its project) is a 404.
   * NOTE: judged before the transaction, as visibility reads through the service's store.
   */
  private async checkGatewayVisible(caller: Caller, gw: Gateway | null | undefined) {
    if (!gw) return
    await this.networks.load(caller, gw.network_id).catch(() => {
      throw notFound('network', gw.network_id)
    })
  }

  /** Creates the gateway port; answers the router's gateway info. */
  private async attachGateway(s: NetworkStore, caller: Caller, router: Doc, gw: Gateway) {
    const net = await s.networks.get(gw.network_id)
    if (!net) throw notFound('network', gw.network_id)
    if (!net['router:external'])
      throw typed(
        'bad_request',
        'network.router.not_external',
        'BadRequest',
        `Bad router request: Network ${gw.network_id} is not a valid external network.`,
      )
    const port = await this.ports.create(
      caller,
      {
        network_id: net.id,
        project_id: '',
        device_owner: ROUTER_GATEWAY,
        device_id: router.id,
        name: '',
        admin_state_up: true,
        ...(gw.external_fixed_ips?.length ? { fixed_ips: gw.external_fixed_ips } : {}),
      },
      new Set(),
      { internal: true, s },
    )
    router._gw_port_id = port.id
    router.external_gateway_info = {
      network_id: net.id,
      enable_snat: gw.enable_snat ?? true,
      external_fixed_ips: port.fixed_ips,
    }
  }

  private async detachGateway(s: NetworkStore, caller: Caller, router: Doc) {
    const info = router.external_gateway_info as Gateway | null
    if (!info) return
    const fips = await s.floatingIps.find({ router_id: router.id })
    if (fips.length)
      throw typed(
        'conflict',
        'network.router.gateway_in_use',
        'RouterExternalGatewayInUseByFloatingIp',
        `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${info.network_id} is required by one or more floating IPs.`,
      )
    if (router._gw_port_id)
      await this.ports.delete(caller, String(router._gw_port_id), undefined, { internal: true, s })
    router._gw_port_id = null
    router.external_gateway_info = null
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = { ...attrs, project_id: owner, tenant_id: owner }
    caller.can('create_router', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    const gw = this.parseGateway(attrs.external_gateway_info)
    await this.checkGatewayVisible(caller, gw)
    this.checkGatewayPolicy(caller, 'create', gw, target)
    if (attrs.ha) await this.ensureHaNetwork(caller, owner)
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'router', 1)
      const doc = newDoc(owner, {
        name: attrs.name,
        admin_state_up: attrs.admin_state_up,
        status: 'ACTIVE',
        external_gateway_info: null,
        routes: [],
        distributed: attrs.distributed ?? false,
        ha: attrs.ha ?? false,
        availability_zone_hints: attrs.availability_zone_hints ?? [],
        availability_zones: ['nova'],
        flavor_id: attrs.flavor_id ?? null,
        description: attrs.description,
        tags: attrs.tags ?? [],
      })
      if (gw) await this.attachGateway(s, caller, doc, gw)
      await s.routers.insert(doc)
      return doc
    })
  }

  /** The router's interface ports. */
  async interfaces(s: NetworkStore, routerId: string): Promise<Doc[]> {
    return (await s.ports.find({ device_id: routerId })).filter(
      (p) => p.device_owner !== ROUTER_GATEWAY && String(p.device_owner).startsWith('network:router'),
    )
  }

  /** Subnets the router reaches: its interfaces' and its gateway's. */
  private async connectedCidrs(s: NetworkStore, router: Doc): Promise<string[]> {
    const ports = await s.ports.find({ device_id: router.id })
    const ids = ports.flatMap((p) => (p.fixed_ips as FixedIp[]).map((f) => f.subnet_id))
    return (await s.subnets.find({ id: ids })).map((x) => String(x.cidr))
  }

  private async checkRoutes(s: NetworkStore, router: Doc, routes: Route[]) {
    const cidrs = (await this.connectedCidrs(s, router)).map((c) => parseCidr(c)!)
    for (const r of routes) {
      const hop = parseAddress(r.nexthop)
      if (!hop || !cidrs.some((c) => contains(c, hop)))
        throw typed(
          'bad_request',
          'network.router.route_unreachable',
          'InvalidRoutes',
          `Invalid format for routes: ${JSON.stringify([r])}, the nexthop is not connected with router`,
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
    caller.can('update_router', target)
    this.checkAttributes(caller, 'update', attrs, target, explicit)
    const gwGiven = 'external_gateway_info' in attrs
    const gw = gwGiven ? this.parseGateway(attrs.external_gateway_info) : undefined
    await this.checkGatewayVisible(caller, gw)
    if (gwGiven) this.checkGatewayPolicy(caller, 'update', gw, target)
    const saved = await this.store.tx((s) =>
      this.modify(
        id,
        async (d) => {
          if (gwGiven) {
            const old = d.external_gateway_info as Gateway | null
            if (gw && old && old.network_id === gw.network_id && gw.external_fixed_ips === undefined) {
              d.external_gateway_info = { ...old, enable_snat: gw.enable_snat ?? old.enable_snat }
            } else {
              await this.detachGateway(s, caller, d)
              if (gw) await this.attachGateway(s, caller, d, gw)
            }
          }
          if ('routes' in attrs) {
            const routes = normalRoutes(attrs.routes as Route[])
            await this.checkRoutes(s, d, routes)
            d.routes = routes
          }
          for (const k of ['distributed', 'ha'] as const) {
            if (!(k in attrs) || attrs[k] === d[k]) continue
            if ((attrs.admin_state_up ?? d.admin_state_up) !== false)
              throw badRequest(
                k === 'distributed'
                  ? 'Cannot upgrade active router to distributed. Please set router admin_state_up to False prior to upgrade'
                  : 'Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade',
              )
            if (k === 'distributed' && attrs.distributed && (attrs.ha ?? d.ha))
              throw badRequest('Cannot make an HA router distributed: set ha to False as well')
          }
          for (const k of ['name', 'description', 'admin_state_up', 'distributed', 'ha'])
            if (k in attrs) d[k] = attrs[k]
          return d
        },
        s,
      ),
    )
    return this.view(caller, saved, await this.target(saved))
  }

  /** Atomic extra routes: add or remove some without replacing the rest. */
  async changeRoutes(caller: Caller, id: string, body: unknown, add: boolean): Promise<Doc> {
    const current = await this.load(caller, id)
    caller.can(add ? 'add_extraroutes' : 'remove_extraroutes', await this.target(current))
    const routes = (body as { router?: { routes?: unknown } } | undefined)?.router?.routes
    const reason = Array.isArray(routes) ? undefined : 'routes must be a list'
    if (reason) throw badRequest(`Invalid input for routes. Reason: ${reason}.`)
    const wanted = normalRoutes(routes as Route[])
    const saved = await this.store.tx((s) =>
      this.modify(
        id,
        async (d) => {
          const now = d.routes as Route[]
          const same = (a: Route, b: Route) => a.destination === b.destination && a.nexthop === b.nexthop
          if (add) {
            await this.checkRoutes(s, d, wanted)
            d.routes = [...now, ...wanted.filter((w) => !now.some((r) => same(r, w)))]
          } else d.routes = now.filter((r) => !wanted.some((w) => same(r, w)))
          return d
        },
        s,
      ),
    )
    return this.view(caller, saved, await this.target(saved))
  }

  async addInterface(caller: Caller, id: string, body: unknown) {
    const router = await this.load(caller, id)
    caller.can('add_router_interface', await this.target(router))
    const info = (body ?? {}) as { subnet_id?: unknown; port_id?: unknown }
    if (info.subnet_id !== undefined && info.port_id !== undefined)
      throw badRequest('Bad router request: Cannot specify both subnet-id and port-id.')
    if (info.subnet_id === undefined && info.port_id === undefined)
      throw badRequest('Bad router request: Either subnet_id or port_id must be specified.')
    for (const k of ['subnet_id', 'port_id'] as const) {
      const reason = info[k] === undefined ? undefined : uuid(info[k])
      if (reason) throw badRequest(`Invalid input for ${k}. Reason: ${reason}.`)
    }
    // NOTE: visibility is judged before the transaction (the loads read other tables
    // through the service's own store); the transaction reads the rows again.
    const givenPort =
      info.port_id !== undefined ? await this.ports.load(caller, String(info.port_id)) : undefined
    const givenSubnet =
      info.subnet_id !== undefined ? await this.subnets.load(caller, String(info.subnet_id)) : undefined
    return this.store.tx(async (s) => {
      const existing = await this.interfaces(s, id)
      const attachedSubnets = await s.subnets.find({
        id: existing.flatMap((p) => (p.fixed_ips as FixedIp[]).map((f) => f.subnet_id)),
      })
      const checkOverlap = (subnet: Doc) => {
        const c = parseCidr(subnet.cidr)!
        for (const o of attachedSubnets) {
          if (o.id === subnet.id)
            throw typed(
              'bad_request',
              'network.router.subnet_attached',
              'BadRequest',
              `Bad router request: Router already has a port on subnet ${subnet.id}.`,
            )
          if (overlaps(parseCidr(o.cidr)!, c))
            throw typed(
              'bad_request',
              'network.router.cidr_overlap',
              'BadRequest',
              `Bad router request: Cidr ${formatCidr(c)} of subnet ${subnet.id} overlaps with cidr ${o.cidr} of subnet ${o.id}.`,
            )
        }
      }
      let port: Doc
      if (info.port_id !== undefined) {
        const found = await s.ports.get(givenPort!.id)
        if (!found) throw notFound('port', givenPort!.id)
        port = found
        if (port.device_id || port.device_owner)
          throw portInUse(
            `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`,
          )
        const fixed = port.fixed_ips as FixedIp[]
        if (!fixed.length)
          throw badRequest('Bad router request: Router port must have at least one fixed IP.')
        for (const sub of await s.subnets.find({ id: fixed.map((f) => f.subnet_id) })) checkOverlap(sub)
        port = {
          ...port,
          device_id: id,
          device_owner: ROUTER_INTERFACE,
          status: 'ACTIVE',
          security_groups: [],
          revision_number: Number(port.revision_number) + 1,
        }
        await s.ports.update(port, Number(port.revision_number) - 1)
        await s.portGroups.set(port.id, [])
      } else {
        const subnet = await s.subnets.get(givenSubnet!.id)
        if (!subnet) throw notFound('subnet', givenSubnet!.id)
        if (!subnet.gateway_ip)
          throw typed(
            'bad_request',
            'network.router.no_gateway',
            'BadRequest',
            `Bad router request: Subnet for router interface must have a gateway IP.`,
          )
        checkOverlap(subnet)
        port = await this.ports.create(
          caller,
          {
            network_id: subnet.network_id,
            project_id: router.project_id,
            device_owner: ROUTER_INTERFACE,
            device_id: id,
            name: '',
            admin_state_up: true,
            fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
          },
          new Set(),
          { internal: true, s },
        )
      }
      await this.touch(s, id)
      const subnetIds = (port.fixed_ips as FixedIp[]).map((f) => f.subnet_id)
      return {
        id,
        tenant_id: router.project_id,
        project_id: router.project_id,
        port_id: port.id,
        network_id: port.network_id,
        subnet_id: subnetIds[0],
        subnet_ids: subnetIds,
      }
    })
  }

  private async touch(s: NetworkStore, id: string) {
    const r = await s.routers.get(id)
    if (r)
      await s.routers.update(
        { ...r, revision_number: Number(r.revision_number) + 1 },
        Number(r.revision_number),
      )
  }

  async removeInterface(caller: Caller, id: string, body: unknown) {
    const router = await this.load(caller, id)
    caller.can('remove_router_interface', await this.target(router))
    const info = (body ?? {}) as { subnet_id?: string; port_id?: string }
    if (info.subnet_id === undefined && info.port_id === undefined)
      throw badRequest('Bad router request: Either subnet_id or port_id must be specified.')
    return this.store.tx(async (s) => {
      const ports = await this.interfaces(s, id)
      let port: Doc | undefined
      if (info.port_id !== undefined) {
        port = ports.find((p) => p.id === info.port_id)
        if (!port)
          throw typed(
            'not_found',
            'network.router.interface_not_found',
            'RouterInterfaceNotFound',
            `Router ${id} does not have an interface with id ${info.port_id}`,
          )
        if (
          info.subnet_id !== undefined &&
          !(port.fixed_ips as FixedIp[]).some((f) => f.subnet_id === info.subnet_id)
        )
          throw typed(
            'conflict',
            'network.router.subnet_mismatch',
            'SubnetMismatchForPort',
            `Subnet ${info.subnet_id} on port ${port.id} does not match the requested subnet.`,
          )
      } else {
        port = ports.find((p) => (p.fixed_ips as FixedIp[]).some((f) => f.subnet_id === info.subnet_id))
        if (!port)
          throw typed(
            'not_found',
            'network.router.no_interface_on_subnet',
            'RouterInterfaceNotFoundForSubnet',
            `Router ${id} has no interface on subnet ${info.subnet_id}`,
          )
      }
      const subnetIds = (port.fixed_ips as FixedIp[]).map((f) => f.subnet_id)
      const fips = await s.floatingIps.find({ router_id: id })
      for (const f of fips) {
        const fixed = await s.ports.get(String(f.port_id))
        if (
          fixed &&
          (fixed.fixed_ips as FixedIp[]).some(
            (x) => subnetIds.includes(x.subnet_id) && x.ip_address === f.fixed_ip_address,
          )
        )
          throw typed(
            'conflict',
            'network.router.interface_has_fip',
            'RouterInterfaceInUseByFloatingIP',
            `Router interface for subnet ${subnetIds[0]} on router ${id} cannot be deleted, as it is required by one or more floating IPs.`,
          )
      }
      const cidrs = (await s.subnets.find({ id: subnetIds })).map((x) => parseCidr(x.cidr)!)
      const routes = (router.routes as Route[]).filter((r) =>
        cidrs.some((c) => contains(c, parseAddress(r.nexthop)!)),
      )
      if (routes.length)
        throw typed(
          'conflict',
          'network.router.interface_has_routes',
          'RouterInterfaceInUseByRoute',
          `Router interface for subnet ${subnetIds[0]} on router ${id} cannot be deleted, as it is required by one or more routes.`,
        )
      await this.ports.delete(caller, port.id, undefined, { internal: true, s })
      await this.touch(s, id)
      return {
        id,
        tenant_id: router.project_id,
        project_id: router.project_id,
        port_id: port.id,
        network_id: port.network_id,
        subnet_id: subnetIds[0],
        subnet_ids: subnetIds,
      }
    })
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_router', await this.target(current))
    await this.store.tx(async (s) => {
      const ifaces = await this.interfaces(s, id)
      if (ifaces.length)
        throw routerInUse(
          id,
          ifaces.map((p) => p.id),
        )
      const d = await s.routers.get(id)
      if (!d) throw notFound('router', id)
      await this.detachGateway(s, caller, d)
      await s.routers.delete(id)
    })
    if (current.ha) await this.dropHaNetwork(caller, current.project_id)
  }

  /**
   * A project's HA routers share one HA network (no project of its own, named after the
   * project, a project network segment), made with the first and gone with the last, as
   * upstream's L3 HA. The simulated L3 agents need no ports on it.
   */
  private async ensureHaNetwork(caller: Caller, projectId: string) {
    const name = `HA network tenant ${projectId}`
    if ((await this.store.networks.find({ project_id: '' })).some((n) => n.name === name)) return
    const net = {
      name,
      admin_state_up: true,
      shared: false,
      'router:external': false,
      port_security_enabled: true,
      availability_zone_hints: [],
      is_default: false,
      description: '',
      project_id: '',
    }
    await this.networks.create(caller, { ...net }, new Set(['name']))
  }

  private async dropHaNetwork(caller: Caller, projectId: string) {
    if ((await this.store.routers.find({ project_id: projectId })).some((r) => r.ha)) return
    const name = `HA network tenant ${projectId}`
    for (const n of (await this.store.networks.find({ project_id: '' })).filter((x) => x.name === name))
      await this.networks.delete(caller, n.id).catch(() => {})
  }
}

function normalRoutes(routes: Route[]): Route[] {
  return (routes ?? []).map((r) => {
    const d = parseCidr(r?.destination)
    const n = parseAddress(r?.nexthop)
    if (!d || !n) throw invalidInput(`Invalid format for routes: ${JSON.stringify(r)}`)
    return { destination: formatCidr(d), nexthop: r.nexthop }
  })
}
