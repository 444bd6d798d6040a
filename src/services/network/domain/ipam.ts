/**
 * Address management: a port's address is a row under the unique key (subnet, address),
 * so an address is handed out once whatever the number of concurrent writers or API
 * processes. Picking is optimistic: read what is taken, try the first free address of
 * the allocation pools (later tries: a random one of the next few, to step apart from
 * writers racing for the same), and read again when someone else's insert landed first.
 * A subnet with no free address answers 409 IpAddressGenerationFailure.
 */
import { ipExhausted, ipInUse } from '../errors.js'
import type { Doc, NetworkStore } from '../storage/index.js'
import { type Cidr, eui64, formatAddress, type IpVersion, parseAddress, parseCidr } from './ip.js'

export interface Pool {
  start: string
  end: string
}

/** Whether a subnet hands out EUI-64 addresses (SLAAC and DHCPv6-stateless). */
export function isAutoAddress(subnet: Doc): boolean {
  return (
    subnet.ip_version === 6 &&
    (subnet.ipv6_address_mode === 'slaac' || subnet.ipv6_address_mode === 'dhcpv6-stateless')
  )
}

export class Ipam {
  /** Claims a given address; 409 IpAddressInUse when it is taken. */
  async claim(s: NetworkStore, subnet: Doc, ip: string, portId: string): Promise<void> {
    const ok = await s.ips.tryClaim({
      subnet_id: subnet.id,
      ip_address: ip,
      port_id: portId,
      network_id: String(subnet.network_id),
    })
    if (!ok) throw ipInUse(String(subnet.network_id), ip)
  }

  /** The EUI-64 address of a MAC on a SLAAC subnet, claimed. */
  async claimAuto(s: NetworkStore, subnet: Doc, mac: string, portId: string): Promise<string> {
    const cidr = parseCidr(subnet.cidr) as Cidr
    const ip = formatAddress(6, eui64(cidr, mac))
    await this.claim(s, subnet, ip, portId)
    return ip
  }

  /** Claims any free address of the subnet's pools. */
  async claimAny(s: NetworkStore, subnet: Doc, portId: string): Promise<string> {
    const version = subnet.ip_version as IpVersion
    const pools = ((subnet.allocation_pools as Pool[]) ?? []).map((p) => [
      parseAddress(p.start)!.value,
      parseAddress(p.end)!.value,
    ])
    const tried = new Set<string>()
    const claimIp = (ip: string) =>
      s.ips.tryClaim({
        subnet_id: subnet.id,
        ip_address: ip,
        port_id: portId,
        network_id: String(subnet.network_id),
      })
    // NOTE: a large pool (more than 4,096 addresses) is probed at random first: reading
    // every taken address of a /16 for each new port would make creates slow down as the
    // subnet fills. A small pool is read whole, so addresses are handed out in order.
    const size = pools.reduce((n, [lo, hi]) => n + (hi! - lo! + 1n), 0n)
    if (size > 4096n) {
      for (let probe = 0; probe < 8; probe++) {
        let offset = BigInt(Math.floor(Math.random() * Number(size)))
        for (const [lo, hi] of pools) {
          const span = hi! - lo! + 1n
          if (offset < span) {
            const ip = formatAddress(version, lo! + offset)
            tried.add(ip)
            if (await claimIp(ip)) return ip
            break
          }
          offset -= span
        }
      }
    }
    for (let attempt = 0; attempt < 64; attempt++) {
      const taken = await s.ips.addressesOf(subnet.id)
      const free: string[] = []
      const window = attempt === 0 ? 1 : 16
      for (const [lo, hi] of pools) {
        for (let v = lo!; v <= hi! && free.length < window; v++) {
          const ip = formatAddress(version, v)
          if (!taken.has(ip) && !tried.has(ip)) free.push(ip)
        }
        if (free.length >= window) break
      }
      if (!free.length) break
      const ip = free[Math.floor(Math.random() * free.length)]!
      tried.add(ip)
      const ok = await s.ips.tryClaim({
        subnet_id: subnet.id,
        ip_address: ip,
        port_id: portId,
        network_id: String(subnet.network_id),
      })
      if (ok) return ip
    }
    throw ipExhausted(String(subnet.network_id))
  }
}

/** How many addresses the pools hold (for IP availability). */
export function poolSize(subnet: Doc): bigint {
  let n = 0n
  for (const p of (subnet.allocation_pools as Pool[]) ?? []) {
    const a = parseAddress(p.start)
    const b = parseAddress(p.end)
    if (a && b) n += b.value - a.value + 1n
  }
  return n
}
