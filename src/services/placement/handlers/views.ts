/**
 * Response bodies per microversion.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import type { Candidate, CandidateRequest, Part } from '../domain/candidates.js'
import {
  type Consumer,
  capacityOf,
  type Inventory,
  type NamedRecord,
  PlacementState,
  type Provider,
  visitStamp,
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
  // From 1.29 the trees with a provider in some allocation request, whole; before, the
  // providers in them. Neither a candidate's anchor nor a resourceless group's mapping
  // brings a tree in on its own.
  const summaryProviders = new Set<Provider>()
  for (const c of found) {
    for (const p of c.alloc.keys()) {
      if (v.gte('1.29')) for (const q of PlacementState.treeOf(p.root)) summaryProviders.add(q)
      else summaryProviders.add(p)
    }
  }
  const provider_summaries: Record<string, unknown> = {}
  const only = v.gte('1.27') ? undefined : requested
  for (const p of [...summaryProviders].sort((a, b) => a.id - b.id))
    provider_summaries[p.uuid] = summaryView(s, p, only, v.gte('1.17'), v.gte('1.29'))
  const allocation_requests = found.map((c) => requestView(c, v))
  return { allocation_requests, provider_summaries }
}

/**
 * The allocation candidates body as UTF-8 JSON, byte for byte what
 * `JSON.stringify(candidatesView(...))` gives, built without the intermediate objects:
 * each provider's summary fragment is cached on the provider as bytes (dropped
 * whenever the index changes that provider) and the allocation requests are written
 * out directly as text.
 *
 * The answer is a list of chunks to send one after the other: runs of consecutive
 * providers' summaries are views into the state's arena, so a 2 MB answer costs no
 * 2 MB copy (nor the fresh pages such a copy faults in).
 */
export function candidatesBody(
  s: PlacementState,
  found: Candidate[],
  creq: CandidateRequest,
  v: Version,
): Buffer[] {
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
  // Providers to summarise, in id order: with 1.29, every provider of every tree a
  // candidate allocates from (its root is marked), before that the candidates' providers.
  const stamp = visitStamp()
  const anyListed = markListed(found, nested, stamp)
  // The allocation requests, each candidate's text cached on it as bytes: one copy
  // each into the answer's first chunk.
  const head: Buffer[] = [REQUESTS_START]
  if (keyed) requestsJson(found, withMappings, head)
  else
    for (const [i, c] of found.entries()) {
      if (i) head.push(COMMA)
      head.push(Buffer.from(JSON.stringify(requestView(c, v))))
    }
  head.push(SUMMARIES_START)
  const out: Buffer[] = [Buffer.concat(head)]
  const variant = allClasses ? `${withTraits ? 't' : ''}${nested ? 'n' : ''}` : undefined
  const fragment = (p: Provider) => {
    let frag = variant === undefined ? undefined : p.cache.summary?.get(variant)
    if (frag === undefined) {
      frag = Buffer.from(
        `,${JSON.stringify(p.uuid)}:${JSON.stringify(summaryView(s, p, requested, withTraits, nested))}`,
      )
      if (variant !== undefined) {
        p.cache.summary ??= new Map()
        p.cache.summary.set(variant, frag)
      }
    }
    return frag
  }
  if (anyListed && variant !== undefined)
    arenaRuns(s.providersInOrder(), s.summaryArena(variant, fragment), nested, stamp, out)
  else if (anyListed) {
    let first = true
    for (const p of s.providersInOrder()) {
      if ((nested ? p.root : p).visit !== stamp) continue
      const frag = fragment(p)
      out.push(first ? frag.subarray(1) : frag)
      first = false
    }
  }
  out.push(END)
  return out
}

// NOTE: the loops below run once per query over thousands of providers; they are kept
// in small functions of their own so V8 optimises each with complete type feedback
// (one large function was optimised mid-loop and deoptimised again several times
// over the first queries).

/**
 * Marks the providers the answer summarises; whether there is any. NOTE: only the
 * providers that allocate count (a part's `providers`): the anchor of a candidate
 * served wholly by sharing providers, and the provider a resourceless group maps to,
 * have nothing in the allocation request, so their trees are not summarised.
 */
function markListed(found: Candidate[], nested: boolean, stamp: number): boolean {
  let any = false
  for (let k = 0; k < found.length; k++) {
    const c = found[k]!
    for (const part of c.parts) {
      const ps = part.providers
      for (let i = 0; i < ps.length; i++) (nested ? ps[i]!.root : ps[i]!).visit = stamp
      if (ps.length) any = true
    }
  }
  return any
}

/**
 * Appends the marked providers' summaries (fragments with a leading comma; the first
 * goes without it): each run of consecutive marked providers is one view of the arena.
 */
