/**
 * Floating IP port forwardings: an external port (or range) of a floating IP sent to a
 * port's fixed address and port, through the router joining that address's subnet to
 * the floating IP's network. A floating IP either forwards ports or is associated with a
 * port, never both; a port with a floating IP of its own cannot be a forwarding target.
 * Unique keys (floating IP, protocol, external port) and (port, address:port, protocol)
 * keep two concurrent creates from mapping one socket twice.
 */
import { randomUUID } from 'node:crypto'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import { badRequest, externalGatewayUnreachable, notFound, typed } from '../errors.js'
import { PORT_FORWARDING, prepareBody } from '../schemas/attributes.js'
import type { Doc, NetworkStore } from '../storage/index.js'
import type { FloatingIps } from './floating-ips.js'
import { canonical } from './ip.js'
import type { FixedIp, Ports } from './ports.js'
import { filterDocs, type ListQuery, paginate, sortDocs } from './query.js'
import { type Caller, now } from './resource.js'
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from './routers.js'

const FIELDS = [
  'id',
  'external_port',
  'internal_port',
  'external_port_range',
  'internal_port_range',
  'internal_ip_address',
  'protocol',
  'internal_port_id',
  'description',
] as const

function pfNotFound(id: string) {
  return typed(
    'not_found',
    'network.pf.not_found',
    'PortForwardingNotFound',
    `Port Forwarding ${id} could not be found.`,
  )
}

export class PortForwardings {
  constructor(
    private readonly store: NetworkStore,
    private readonly fips: FloatingIps,
    private readonly ports: Ports,
  ) {}

  view(doc: Doc): Doc {
    const out: Record<string, unknown> = {}
    for (const f of FIELDS) out[f] = doc[f] ?? null
    return out as Doc
  }

  private async fipFor(caller: Caller, fipId: string, action: string) {
    const fip = await this.fips.load(caller, fipId)
    caller.can(`${action}_floatingip_port_forwarding`, { ...fip, tenant_id: fip.project_id })
    return fip
  }

  async list(caller: Caller, fipId: string, q: ListQuery) {
    await this.fipFor(caller, fipId, 'get')
    const views = (await this.store.portForwardings.find({ floatingip_id: fipId })).map((d) => this.view(d))
    return paginate(sortDocs(filterDocs(views, q), q), q)
  }

  async show(caller: Caller, fipId: string, id: string): Promise<Doc> {
    await this.fipFor(caller, fipId, 'get')
    const doc = await this.store.portForwardings.get(id)
    if (!doc || doc.floatingip_id !== fipId) throw pfNotFound(id)
    return this.view(doc)
  }

  /**
   * Checks a forwarding's target and answers the router that carries it. The port's
   * visibility was judged before the transaction (it reads through the service's store).
   */
  private async check(s: NetworkStore, fip: Doc, pf: Doc): Promise<string> {
    const single = (port: unknown, range: unknown, side: string) => {
      if ((port === null || port === undefined) === (range === null || range === undefined))
        throw badRequest(`Invalid input: give either ${side}_port or ${side}_port_range.`)
    }
    single(pf.external_port, pf.external_port_range, 'external')
    single(pf.internal_port, pf.internal_port_range, 'internal')
    if (fip.port_id)
      throw typed(
        'conflict',
        'network.pf.fip_associated',
        'FipInUse',
        `Floating IP ${fip.id} is associated with port ${fip.port_id}; it cannot forward ports too.`,
      )
    const port = await s.ports.get(String(pf.internal_port_id))
    if (!port) throw notFound('port', String(pf.internal_port_id))
    const fixed = (port.fixed_ips as FixedIp[]).find((f) => f.ip_address === pf.internal_ip_address)
    if (!fixed)
      throw typed(
        'bad_request',
        'network.pf.port_ip',
        'InconsistentPortAndIP',
        `Port ${port.id} does not have ip address ${String(pf.internal_ip_address)}.`,
      )
    if ((await s.floatingIps.find({ port_id: port.id })).length)
      throw typed(
        'conflict',
        'network.pf.port_has_fip',
        'PortHasBindingFloatingIP',
        `Cannot create port forwarding to floating IP ${fip.floating_ip_address} (${fip.id}) with port ${port.id} using fixed IP ${fixed.ip_address}, as that port already has a binding floating IP.`,
      )
    const ifaces = await s.ports.find({ network_id: String(port.network_id), device_owner: ROUTER_INTERFACE })
    for (const i of ifaces) {
      if (!(i.fixed_ips as FixedIp[]).some((f) => f.subnet_id === fixed.subnet_id)) continue
      const gw = await s.ports.find({ device_id: String(i.device_id), device_owner: ROUTER_GATEWAY })
      if (gw.some((g) => g.network_id === fip.floating_network_id)) return String(i.device_id)
    }
    throw externalGatewayUnreachable(String(fip.floating_network_id), fixed.subnet_id, port.id)
  }

