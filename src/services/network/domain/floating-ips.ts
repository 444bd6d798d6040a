/**
 * Floating IPs: an address on an external network (held by a port the service owns,
 * `network:floatingip`, so IPAM keeps it unique), associated with a port's fixed IPv4
 * address through the router that has a gateway on that external network and an
 * interface on the fixed address's subnet. Deleting the port disassociates it.
 */
import { badRequest, externalGatewayUnreachable, floatingIpInUse, notFound, typed } from '../errors.js'
import { FLOATINGIP } from '../schemas/attributes.js'
import type { Cond, Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { canonical, parseAddress } from './ip.js'
import type { Networks } from './networks.js'
import type { FixedIp, Ports } from './ports.js'
import type { ListQuery } from './query.js'
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
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from './routers.js'

export const FLOATINGIP_OWNER = 'network:floatingip'

export class FloatingIps extends ResourceDomain {
  readonly kind: Kind = {
    resource: 'floatingip',
    collection: 'floatingips',
    attrs: FLOATINGIP,
    standard: true,
  }

  constructor(
    store: NetworkStore,
    private readonly networks: Networks,
    private readonly ports: Ports,
    private readonly quotas: Quotas,
  ) {
    super(store)
    ports.setHooks({ portDeleted: (s, portId) => this.portDeleted(s, portId) })
  }

  protected repo(s: NetworkStore): ResourceRepo {
    return s.floatingIps
  }

  /** Lists in SQL: the candidates are the caller's own rows (all of them for admins). */
  protected override sqlScope(caller: Caller): Cond | undefined {
    return this.ownScope(caller)
  }

  protected override candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.store.floatingIps.find()
      : this.store.floatingIps.find({ project_id: caller.projectId })
  }

  protected override async decorate(docs: Doc[]): Promise<void> {
    const ids = docs.map((d) => d.port_id).filter((x): x is string => typeof x === 'string')
    const ports = ids.length ? await this.store.ports.find({ id: ids }) : []
    const pfs = docs.length
      ? await this.store.portForwardings.find({ floatingip_id: docs.map((d) => d.id) })
      : []
    for (const d of docs) {
      // expose-port-forwarding-in-fip
      d.port_forwardings = pfs
        .filter((f) => f.floatingip_id === d.id)
        .map((f) => ({
          id: f.id,
          internal_port_id: f.internal_port_id,
          protocol: f.protocol,
          internal_ip_address: f.internal_ip_address,
          internal_port: f.internal_port ?? null,
          external_port: f.external_port ?? null,
          ...(f.internal_port_range ? { internal_port_range: f.internal_port_range } : {}),
          ...(f.external_port_range ? { external_port_range: f.external_port_range } : {}),
        }))
      const p = ports.find((x) => x.id === d.port_id)
      d.port_details = p
        ? {
            name: p.name,
            network_id: p.network_id,
            mac_address: p.mac_address,
            admin_state_up: p.admin_state_up,
            status: p.status,
            device_id: p.device_id,
            device_owner: p.device_owner,
          }
        : null
      d.status = d.port_id ? 'ACTIVE' : 'DOWN'
    }
  }

  /** Where a fixed address reaches the external network: the router, or 404. */
  private async association(
    s: NetworkStore,
    caller: Caller,
    fip: Doc,
    portId: string,
    fixedIp: string | null,
  ) {
    const port = await s.ports.get(portId)
    if (!port) throw notFound('port', portId)
    if (!caller.isAdmin && port.project_id !== caller.projectId)
      throw badRequest(
        `Bad floatingip request: Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant.`,
      )
    if ((await s.portForwardings.find({ floatingip_id: fip.id })).length) throw inUseByPortForwarding(fip.id)
    if ((await s.portForwardings.find({ internal_port_id: portId })).length)
      throw typed(
        'bad_request',
        'network.floatingip.port_has_pf',
        'PortHasPortForwarding',
        `Cannot associate floating IP to port ${portId} because it already has a Port Forwarding binding.`,
      )
    if (port.network_id === fip.floating_network_id)
      throw badRequest(
        `Bad floatingip request: Port ${portId} is on the external network ${fip.floating_network_id}.`,
      )
    const v4 = (port.fixed_ips as FixedIp[]).filter((f) => parseAddress(f.ip_address)?.version === 4)
    let fixed: FixedIp | undefined
    if (fixedIp) {
      fixed = v4.find((f) => f.ip_address === canonical(fixedIp))
      if (!fixed)
        throw badRequest(`Bad floatingip request: Port ${portId} does not have fixed ip ${fixedIp}.`)
    } else {
      if (!v4.length)
        throw badRequest(`Bad floatingip request: Port ${portId} does not have any IPv4 address.`)
      if (v4.length > 1)
        throw badRequest(
          `Bad floatingip request: Port ${portId} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP.`,
        )
      fixed = v4[0]!
    }
    const taken = (await s.floatingIps.find({ port_id: portId })).find(
      (f) => f.id !== fip.id && f.fixed_ip_address === fixed!.ip_address,
    )
    if (taken)
      throw floatingIpInUse(
        `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${portId} using fixed IP ${fixed.ip_address}, as that fixed IP already has a floating IP on external network ${taken.floating_network_id}.`,
      )
    // The router with an interface on the fixed address's subnet and a gateway on the floating network.
    const ifaces = await s.ports.find({ network_id: String(port.network_id), device_owner: ROUTER_INTERFACE })
    for (const i of ifaces) {
      if (!(i.fixed_ips as FixedIp[]).some((f) => f.subnet_id === fixed!.subnet_id)) continue
      const gw = await s.ports.find({ device_id: String(i.device_id), device_owner: ROUTER_GATEWAY })
      if (gw.some((g) => g.network_id === fip.floating_network_id))
        return { router_id: String(i.device_id), fixed_ip_address: fixed.ip_address, port_id: portId }
    }
    throw externalGatewayUnreachable(String(fip.floating_network_id), fixed.subnet_id, portId)
  }

  async create(caller: Caller, attrs: Record<string, unknown>, explicit: ReadonlySet<string>): Promise<Doc> {
    const owner = ownerOf(caller, attrs)
    const target = { ...attrs, project_id: owner, tenant_id: owner }
    caller.can('create_floatingip', target)
    this.checkAttributes(caller, 'create', attrs, target, explicit)
    const net = await this.networks.load(caller, String(attrs.floating_network_id))
    if (!net['router:external'])
      throw typed(
        'bad_request',
        'network.floatingip.not_external',
        'BadRequest',
        `Bad floatingip request: Network ${net.id} is not a valid external network.`,
      )
    return this.store.tx(async (s) => {
      await this.quotas.check(s, owner, 'floatingip', 1)
      const doc = newDoc(owner, {
        floating_network_id: net.id,
        router_id: null,
        port_id: null,
        fixed_ip_address: null,
        status: 'DOWN',
        description: attrs.description ?? '',
        qos_policy_id: attrs.qos_policy_id ?? null,
        port_forwardings: [],
        tags: attrs.tags ?? [],
      })
      const request: Record<string, unknown>[] = []
      if (attrs.floating_ip_address) {
        request.push({
          ip_address: attrs.floating_ip_address,
          ...(attrs.subnet_id ? { subnet_id: attrs.subnet_id } : {}),
        })
      } else if (attrs.subnet_id) {
        request.push({ subnet_id: attrs.subnet_id })
      } else {
        const subnets = (await s.subnets.find({ network_id: net.id })).filter((x) => x.ip_version === 4)
        if (!subnets.length)
          throw badRequest(`Bad floatingip request: Network ${net.id} does not contain any IPv4 subnet.`)
        // NOTE: each IPv4 subnet in turn, so a full subnet does not stop the next.
        for (const sub of subnets) request.push({ subnet_id: sub.id })
      }
      let port: Doc | undefined
      let lastError: unknown
      for (const r of attrs.floating_ip_address || attrs.subnet_id ? [request] : request.map((x) => [x])) {
        try {
          port = await this.ports.create(
            caller,
            {
              network_id: net.id,
              project_id: '',
              device_owner: FLOATINGIP_OWNER,
              device_id: doc.id,
              fixed_ips: r,
            },
            new Set(),
            { internal: true, s },
          )
          break
        } catch (e) {
          lastError = e
        }
      }
      if (!port) throw lastError
      doc.floating_port_id = port.id
      doc.floating_ip_address = (port.fixed_ips as FixedIp[])[0]!.ip_address
      if (attrs.port_id)
        Object.assign(
          doc,
          await this.association(
            s,
            caller,
            doc,
            String(attrs.port_id),
            (attrs.fixed_ip_address as string | null) ?? null,
          ),
        )
      await s.floatingIps.insert(doc)
      return doc
    })
  }

  async update(
    caller: Caller,
    id: string,
    attrs: Record<string, unknown>,
    _explicit: ReadonlySet<string>,
    ifMatch?: IfMatch,
  ): Promise<Doc> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('update_floatingip', await this.target(current))
    // NOTE: an empty update disassociates, as upstream's (once the association was the
    // floating IP's only attribute, so an empty body meant "clear it").
    if (!Object.keys(attrs).length) attrs = { port_id: null }
    const saved = await this.store.tx((s) =>
      this.modify(
        id,
        async (d) => {
          if ('port_id' in attrs) {
            if (attrs.port_id === null)
              Object.assign(d, { port_id: null, fixed_ip_address: null, router_id: null })
            else
              Object.assign(
                d,
                await this.association(
                  s,
                  caller,
                  d,
                  String(attrs.port_id),
                  (attrs.fixed_ip_address as string | null) ?? null,
                ),
              )
          } else if (attrs.fixed_ip_address && d.port_id) {
            Object.assign(
              d,
              await this.association(s, caller, d, String(d.port_id), String(attrs.fixed_ip_address)),
            )
          }
          for (const k of ['description', 'qos_policy_id']) if (k in attrs) d[k] = attrs[k]
          return d
        },
        s,
      ),
    )
    await this.decorate([saved])
    return this.view(caller, saved, await this.target(saved))
  }

  async delete(caller: Caller, id: string, ifMatch?: IfMatch): Promise<void> {
    const current = await this.load(caller, id)
    checkRevision(current, ifMatch)
    caller.can('delete_floatingip', await this.target(current))
    await this.store.tx(async (s) => {
      if ((await s.portForwardings.find({ floatingip_id: id })).length) throw inUseByPortForwarding(id)
      await s.floatingIps.delete(id)
      await this.ports.delete(caller, String(current.floating_port_id), undefined, { internal: true, s })
    })
  }

  private async portDeleted(s: NetworkStore, portId: string) {
    // Forwardings to a port go with it, as upstream's.
    for (const f of await s.portForwardings.find({ internal_port_id: portId }))
      await s.portForwardings.delete(f.id)
    for (const f of await s.floatingIps.find({ port_id: portId }))
      await s.floatingIps.update(
        {
          ...f,
          port_id: null,
          fixed_ip_address: null,
          router_id: null,
          revision_number: Number(f.revision_number) + 1,
        },
        Number(f.revision_number),
      )
  }
}

function inUseByPortForwarding(id: string) {
  return typed(
    'conflict',
    'network.floatingip.in_use_by_pf',
    'FipInUseByPortForwarding',
    `Floating IP ${id} in use by Port Forwarding resources.`,
  )
}
