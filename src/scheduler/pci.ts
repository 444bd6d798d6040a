/**
 * PCI requests: `[pci] alias` entries (JSON, one per line) name device specs; a flavor's
 * `pci_passthrough:alias = name:count[, name:count]` asks for devices by alias. These
 * helpers turn both into requests and test a host's free pools against them.
 */
import type { PciPool } from './host-state.js'

/** One alias line: the devices that name stands for. */
export interface PciAlias {
  readonly name: string
  readonly vendorId?: string
  readonly productId?: string
  readonly deviceType?: string
}

/** `count` devices matching any of `specs`. */
export interface PciRequest {
  readonly alias: string
  readonly count: number
  readonly specs: readonly PciAlias[]
}

/** Thrown for an alias line that is not valid JSON with a name. */
export class PciAliasInvalid extends Error {}

/** Parses `[pci] alias` lines; several lines may share a name (any of their specs). */
export function parsePciAliases(lines: readonly string[]): Map<string, PciAlias[]> {
  const out = new Map<string, PciAlias[]>()
  for (const line of lines) {
    let raw: unknown
    try {
      raw = JSON.parse(line)
    } catch {
      throw new PciAliasInvalid(`[pci] alias is not JSON: ${line}`)
    }
    if (typeof raw !== 'object' || raw === null || typeof (raw as { name?: unknown }).name !== 'string')
      throw new PciAliasInvalid(`[pci] alias needs a "name": ${line}`)
    const r = raw as Record<string, unknown>
    const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined)
    const alias: PciAlias = {
      name: r.name as string,
      ...(str('vendor_id') ? { vendorId: str('vendor_id') } : {}),
      ...(str('product_id') ? { productId: str('product_id') } : {}),
      ...(str('device_type') ? { deviceType: str('device_type') } : {}),
    }
    out.set(alias.name, [...(out.get(alias.name) ?? []), alias])
  }
  return out
}

/**
 * The PCI requests of a flavor. An alias the configuration does not know yields a
 * request with no specs, which no host can satisfy (the filter says which alias).
 */
export function pciRequests(
  extraSpecs: Readonly<Record<string, string>>,
  aliases: ReadonlyMap<string, readonly PciAlias[]>,
): PciRequest[] {
  const spec = extraSpecs['pci_passthrough:alias']
  if (!spec) return []
  const out: PciRequest[] = []
  for (const part of spec.split(',')) {
    const [name, count] = part.split(':').map((s) => s.trim())
    if (!name) continue
    const n = count === undefined ? 1 : Number(count)
    out.push({ alias: name, count: Number.isInteger(n) && n > 0 ? n : 1, specs: aliases.get(name) ?? [] })
  }
  return out
}

const poolMatches = (pool: PciPool, spec: PciAlias): boolean =>
  (spec.vendorId === undefined || spec.vendorId.toLowerCase() === pool.vendorId.toLowerCase()) &&
  (spec.productId === undefined || spec.productId.toLowerCase() === pool.productId.toLowerCase()) &&
  (spec.deviceType === undefined || spec.deviceType === pool.deviceType)

/**
 * The first request the pools cannot satisfy, or undefined when all fit. Requests take
 * devices from the pools in turn, so two requests never count the same device.
 */
export function unsatisfiedPciRequest(
  pools: readonly PciPool[],
  requests: readonly PciRequest[],
): PciRequest | undefined {
  const left = pools.map((p) => p.count)
  for (const req of requests) {
    let need = req.count
    for (let i = 0; i < pools.length && need > 0; i++) {
      if (left[i]! > 0 && req.specs.some((s) => poolMatches(pools[i]!, s))) {
        const take = Math.min(left[i]!, need)
        left[i]! -= take
        need -= take
      }
    }
    if (need > 0) return req
  }
  return undefined
}