function arenaRuns(
  order: readonly Provider[],
  arena: { bytes: Buffer; offsets: Int32Array },
  nested: boolean,
  stamp: number,
  out: Buffer[],
): void {
  let first = true
  for (let i = 0; i < order.length; ) {
    if ((nested ? order[i]!.root : order[i]!).visit !== stamp) {
      i++
      continue
    }
    let j = i + 1
    while (j < order.length && (nested ? order[j]!.root : order[j]!).visit === stamp) j++
    out.push(arena.bytes.subarray(arena.offsets[i]! + (first ? 1 : 0), arena.offsets[j]!))
    first = false
    i = j
  }
}

const REQUESTS_START = Buffer.from('{"allocation_requests":[')
const SUMMARIES_START = Buffer.from('],"provider_summaries":{')
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
  // NOTE: upstream lists a provider's traits in trait id order (its database order).
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
 * The allocation requests (1.12+) as JSON text, appended to `pieces` as bytes. A candidate whose
 * parts use different providers is its parts' fragments (cached on the parts, which
 * candidates share) in group order; one where two parts share a provider is written
 * from its summed allocations.
 */
function requestsJson(found: Candidate[], withMappings: boolean, pieces: Buffer[]) {
  // Mappings: the groups that map providers, in group order, integer-like suffixes
  // first (as JSON.stringify orders an object's keys). The same for every candidate.
  const mapped = found.length
    ? found[0]!.parts
        .map((part, i) => [part.suffix, i] as const)
        .filter(([, i]) => found[0]!.parts[i]!.mapping)
    : []
  const order = [...objectKeyOrder(new Map(mapped))].map(([, i]) => i)
  const v = withMappings ? 1 : 0
  for (let k = 0; k < found.length; k++) {
    const c = found[k]!
    if (k) pieces.push(COMMA)
    const cached = c.json?.[v]
    if (cached !== undefined) {
      pieces.push(cached)
      continue
    }
    let json: string
    if (c.shared) json = requestJson(c, withMappings)
    else {
      json = '{"allocations":{'
      let first = true
      for (const part of c.parts) {
        if (!part.providers.length) continue
        part.json ??= partJson(part)
        const frags = part.json
        json += first ? frags.alloc : `,${frags.alloc}`
        first = false
      }
      json += '}'
      if (withMappings) {
        json += ',"mappings":{'
        for (let j = 0; j < order.length; j++) {
          const pj = c.parts[order[j]!]!
          pj.json ??= partJson(pj)
          const frags = pj.json
          json += j ? `,${frags.mapping}` : frags.mapping
        }
        json += '}'
      }
      json += '}'
    }
    // Kept on the (cached) candidate: the same parts always read the same.
    const bytes = Buffer.from(json)
    c.json ??= [undefined, undefined]
    c.json[v] = bytes
    pieces.push(bytes)
  }
}

function partJson(part: Part): { alloc: string; mapping: string } {
  let alloc = ''
  for (let i = 0; i < part.providers.length; i++)
    alloc += `${i ? ',' : ''}${allocFragment(part.providers[i]!, part.amounts[i]!)}`
  let mapping = ''
  if (part.mapping?.length === 1) mapping = mappingFragment(part.mapping[0]!, part.suffix)
  else if (part.mapping)
    mapping = `${JSON.stringify(part.suffix)}:[${part.mapping.map((p) => `"${p.uuid}"`).join(',')}]`
  return { alloc, mapping }
}

/** Per provider, at most this many cached fragments of each kind. */
const FRAGMENTS_PER_PROVIDER = 16
const amountsText = new WeakMap<ReadonlyMap<string, number>, string>()

/** `"<uuid>":{"resources":{...}}` for a provider and the amounts it gives. */
function allocFragment(p: Provider, amounts: ReadonlyMap<string, number>): string {
  let text = amountsText.get(amounts)
  if (text === undefined) {
    text = [...amounts].map(([rc, n]) => `"${rc}":${n}`).join(',')
    amountsText.set(amounts, text)
  }
  p.cache.alloc ??= new Map()
  const cache = p.cache.alloc
  let frag = cache.get(text)
  if (frag === undefined) {
    frag = `"${p.uuid}":{"resources":{${text}}}`
    if (cache.size >= FRAGMENTS_PER_PROVIDER) cache.clear()
    cache.set(text, frag)
  }
  return frag
}

/** `"<suffix>":["<uuid>"]` for a group mapped to one provider. */
function mappingFragment(p: Provider, suffix: string): string {
  p.cache.mapping ??= new Map()
  const cache = p.cache.mapping
  let frag = cache.get(suffix)
  if (frag === undefined) {
    frag = `${JSON.stringify(suffix)}:["${p.uuid}"]`
    if (cache.size >= FRAGMENTS_PER_PROVIDER) cache.clear()
    cache.set(suffix, frag)
  }
  return frag
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
