/**
 * Response bodies per microversion.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import { capacityOf, type Inventory, type Provider } from '../domain/model.js'

export function providerLinks(prefix: string, p: Provider, v: Version) {
  const base = `${prefix}/resource_providers/${p.uuid}`
  const links = [
    { rel: 'self', href: base },
    { rel: 'inventories', href: `${base}/inventories` },
    { rel: 'usages', href: `${base}/usages` },
  ]
  if (v.gte('1.1')) links.push({ rel: 'aggregates', href: `${base}/aggregates` })
  if (v.gte('1.6')) links.push({ rel: 'traits', href: `${base}/traits` })
  if (v.gte('1.11')) links.push({ rel: 'allocations', href: `${base}/allocations` })
  return links
}

export function providerView(prefix: string, p: Provider, v: Version) {
  const out: Record<string, unknown> = {
    generation: p.generation,
    uuid: p.uuid,
    name: p.name,
    links: providerLinks(prefix, p, v),
  }
  if (v.gte('1.14')) {
    out.parent_provider_uuid = p.parent?.uuid ?? null
    out.root_provider_uuid = p.root.uuid
  }
  return out
}

export function inventoryView(i: Inventory) {
  return {
    total: i.total,
    reserved: i.reserved,
    min_unit: i.minUnit,
    max_unit: i.maxUnit,
    step_size: i.stepSize,
    allocation_ratio: i.allocationRatio,
  }
}

export function summaryResources(p: Provider, only?: Set<string>) {
  const out: Record<string, { capacity: number; used: number }> = {}
  for (const [rc, inv] of p.inventories) {
    if (only && !only.has(rc)) continue
    out[rc] = { capacity: capacityOf(inv), used: p.usages.get(rc) ?? 0 }
  }
  return out
}
