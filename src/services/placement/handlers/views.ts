/**
 * Response bodies per microversion.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import type { Candidate, CandidateRequest } from '../domain/candidates.js'
import {
  type Consumer,
  capacityOf,
  type Inventory,
  type NamedRecord,
  PlacementState,
  type Provider,
} from '../domain/model.js'

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

export function inventoriesView(p: Provider) {
  const inventories: Record<string, unknown> = {}
  for (const [rc, i] of p.inventories) inventories[rc] = inventoryView(i)
  return { resource_provider_generation: p.generation, inventories }
}

/** One inventory, with its provider's generation. */
export function providerInventoryView(p: Provider, i: Inventory) {
  return { resource_provider_generation: p.generation, ...inventoryView(i) }
}

export function aggregatesView(p: Provider, v: Version) {
  const out: Record<string, unknown> = { aggregates: [...p.aggregates] }
  if (v.gte('1.19')) out.resource_provider_generation = p.generation
  return out
}

export function providerTraitsView(p: Provider) {
  return { resource_provider_generation: p.generation, traits: [...p.traits].sort() }
}

export function resourceClassView(prefix: string, r: NamedRecord) {
  return { name: r.name, links: [{ rel: 'self', href: `${prefix}/resource_classes/${r.name}` }] }
}

/** GET /allocations/{consumer_uuid}: by provider, and the consumer's owner from 1.12. */
export function consumerAllocationsView(c: Consumer | undefined, v: Version) {
  const allocations: Record<string, { generation: number; resources: Record<string, number> }> = {}
  for (const a of c?.allocations ?? []) {
    allocations[a.provider.uuid] ??= { generation: a.provider.generation, resources: {} }
    allocations[a.provider.uuid]!.resources[a.resourceClass] = a.used
  }
  const out: Record<string, unknown> = { allocations }
  if (c?.allocations.length && v.gte('1.12')) {
    out.project_id = c.projectId
    out.user_id = c.userId
    if (v.gte('1.28')) out.consumer_generation = c.generation
    if (v.gte('1.38')) out.consumer_type = c.consumerType ?? 'unknown'
  }
  return out
}

/** GET /resource_providers/{uuid}/allocations; each consumer's generation from 1.28. */
export function providerAllocationsView(
  p: Provider,
  byConsumer: Map<string, Map<string, number>>,
  generations: Map<string, number>,
  v: Version,
) {
  const allocations: Record<string, { resources: Record<string, number>; consumer_generation?: number }> = {}
  for (const [uuid, m] of byConsumer) {
    allocations[uuid] = { resources: Object.fromEntries(m) }
    if (v.gte('1.28')) allocations[uuid].consumer_generation = generations.get(uuid) ?? 0
  }
  return { resource_provider_generation: p.generation, allocations }
}

export function candidatesView(s: PlacementState, found: Candidate[], creq: CandidateRequest, v: Version) {
  const requested = new Set<string>()
  for (const g of creq.groups) for (const rc of g.resources.keys()) requested.add(rc)
  const summaryProviders = new Set<Provider>()
  for (const c of found) {
    for (const p of c.alloc.keys()) {
      if (v.gte('1.29')) for (const q of PlacementState.treeOf(p.root)) summaryProviders.add(q)
      else summaryProviders.add(p)
    }
    if (v.gte('1.29')) for (const q of PlacementState.treeOf(c.anchor)) summaryProviders.add(q)
  }
  const provider_summaries: Record<string, unknown> = {}
  for (const p of [...summaryProviders].sort((a, b) => a.id - b.id)) {
    const sum: Record<string, unknown> = {
      resources: summaryResources(p, v.gte('1.27') ? undefined : requested),
    }
    // NOTE: upstream lists a provider's traits in trait id order (its database order).
    if (v.gte('1.17')) sum.traits = [...p.traits].sort((a, b) => traitId(s, a) - traitId(s, b))
    if (v.gte('1.29')) {
      sum.parent_provider_uuid = p.parent?.uuid ?? null
      sum.root_provider_uuid = p.root.uuid
    }
    provider_summaries[p.uuid] = sum
  }
  const allocation_requests = found.map((c) => {
    if (!v.gte('1.12')) {
      return {
        allocations: [...c.alloc].map(([p, m]) => ({
          resource_provider: { uuid: p.uuid },
          resources: Object.fromEntries(m),
        })),
      }
    }
    const allocations: Record<string, unknown> = {}
    for (const [p, m] of c.alloc) allocations[p.uuid] = { resources: Object.fromEntries(m) }
    const out: Record<string, unknown> = { allocations }
    if (v.gte('1.34'))
      out.mappings = Object.fromEntries([...c.mappings].map(([sfx, ps]) => [sfx, ps.map((p) => p.uuid)]))
    return out
  })
  return { allocation_requests, provider_summaries }
}

/**
 * The allocation candidates body as UTF-8 JSON, byte for byte what
 * `JSON.stringify(candidatesView(...))` gives, built without the intermediate objects:
 * each provider's summary fragment is cached on the provider as bytes (dropped
 * whenever the index changes that provider) and the allocation requests are written
 * out directly as text.
 */
