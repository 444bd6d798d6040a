/**
 * Read-only views: network IP availability (admin: how many addresses each network and
 * subnet has and uses) and availability zones (the one zone, `nova`, for networks and
 * routers, as a single-zone ML2 deployment shows).
 */
import { notFound } from '../errors.js'
import type { Doc, NetworkStore } from '../storage/index.js'
import { type Pool, poolSize } from './ipam.js'
import type { RawQuery } from './query.js'
import type { Caller } from './resource.js'

export class IpAvailability {
  constructor(private readonly store: NetworkStore) {}

  private async of(networks: Doc[]) {
    const subnets = await this.store.subnets.find({ network_id: networks.map((n) => n.id) })
    const used = await this.store.ips.countOn(subnets.map((s) => s.id))
    return networks.map((n) => {
      const mine = subnets.filter((s) => s.network_id === n.id)
      const subs = mine.map((s) => ({
        subnet_id: s.id,
        subnet_name: s.name,
        cidr: s.cidr,
        ip_version: s.ip_version,
        total_ips: poolSize({ ...s, allocation_pools: s.allocation_pools as Pool[] }),
        used_ips: used.get(s.id) ?? 0,
      }))
      return {
        network_id: n.id,
        network_name: n.name,
        tenant_id: n.project_id,
        project_id: n.project_id,
        total_ips: subs.reduce((a, s) => a + s.total_ips, 0n),
        used_ips: subs.reduce((a, s) => a + s.used_ips, 0),
        subnet_ip_availability: subs,
      }
    })
  }

  async list(caller: Caller, q: RawQuery) {
    caller.can('get_network_ip_availability', {})
    const many = (v: string | string[] | undefined) =>
      v === undefined ? undefined : Array.isArray(v) ? v : [v]
    let nets = await this.store.networks.find()
    const ids = many(q.network_id)
    const names = many(q.network_name)
    const projects = many(q.project_id ?? q.tenant_id)
    if (ids) nets = nets.filter((n) => ids.includes(n.id))
    if (names) nets = nets.filter((n) => names.includes(String(n.name)))
    if (projects) nets = nets.filter((n) => projects.includes(n.project_id))
    let out = await this.of(nets)
    const version = many(q.ip_version)
    if (version)
      out = out.filter((n) => n.subnet_ip_availability.some((s) => version.includes(String(s.ip_version))))
    return out
  }

  async show(caller: Caller, id: string) {
    caller.can('get_network_ip_availability', {})
    const net = await this.store.networks.get(id)
    if (!net) throw notFound('network', id)
    return (await this.of([net]))[0]!
  }
}

/**
 * JSON with exact integers: an IPv6 subnet holds 2^64 addresses, past what a JSON number
 * parsed as a double keeps, and clients (Python) read the digits exactly.
 */
export function exactJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `\u0000${v}`) : v,
  ).replace(/"\\u0000(\d+)"/g, '$1')
}

export function availabilityZones() {
  return ['network', 'router'].map((resource) => ({ name: 'nova', resource, state: 'available' }))
}
