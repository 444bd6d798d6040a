/**
 * Neutron's attribute validators and converters (`type:string`, `type:uuid`,
 * `convert_to_boolean`, ...): each validator answers a reason, in Neutron's words, or
 * undefined; converters throw InvalidInput. The attribute maps in attributes.ts use them.
 */

import { parseAddress, parseCidr } from '../domain/ip.js'
import { invalidInput } from '../errors.js'

export type Validator = (value: unknown) => string | undefined
export type Converter = (value: unknown) => unknown

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i

const repr = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))

export function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (v === 0 || v === 1) return v === 1
  if (typeof v === 'string') {
    const s = v.toLowerCase()
    if (s === 'true' || s === '1') return true
    if (s === 'false' || s === '0') return false
  }
  throw invalidInput(`${repr(v)} cannot be converted to boolean`)
}

export function toInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v)
  throw invalidInput(`${repr(v)} is not an integer`)
}

export const toIntOrNone: Converter = (v) => (v === null || v === undefined ? null : toInt(v))
export const toBoolOrNone: Converter = (v) => (v === null ? null : toBoolean(v))

export const string =
  (max = 255): Validator =>
  (v) => {
    if (typeof v !== 'string') return `${repr(v)} is not a valid string`
    if (v.length > max) return `${repr(v)} exceeds maximum length of ${max}`
    return undefined
  }
export const stringOrNone =
  (max = 255): Validator =>
  (v) =>
    v === null ? undefined : string(max)(v)

export const uuid: Validator = (v) =>
  typeof v === 'string' && UUID.test(v) ? undefined : `${repr(v)} is not a valid UUID`
export const uuidOrNone: Validator = (v) => (v === null ? undefined : uuid(v))
export const uuidList: Validator = (v) => {
  if (!Array.isArray(v)) return `${repr(v)} is not a list`
  for (const i of v) {
    const r = uuid(i)
    if (r) return r
  }
  if (new Set(v).size !== v.length) return `Duplicate items in the list: ${repr(v)}`
  return undefined
}

export const boolean: Validator = (v) => (typeof v === 'boolean' ? undefined : `${repr(v)} is not boolean`)

export const range =
  (min: number, max: number): Validator =>
  (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `${repr(v)} is not an integer`
    if (v < min) return `${v} is too small - must be at least ${min}`
    if (v > max) return `${v} is too large - must be no larger than ${max}`
    return undefined
  }

export const values =
  (allowed: readonly unknown[]): Validator =>
  (v) =>
    allowed.includes(v) ? undefined : `${repr(v)} is not in ${JSON.stringify(allowed).replace(/"/g, "'")}`

export const ipAddress: Validator = (v) => {
  if (typeof v !== 'string' || !parseAddress(v)) return `${repr(v)} is not a valid IP address`
  return undefined
}
export const ipAddressOrNone: Validator = (v) => (v === null ? undefined : ipAddress(v))

export const subnetCidr: Validator = (v) => {
  if (typeof v !== 'string') return `${repr(v)} is not a valid IP subnet`
  const c = parseCidr(v)
  if (!c || !v.includes('/')) return `${repr(v)} is not a valid IP subnet`
  return undefined
}

export const macAddress: Validator = (v) => {
  if (typeof v !== 'string' || !MAC.test(v)) return `${repr(v)} is not a valid MAC address`
  if (/^(00[:-]){5}00$/.test(v)) return `${repr(v)} is not a valid MAC address`
  const first = Number.parseInt(v.slice(0, 2), 16)
  if (first & 1) return `${repr(v)} is not a valid MAC address`
  return undefined
}

export const dict: Validator = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `${repr(v)} is not a dictionary`
export const dictOrNone: Validator = (v) => (v === null ? undefined : dict(v))

export const stringList =
  (max = 255): Validator =>
  (v) => {
    if (!Array.isArray(v)) return `${repr(v)} is not a list`
    for (const i of v) {
      const r = string(max)(i)
      if (r) return r
    }
    return undefined
  }

export const listOf =
  (item: Validator): Validator =>
  (v) => {
    if (!Array.isArray(v)) return `${repr(v)} is not a list`
    for (const i of v) {
      const r = item(i)
      if (r) return r
    }
    return undefined
  }

export const nameservers: Validator = (v) => {
  if (!Array.isArray(v)) return `${repr(v)} is not a list`
  const seen = new Set<string>()
  for (const ns of v) {
    if (ipAddress(ns)) return `'${ns}' is not a valid nameserver. '${ns}' is not a valid IP address`
    if (seen.has(ns)) return `Duplicate nameserver '${ns}'`
    seen.add(ns)
  }
  return undefined
}

