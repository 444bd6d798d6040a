/**
 * IP address arithmetic for IPv4 and IPv6 as BigInts: parsing, canonical text (RFC 5952
 * for IPv6, as netaddr prints it), CIDRs, ranges, EUI-64 addresses for SLAAC. No I/O.
 */

export type IpVersion = 4 | 6

export interface Address {
  version: IpVersion
  value: bigint
}

export interface Cidr {
  version: IpVersion
  /** The network address (host bits cleared). */
  network: bigint
  prefix: number
}

const BITS = { 4: 32, 6: 128 } as const

export const bitsOf = (v: IpVersion) => BITS[v]

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    // NOTE: leading zeros are ambiguous (octal to some parsers); refused as netaddr does.
    if (p.length > 1 && p.startsWith('0')) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined
  let tail: bigint[] = []
  let body = text
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [v4 >> 16n, v4 & 0xffffn]
    const head = text.slice(0, lastColon + 1)
    body = head.endsWith('::') ? head : head.slice(0, -1)
    if (body === '') return undefined
  }
  const halves = body.split('::')
  if (halves.length > 2) return undefined
  const group = (s: string) => (s === '' ? [] : s.split(':'))
  const head = group(halves[0]!)
  const rest = halves.length === 2 ? group(halves[1]!) : []
  for (const g of [...head, ...rest]) if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
  const given = head.length + rest.length + tail.length
  if (halves.length === 1 && given !== 8) return undefined
  if (halves.length === 2 && given > 7) return undefined
  const groups = [
    ...head.map((g) => BigInt(`0x${g}`)),
    ...Array<bigint>(8 - given).fill(0n),
    ...rest.map((g) => BigInt(`0x${g}`)),
    ...tail,
  ]
  if (halves.length === 1 && groups.length !== 8) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n)
}

/** Parses an address; undefined when it is not one. */
export function parseAddress(text: unknown): Address | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined
  if (text.includes(':')) {
    const v = parseV6(text)
    return v === undefined ? undefined : { version: 6, value: v }
  }
  const v = parseV4(text)
  return v === undefined ? undefined : { version: 4, value: v }
}

export function formatAddress(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.')
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn))
  // The longest run of two or more zero groups becomes `::` (the first when tied).
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':')
  if (best < 0) return hex(groups)
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`
}

/** The canonical text of an address (IPv6 compressed, lowercase). */
export function canonical(text: string): string {
  const a = parseAddress(text)
  return a ? formatAddress(a.version, a.value) : text
}

export function maskOf(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(BITS[version])
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n)
}

/**
 * Parses `a.b.c.d/n` or `x::/n`. `strict` refuses host bits (a subnet's CIDR); without it
 * they are cleared. A bare address is a host route (/32, /128).
 */
export function parseCidr(text: unknown, strict = false): Cidr | undefined {
  if (typeof text !== 'string') return undefined
  const [addr, len, extra] = text.split('/')
  if (extra !== undefined) return undefined
  const a = parseAddress(addr)
  if (!a) return undefined
  const bits = BITS[a.version]
  let prefix: number = bits
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len)) return undefined
    prefix = Number(len)
    if (prefix > bits) return undefined
  }
  const network = a.value & maskOf(a.version, prefix)
  if (strict && network !== a.value) return undefined
  return { version: a.version, network, prefix }
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.version, c.network)}/${c.prefix}`
}

export function sizeOf(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.version] - c.prefix)
}

export function lastOf(c: Cidr): bigint {
  return c.network + sizeOf(c) - 1n
}

export function contains(c: Cidr, a: Address): boolean {
  return a.version === c.version && a.value >= c.network && a.value <= lastOf(c)
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastOf(b) && b.network <= lastOf(a)
}

/** The usable range of a subnet as Neutron computes default pools (no network/broadcast). */
export function usableRange(c: Cidr): [bigint, bigint] {
  const last = lastOf(c)
  if (c.version === 4) {
    if (c.prefix >= 31) return [c.network, last]
    return [c.network + 1n, last - 1n]
  }
  // IPv6: the subnet-router anycast address (the first) is not handed out.
  if (c.prefix >= 127) return [c.network, last]
  return [c.network + 1n, last]
}

/** The modified EUI-64 address for a MAC in a /64 (SLAAC). */
export function eui64(prefix: Cidr, mac: string): bigint {
  const octets = mac.split(':').map((o) => Number.parseInt(o, 16))
  octets[0] = octets[0]! ^ 0x02
  const iid = [...octets.slice(0, 3), 0xff, 0xfe, ...octets.slice(3)]
  const value = iid.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n)
  return prefix.network | value
}

export function isMulticast(a: Address): boolean {
  return a.version === 4 ? a.value >> 28n === 0xen : a.value >> 120n === 0xffn
}

export function isLoopback(a: Address): boolean {
  return a.version === 4 ? a.value >> 24n === 127n : a.value === 1n
}

export function isLinkLocalV6(c: Cidr): boolean {
  return c.version === 6 && c.network >> 118n === 0x3fan
}