export function candidatesBody(
  s: PlacementState,
  found: Candidate[],
  creq: CandidateRequest,
  v: Version,
): Buffer {
  const nested = v.gte('1.29')
  const withTraits = v.gte('1.17')
  const allClasses = v.gte('1.27')
  const keyed = v.gte('1.12')
  const withMappings = v.gte('1.34')
  let requested: Set<string> | undefined
  if (!allClasses) {
    requested = new Set<string>()
    for (const g of creq.groups) for (const rc of g.resources.keys()) requested.add(rc)
  }
  // Providers to summarise: with 1.29, every provider of every tree a candidate touches.
  const summaryProviders: Provider[] = []
  const listed = new Set<Provider>()
  const addTree = (root: Provider) => {
    if (listed.has(root)) return
    listed.add(root)
    for (const q of PlacementState.treeOf(root)) summaryProviders.push(q)
  }
  for (const c of found) {
    for (const p of c.alloc.keys()) {
      if (nested) addTree(p.root)
      else if (!listed.has(p)) {
        listed.add(p)
        summaryProviders.push(p)
      }
    }
    if (nested) addTree(c.anchor)
  }
  summaryProviders.sort((a, b) => a.id - b.id)
  const requests: string[] = []
  for (const c of found)
    requests.push(keyed ? requestJson(c, withMappings) : JSON.stringify(requestView(c, v)))
  const out: Buffer[] = [Buffer.from(`{"allocation_requests":[${requests.join(',')}],"provider_summaries":{`)]
  const variant = allClasses ? `${withTraits ? 't' : ''}${nested ? 'n' : ''}` : undefined
  for (let i = 0; i < summaryProviders.length; i++) {
    const p = summaryProviders[i]!
    let frag = variant === undefined ? undefined : p.cache.summary?.get(variant)
    if (frag === undefined) {
      frag = Buffer.from(
        `${JSON.stringify(p.uuid)}:${JSON.stringify(summaryView(s, p, requested, withTraits, nested))}`,
      )
      if (variant !== undefined) (p.cache.summary ??= new Map()).set(variant, frag)
    }
    if (i) out.push(COMMA)
    out.push(frag)
  }
  out.push(END)
  return Buffer.concat(out)
}

const COMMA = Buffer.from(',')
const END = Buffer.from('}}')

function summaryView(
  s: PlacementState,
  p: Provider,
  requested: Set<string> | undefined,
  withTraits: boolean,
  nested: boolean,
) {
  const sum: Record<string, unknown> = { resources: summaryResources(p, requested) }
  if (withTraits) sum.traits = [...p.traits].sort((a, b) => traitId(s, a) - traitId(s, b))
  if (nested) {
    sum.parent_provider_uuid = p.parent?.uuid ?? null
    sum.root_provider_uuid = p.root.uuid
  }
  return sum
}

function requestView(c: Candidate, v: Version) {
  if (!v.gte('1.12')) {
    return {
      allocations: [...c.alloc].map(([p, m]) => ({
        resource_provider: { uuid: p.uuid },
        resources: Object.fromEntries(m),
      })),
    }
  }
  const allocations: Record<string, unknown> = {}
  for (const [p, m] of c.alloc) allocations[p.uuid] = { resources: Object.fromEntries(m) }
  const out: Record<string, unknown> = { allocations }
  if (v.gte('1.34'))
    out.mappings = Object.fromEntries([...c.mappings].map(([sfx, ps]) => [sfx, ps.map((p) => p.uuid)]))
  return out
}

/**
 * One allocation request (1.12+) as JSON text. Provider uuids (normalised, hex and
 * dashes), resource class names ([A-Z0-9_]) and amounts (integers) need no escaping.
 */
function requestJson(c: Candidate, withMappings: boolean): string {
  let out = '{"allocations":{'
  let first = true
  for (const [p, m] of c.alloc) {
    out += `${first ? '' : ','}"${p.uuid}":{"resources":{`
    first = false
    let firstRc = true
    for (const [rc, n] of m) {
      out += `${firstRc ? '' : ','}"${rc}":${n}`
      firstRc = false
    }
    out += '}}'
  }
  out += '}'
  if (withMappings) {
    out += ',"mappings":{'
    let firstSfx = true
    // JSON.stringify lists integer-like keys first, in numeric order, then the others
    // in insertion order; suffixes such as "1" are integer-like.
    for (const [sfx, ps] of objectKeyOrder(c.mappings)) {
      out += `${firstSfx ? '' : ','}${JSON.stringify(sfx)}:[`
      for (let i = 0; i < ps.length; i++) out += `${i ? ',' : ''}"${ps[i]!.uuid}"`
      out += ']'
      firstSfx = false
    }
    out += '}'
  }
  return `${out}}`
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/

/** A map's entries in the order a plain object with those keys would list them. */
function objectKeyOrder<T>(m: Map<string, T>): Iterable<[string, T]> {
  let hasIndex = false
  for (const k of m.keys()) if (ARRAY_INDEX.test(k) && Number(k) < 4294967295) hasIndex = true
  if (!hasIndex) return m
  const isIndex = (k: string) => ARRAY_INDEX.test(k) && Number(k) < 4294967295
  const entries = [...m]
  const idx = entries.filter(([k]) => isIndex(k)).sort((a, b) => Number(a[0]) - Number(b[0]))
  return [...idx, ...entries.filter(([k]) => !isIndex(k))]
}

function traitId(s: PlacementState, name: string): number {
  return s.traits.get(name)?.id ?? Number.MAX_SAFE_INTEGER
}