export const hostRoutes: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for hostroute: '${JSON.stringify(v)}'`
  const seen = new Set<string>()
  for (const r of v) {
    if (dict(r) || Object.keys(r).sort().join(',') !== 'destination,nexthop')
      return `Invalid data format for hostroute: '${JSON.stringify(r)}'`
    const { destination, nexthop } = r as { destination: unknown; nexthop: unknown }
    if (subnetCidr(destination)) return subnetCidr(destination)
    if (ipAddress(nexthop)) return ipAddress(nexthop)
    const key = `${destination}|${nexthop}`
    if (seen.has(key)) return `Duplicate hostroute '${JSON.stringify(r)}'`
    seen.add(key)
  }
  return undefined
}

export const ipPools: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for IP pool: '${JSON.stringify(v)}'`
  for (const p of v) {
    if (dict(p)) return `Invalid data format for IP pool: '${JSON.stringify(p)}'`
    const keys = Object.keys(p)
    if (!keys.includes('start') || !keys.includes('end') || keys.some((k) => k !== 'start' && k !== 'end'))
      return `Invalid data format for IP pool: '${JSON.stringify(p)}'`
    const { start, end } = p as { start: unknown; end: unknown }
    if (ipAddress(start)) return ipAddress(start)
    if (ipAddress(end)) return ipAddress(end)
  }
  return undefined
}

export const fixedIps: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${JSON.stringify(v)}'`
  for (const f of v) {
    if (dict(f)) return `Invalid data format for fixed IP: '${JSON.stringify(f)}'`
    for (const k of Object.keys(f)) {
      if (k !== 'ip_address' && k !== 'subnet_id')
        return `Invalid data format for fixed IP: '${JSON.stringify(f)}'`
    }
    const { ip_address, subnet_id } = f as { ip_address?: unknown; subnet_id?: unknown }
    if (ip_address !== undefined && ipAddress(ip_address)) return ipAddress(ip_address)
    if (subnet_id !== undefined && uuid(subnet_id)) return uuid(subnet_id)
  }
  return undefined
}

export const addressPairs: Validator = (v) => {
  if (!Array.isArray(v)) return `Allowed address pairs must be a list.`
  const seen = new Set<string>()
  for (const p of v) {
    if (dict(p)) return `Allowed address pairs must be a list of dictionaries`
    const { ip_address, mac_address, ...rest } = p as Record<string, unknown>
    if (Object.keys(rest).length) return `Unrecognized attribute(s) '${Object.keys(rest).join(', ')}'`
    if (ip_address === undefined) return 'AllowedAddressPair must contain ip_address'
    if (typeof ip_address !== 'string' || (!parseAddress(ip_address) && !parseCidr(ip_address)))
      return `'${String(ip_address)}' is not a valid IP address`
    if (mac_address !== undefined && macAddress(mac_address)) return macAddress(mac_address)
    const key = `${ip_address}|${mac_address ?? ''}`
    if (seen.has(key)) return 'Request contains duplicate address pair'
    seen.add(key)
  }
  return undefined
}

export const extraDhcpOpts: Validator = (v) => {
  if (v === null) return undefined
  if (!Array.isArray(v)) return `${repr(v)} is not a list`
  for (const o of v) {
    if (dict(o)) return `${repr(o)} is not a dictionary`
    const { opt_name, opt_value, ip_version, ...rest } = o as Record<string, unknown>
    if (Object.keys(rest).length) return `Unrecognized attribute(s) '${Object.keys(rest).join(', ')}'`
    if (typeof opt_name !== 'string' || !opt_name) return `${repr(opt_name)} is not a valid string`
    if (opt_value !== null && typeof opt_value !== 'string') return `${repr(opt_value)} is not a valid string`
    if (
      ip_version !== undefined &&
      ip_version !== 4 &&
      ip_version !== 6 &&
      ip_version !== '4' &&
      ip_version !== '6'
    )
      return `${repr(ip_version)} is not in [4, 6]`
  }
  return undefined
}

/** `N` or `N:M` with 1 <= N <= M <= 65535 (fip-pf-port-range). */
export const portRange: Validator = (x) => {
  const m = typeof x === 'string' ? /^(\d+)(?::(\d+))?$/.exec(x) : null
  const a = m ? Number(m[1]) : 0
  const b = m?.[2] ? Number(m[2]) : a
  if (!m || a < 1 || b > 65535 || a > b) return `Invalid port range ${repr(x)}`
  return undefined
}