  /** Inserts or replaces under the unique keys; a clash is upstream's 400. */
  private async write(s: NetworkStore, doc: Doc, replace: boolean) {
    try {
      if (replace) await s.portForwardings.update(doc, Number(doc.revision_number) - 1)
      else await s.portForwardings.insert(doc)
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
      throw badRequest(
        `A duplicate port forwarding entry with same attributes already exists, conflicting values are {floatingip_id: ${String(doc.floatingip_id)}, protocol: ${String(doc.protocol)}, external_port: ${String(doc.external_port ?? doc.external_port_range)}, internal: ${String(doc.internal_ip_address)}:${String(doc.internal_port ?? doc.internal_port_range)}}.`,
      )
    }
  }

  async create(caller: Caller, fipId: string, body: unknown): Promise<Doc> {
    const attrs = prepareBody(PORT_FORWARDING, 'port_forwarding', body, 'create')
    const fip = await this.fipFor(caller, fipId, 'create')
    const at = now()
    const doc: Doc = {
      id: randomUUID(),
      project_id: fip.project_id,
      floatingip_id: fip.id,
      description: '',
      ...attrs,
      internal_ip_address: attrs.internal_ip_address ? canonical(String(attrs.internal_ip_address)) : null,
      created_at: at,
      updated_at: at,
      revision_number: 0,
    }
    delete doc.tenant_id
    await this.ports.load(caller, String(doc.internal_port_id))
    await this.store.tx(async (s) => {
      const router = await this.check(s, fip, doc)
      await this.write(s, doc, false)
      const f = await s.floatingIps.get(fip.id)
      if (f && !f.router_id)
        await s.floatingIps.update(
          { ...f, router_id: router, revision_number: Number(f.revision_number) + 1 },
          Number(f.revision_number),
        )
    })
    return this.view(doc)
  }

  async update(caller: Caller, fipId: string, id: string, body: unknown): Promise<Doc> {
    const attrs = prepareBody(PORT_FORWARDING, 'port_forwarding', body, 'update')
    const fip = await this.fipFor(caller, fipId, 'update')
    if (attrs.internal_port_id) await this.ports.load(caller, String(attrs.internal_port_id))
    return this.store.tx(async (s) => {
      const current = await s.portForwardings.get(id)
      if (!current || current.floatingip_id !== fipId) throw pfNotFound(id)
      const next: Doc = {
        ...current,
        ...attrs,
        updated_at: now(),
        revision_number: Number(current.revision_number) + 1,
      }
      // A port given replaces its range and the other way round.
      for (const side of ['external', 'internal'])
        if (attrs[`${side}_port`] !== undefined && attrs[`${side}_port_range`] === undefined)
          next[`${side}_port_range`] = null
        else if (attrs[`${side}_port_range`] !== undefined && attrs[`${side}_port`] === undefined)
          next[`${side}_port`] = null
      if (attrs.internal_ip_address) next.internal_ip_address = canonical(String(attrs.internal_ip_address))
      await this.check(s, fip, next)
      await this.write(s, next, true)
      return this.view(next)
    })
  }

  async delete(caller: Caller, fipId: string, id: string): Promise<void> {
    await this.fipFor(caller, fipId, 'delete')
    const doc = await this.store.portForwardings.get(id)
    if (!doc || doc.floatingip_id !== fipId) throw pfNotFound(id)
    await this.store.portForwardings.delete(id)
  }
}
