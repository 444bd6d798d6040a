/**
 * Allocation candidates, answered from the in-memory state, tree by tree.
 *
 *   per tree root, in id order (root_required first):
 *     kept result for the request's shape, tree unchanged? ──yes──▶ reuse it
 *        │ no (or sharing providers serve the tree: always searched)
 *        ▼
 *     per group: parts anchored at the root (one provider for numbered groups; any
 *        │        providers of the tree plus sharing providers for the unnumbered one)
 *        ▼
 *     product of one part per group ──▶ same_subtree, merge (isolate, capacity) ──▶ keep
 *        │
 *        ▼
 *   dedupe across trees (only with sharing providers) ──▶ bounds, limit ──▶ summaries
 */
import { capacityOf, fits, PlacementState, type Provider } from './model.js'
import { type AggregateFilter, type TraitFilter, traitsMatch } from './query.js'

export interface RequestGroup {
  /** '' for the unnumbered group. */
  suffix: string
  resources: Map<string, number>
  traits: TraitFilter
  aggregates: AggregateFilter
  inTree: Provider | undefined
  sameProvider: boolean
}

export interface CandidateRequest {
  groups: RequestGroup[]
  isolate: boolean
  limit: number | undefined
  rootRequired: TraitFilter | undefined
  sameSubtree: string[][]
  /** Before 1.29 only root providers may appear in candidates. */
  nestedAware: boolean
}

/**
 * One group's share of a candidate, anchored at a tree root. Kept small (arrays, no
 * maps): a query builds one per matching provider or tree, and they are shared,
 * never modified, by the candidates built from them.
 */
export interface Part {
  anchor: Provider
  /** The providers the group allocates from, first use first. */
  providers: readonly Provider[]
  /** What each of them gives, class -> amount (parallel to `providers`). */
  amounts: readonly ReadonlyMap<string, number>[]
  /** The group's suffix and the providers it maps to (none: a resourceless unnumbered group). */
  suffix: string
  mapping: readonly Provider[] | undefined
  /** The view's cache of this part's JSON text (handlers/views.ts). */
  json: { alloc: string; mapping: string } | undefined
  /**
   * Candidates made of this part and the parts after it, as a trie keyed by those
   * parts: parts are kept across queries (ProviderCache.parts), so are these.
   */
  combos: CandidateNode | undefined
}

/** Multi-provider parts of one tree, by the provider chosen for each class in turn. */
export interface ChoiceNode {
  part: Part | undefined
  next: Map<Provider, ChoiceNode> | undefined
}

/**
 * A new part. Every part is made here, with every field present in one order, so all
 * share one hidden class and the search's property accesses stay monomorphic.
 */
function newPart(
  anchor: Provider,
  providers: readonly Provider[],
  amounts: readonly ReadonlyMap<string, number>[],
  suffix: string,
  mapping: readonly Provider[] | undefined,
): Part {
  return { anchor, providers, amounts, suffix, mapping, json: undefined, combos: undefined }
}

interface CandidateNode {
  candidate: Candidate | undefined
  next: Map<Part, CandidateNode> | undefined
}

/** Entries per trie node before it is emptied (a bound, not a policy). */
const COMBOS_PER_NODE = 64

/** One allocation request: a part per request group, anchored at a tree root. */
export class Candidate {
  private summed: Map<Provider, ReadonlyMap<string, number>> | undefined
  private byPrefix: Map<string, readonly Provider[]> | undefined
  /** The view's cache of this candidate's JSON (UTF-8): [without mappings, with them]. */
  json: [Buffer | undefined, Buffer | undefined] | undefined
  /** Its dedupe key (findCandidates), once needed. */
  key: string | undefined

  constructor(
    readonly anchor: Provider,
    /** One part per request group, in the request's group order. */
    readonly parts: readonly Part[],
    /** Whether two parts allocate from one provider (their amounts add up in `alloc`). */
    readonly shared: boolean,
    alloc?: Map<Provider, ReadonlyMap<string, number>>,
  ) {
    this.summed = alloc
  }

  /** provider -> class -> amount, providers in first-use order (shared maps; do not modify). */
  get alloc(): Map<Provider, ReadonlyMap<string, number>> {
    this.summed ??= allocOf(this.parts)
    return this.summed
  }

  /** suffix -> providers, in group order. */
  get mappings(): Map<string, readonly Provider[]> {
    if (!this.byPrefix) {
      const m = new Map<string, readonly Provider[]>()
      for (const part of this.parts) {
        if (!part.mapping) continue
        const l = m.get(part.suffix)
        if (!l) m.set(part.suffix, part.mapping)
        else m.set(part.suffix, [...l, ...part.mapping.filter((p) => !l.includes(p))])
      }
      this.byPrefix = m
    }
    return this.byPrefix
  }
}

/** The parts' allocations by provider; a provider two parts use gets a new, summed map. */
function allocOf(parts: readonly Part[]): Map<Provider, ReadonlyMap<string, number>> {
  const alloc = new Map<Provider, ReadonlyMap<string, number>>()
  for (const part of parts) {
    for (let i = 0; i < part.providers.length; i++) {
      const p = part.providers[i]!
      const m = part.amounts[i]!
      const t = alloc.get(p)
      if (!t) {
        alloc.set(p, m)
        continue
      }
      const sum = new Map(t)
      for (const [rc, n] of m) sum.set(rc, (sum.get(rc) ?? 0) + n)
      alloc.set(p, sum)
    }
  }
  return alloc
}

const NONE: readonly never[] = []
/** Parts kept per provider (see ProviderCache.parts). */
const PARTS_PER_PROVIDER = 16

/**
 * Aggregate filter of a group. For the unnumbered group an aggregate on the root spans
 * the whole tree (the provider *or* its root must match); a numbered (same-provider)
 * group looks at the provider's own aggregates only, as upstream.
 */
function inAggregates(p: Provider, f: AggregateFilter, spanTree = true): boolean {
  if (f.memberOf.length === 0 && f.forbidden.size === 0) return true
  for (const any of f.memberOf) if (!any.some((a) => hasAggregate(p, a, spanTree))) return false
  for (const a of f.forbidden) if (hasAggregate(p, a, spanTree)) return false
  return true
}

function hasAggregate(p: Provider, a: string, spanTree: boolean): boolean {
  return p.aggregates.has(a) || (spanTree && p.root.aggregates.has(a))
}

/** Roots of the trees a sharing provider serves (its own root included). */
function anchorsOf(s: PlacementState, p: Provider, memo: Map<Provider, Set<Provider>>): Set<Provider> {
  let a = memo.get(p)
  if (a) return a
  a = new Set([p.root])
  for (const agg of p.aggregates) for (const m of s.aggregateMembers.get(agg) ?? []) a.add(m.root)
  memo.set(p, a)
  return a
}

/**
 * `[placement]` options that shape how many candidates are generated and in what order.
 */
export interface CandidateOptions {
  /**
   * Stop generating after this many distinct candidates (counted before the pre-1.29
   * one-provider-per-tree filter, as upstream); -1: no bound.
   * @default -1
   */
  maxCandidates: number
  /**
   * With a `limit` below the number found, return a random sample of that size instead
   * of the first ones; without one, return the candidates shuffled.
   * @default false
   */
  randomize: boolean
  /** Source of randomness in [0, 1) (tests pass a seeded one). */
  random?: () => number
}

const UNBOUNDED: CandidateOptions = { maxCandidates: -1, randomize: false }

/**
 * A request's shape: everything about it that decides which candidates a tree gives
 * (not `limit`). One object per distinct shape, so a tree's results can be kept in a
 * map keyed by it (see ProviderCache.results).
 */
export interface Shape {
  readonly key: string
}

const shapes = new Map<string, Shape>()
/** Distinct shapes kept before the table is emptied (a bound, not a policy). */
const SHAPES_KEPT = 256

function shapeOf(req: CandidateRequest): Shape {
  const traits = (f: TraitFilter) => [f.required.map((any) => [...any].sort()), [...f.forbidden].sort()]
  const key = JSON.stringify([
    req.isolate,
    req.nestedAware,
    req.sameSubtree,
    req.rootRequired ? traits(req.rootRequired) : null,
    req.groups.map((g) => [
      g.suffix,
      [...g.resources],
      traits(g.traits),
      g.aggregates.memberOf,
      [...g.aggregates.forbidden].sort(),
      g.inTree?.id ?? null,
      g.sameProvider,
    ]),
  ])
  let shape = shapes.get(key)
  if (!shape) {
    if (shapes.size >= SHAPES_KEPT) shapes.clear()
    shape = { key }
    shapes.set(key, shape)
  }
  return shape
}

/**
 * A tree's candidates for one request shape, in the order they were generated (before
 * the dedupe across trees, the limit and the bounds, which depend on the other trees).
 * Valid until a provider of the tree changes (the state then drops it).
 */
export interface TreeResult {
  candidates: Candidate[]
  /** Whether each passes the pre-1.29 one-provider-per-tree rule (undefined: all do). */
  kept: boolean[] | undefined
}

const EMPTY_RESULT: TreeResult = { candidates: [], kept: undefined }

/** Per group, what its parts are cached by (computed once per query, used per tree). */
interface GroupPlan {
  group: RequestGroup
  rcs: string[]
  ns: number[]
  amounts: ReadonlyMap<string, number>[]
  key: string
}

/**
 * One query's search. Trees are visited in id order; a tree that no sharing provider
 * serves reuses the result it gave the last query of the same shape, unless one of its
 * providers changed since (the scheduler asks again and again with the same flavour
 * between claims, and a claim changes one tree). A tree that sharing providers serve
 * depends on other trees too and is searched every time.
 */
class Search {
  readonly out: Candidate[] = []
  private readonly sharedWith = new Map<Provider, Provider[]>()
  private readonly plans: GroupPlan[]
  private readonly numbered: boolean[]
  private readonly subtrees: number[][]
  private readonly shape: Shape
  // NOTE: within one tree every combination of parts is a different candidate (each
  // group's parts differ in their mapping or allocation, and a group's suffix maps only
  // to its own part). The same candidate can come from two trees only through sharing
  // providers, so the dedupe key is only built when the state has some.
  private readonly seen: Set<string> | undefined
  private distinct = 0
  private readonly bound: number
  private readonly stopAt: number | undefined

  constructor(
    private readonly s: PlacementState,
    private readonly req: CandidateRequest,
    opts: CandidateOptions,
  ) {
    const memo = new Map<Provider, Set<Provider>>()
    for (const sp of s.sharing) {
      for (const root of anchorsOf(s, sp, memo)) {
        if (root === sp.root) continue
        let l = this.sharedWith.get(root)
        if (!l) {
          l = []
          this.sharedWith.set(root, l)
        }
        l.push(sp)
      }
    }
    this.plans = req.groups.map((g) => {
      const rcs = [...g.resources.keys()]
      const ns = [...g.resources.values()]
      return {
        group: g,
        rcs,
        ns,
        amounts: [g.resources],
        key: `${g.suffix}|${rcs.map((rc, i) => `${rc}:${ns[i]}`).join(',')}`,
      }
    })
    this.numbered = req.groups.map((g) => g.suffix !== '')
    const groupOf = new Map(req.groups.map((g, i) => [g.suffix, i]))
    this.subtrees = req.sameSubtree.map((sfxs) =>
      sfxs.map((sfx) => groupOf.get(sfx)).filter((i) => i !== undefined),
    )
    this.shape = shapeOf(req)
    this.seen = s.sharing.length ? new Set<string>() : undefined
    this.bound = opts.maxCandidates >= 0 ? opts.maxCandidates : Number.POSITIVE_INFINITY
    this.stopAt = opts.randomize ? undefined : req.limit
  }

  run(): void {
    const req = this.req
    for (const root of this.s.roots) {
      if (req.rootRequired && !traitsMatch(root.traits, req.rootRequired)) continue
      const served = this.sharedWith.get(root)
      const known = served ? undefined : root.cache.results?.get(this.shape)
      if (known) {
        for (let i = 0; i < known.candidates.length; i++)
          if (!this.take(known.candidates[i]!, known.kept === undefined || known.kept[i]!)) return
        continue
      }
      const result = this.searchTree(root, served)
      if (!result) return
      if (!served) {
        root.cache.results ??= new Map()
        if (root.cache.results.size >= PARTS_PER_PROVIDER) root.cache.results.clear()
        root.cache.results.set(this.shape, result)
      }
    }
  }

  /** Takes the next candidate of the tree being visited; false when enough were found. */
  private take(c: Candidate, kept: boolean): boolean {
    if (this.seen) {
      c.key ??= keyOf(c)
      if (this.seen.has(c.key)) return true
      this.seen.add(c.key)
    }
    this.distinct++
    if (kept) this.out.push(c)
    if (this.distinct >= this.bound) return false
    // Without randomize a limit keeps the first ones found: stop there.
    return this.stopAt === undefined || this.out.length < this.stopAt
  }

  /**
   * A tree's candidates: the product of one part per group, anchored at the root.
   * Undefined when enough were found before the tree was done (nothing to keep).
   */
  private searchTree(root: Provider, served: Provider[] | undefined): TreeResult | undefined {
    const lists: Part[][] = []
    for (const plan of this.plans) {
      const parts = plan.group.sameProvider
        ? this.singleProvider(root, plan, served)
        : this.multiProvider(root, plan, served)
      if (parts.length === 0) return EMPTY_RESULT
      lists.push(parts)
    }
    const result: TreeResult = { candidates: [], kept: this.req.nestedAware ? undefined : [] }
    const chosen: Part[] = []
    const idx = lists.map(() => 0)
    for (;;) {
      for (let i = 0; i < lists.length; i++) chosen[i] = lists[i]![idx[i]!]!
      const c = sameSubtreeHolds(chosen, this.subtrees)
        ? merge(root, chosen, this.numbered, this.req)
        : undefined
      if (c) {
        const kept = this.req.nestedAware || oneProviderPerTree(c)
        result.candidates.push(c)
        result.kept?.push(kept)
        if (!this.take(c, kept)) return undefined
      }
      let k = lists.length - 1
      while (k >= 0) {
        idx[k]!++
        if (idx[k]! < lists[k]!.length) break
        idx[k] = 0
        k--
      }
      if (k < 0) return result
    }
  }

  /**
   * A same-provider group's parts in a tree: one per provider of the tree, or sharing
   * provider serving it, that satisfies the group on its own (providers in id order).
   */
  private singleProvider(root: Provider, plan: GroupPlan, served: Provider[] | undefined): Part[] {
    const g = plan.group
    // With in_tree: that tree's providers, parents first; a tree served by sharing
    // providers of that tree sees just those.
    let pool: readonly Provider[]
    if (g.inTree) {
      const tree = PlacementState.treeOf(g.inTree.root)
      pool = g.inTree.root === root ? tree : served ? tree.filter((p) => served.includes(p)) : NONE
    } else {
      pool = PlacementState.treeInIdOrder(root)
      if (served) pool = [...pool, ...served].sort((a, b) => a.id - b.id)
    }
    const out: Part[] = []
    const { rcs, ns } = plan
    for (let k = 0; k < pool.length; k++) {
      const p = pool[k]!
      let ok = true
      for (let i = 0; i < rcs.length && ok; i++) ok = fits(p, rcs[i]!, ns[i]!)
      if (!ok || !traitsMatch(p.traits, g.traits) || !inAggregates(p, g.aggregates, false)) continue
      const part = ownPart(p, plan)
      // A sharing provider of another tree takes part anchored at this one.
      out.push(
        p.root === root ? part : newPart(root, part.providers, part.amounts, part.suffix, part.mapping),
      )
    }
    return out
  }

  /** A group's parts in a tree when its resources may come from several providers. */
  private multiProvider(root: Provider, plan: GroupPlan, served: Provider[] | undefined): Part[] {
    const g = plan.group
    if (g.inTree && g.inTree.root !== root) return NONE as never[]
    const tree = PlacementState.treeOf(root)
    const shared = g.inTree ? undefined : served
    const pool = shared ? [...tree, ...shared] : tree
    const { rcs, ns } = plan
    const options: Provider[][] = []
    for (let i = 0; i < rcs.length; i++) {
      const o: Provider[] = []
      for (let k = 0; k < pool.length; k++) {
        const p = pool[k]!
        if (
          fits(p, rcs[i]!, ns[i]!) &&
          inAggregates(p, g.aggregates) &&
          !hasAny(p.traits, g.traits.forbidden)
        )
          o.push(p)
      }
      if (o.length === 0) return NONE as never[]
      options.push(o)
    }
    if (rcs.length === 0) {
      // A resourceless unnumbered group: the tree's root stands for it.
      return traitsMatch(root.traits, g.traits) && inAggregates(root, g.aggregates)
        ? [newPart(root, NONE, NONE, g.suffix, undefined)]
        : (NONE as never[])
    }
    // The parts a choice of providers makes are kept on the root, in a trie by the
    // group and then by the provider chosen for each class (the same objects every
    // query; see ProviderCache.choices).
    root.cache.choices ??= new Map()
    let byGroup = root.cache.choices.get(plan.key)
    if (!byGroup) {
      if (root.cache.choices.size >= PARTS_PER_PROVIDER) root.cache.choices.clear()
      byGroup = { part: undefined, next: undefined }
      root.cache.choices.set(plan.key, byGroup)
    }
    const out: Part[] = []
    const idx = options.map(() => 0)
    for (;;) {
      let node = byGroup
      for (let i = 0; i < rcs.length; i++) {
        const p = options[i]![idx[i]!]!
        node.next ??= new Map()
        let n = node.next.get(p)
        if (!n) {
          n = { part: undefined, next: undefined }
          node.next.set(p, n)
        }
        node = n
      }
      let part = node.part
      if (!part) {
        const providers: Provider[] = []
        const amounts: Map<string, number>[] = []
        for (let i = 0; i < rcs.length; i++) {
          const p = options[i]![idx[i]!]!
          const j = providers.indexOf(p)
          if (j < 0) {
            providers.push(p)
            amounts.push(new Map([[rcs[i]!, ns[i]!]]))
          } else amounts[j]!.set(rcs[i]!, ns[i]!)
        }
        part = newPart(root, providers, amounts, g.suffix, providers)
        node.part = part
      }
      if (unionMatches(part.providers, g.traits)) out.push(part)
      let k = options.length - 1
      while (k >= 0) {
        idx[k]!++
        if (idx[k]! < options[k]!.length) break
        idx[k] = 0
        k--
      }
      if (k < 0) return out
    }
  }
}

/** A provider's part for a same-provider group, anchored at its own root; kept on it. */
function ownPart(p: Provider, plan: GroupPlan): Part {
  let part = p.cache.parts?.get(plan.key)
  if (!part) {
    const g = plan.group
    const mapping = [p]
    part = newPart(
      p.root,
      g.resources.size ? mapping : NONE,
      g.resources.size ? plan.amounts : NONE,
      g.suffix,
      mapping,
    )
    p.cache.parts ??= new Map()
    const cache = p.cache.parts
    if (cache.size >= PARTS_PER_PROVIDER) cache.clear()
    cache.set(plan.key, part)
  }
  return part
}

export function findCandidates(
  s: PlacementState,
  req: CandidateRequest,
  opts: CandidateOptions = UNBOUNDED,
): Candidate[] {
  const search = new Search(s, req, opts)
  search.run()
  return limitResults(search.out, req.limit, opts)
}

/**
 * Applies the request's `limit`: the first ones, or with `randomize` a random sample
 * (and a shuffle when nothing is cut), as upstream's limit_results.
 */
function limitResults(out: Candidate[], limit: number | undefined, opts: CandidateOptions): Candidate[] {
  const cut = limit !== undefined && limit < out.length
  if (!opts.randomize) return cut ? out.slice(0, limit) : out
  const random = opts.random ?? Math.random
  const n = cut ? limit : out.length
  // A partial Fisher-Yates shuffle: the first n entries are a uniform random sample.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (out.length - i))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out.slice(0, n)
}

/** Before 1.29 a candidate may not use two providers of the same tree (upstream). */
function oneProviderPerTree(c: Candidate): boolean {
  const roots = new Set([...c.alloc.keys()].map((p) => p.root))
  return roots.size === c.alloc.size
}

/** traitsMatch over the union of the providers' traits, without building the union. */
function unionMatches(ps: readonly Provider[], f: TraitFilter): boolean {
  if (f.forbidden.size === 0 && f.required.length === 0) return true
  for (const t of f.forbidden) for (const p of ps) if (p.traits.has(t)) return false
  for (const any of f.required) {
    let hit = false
    for (const t of any) for (const p of ps) if (p.traits.has(t)) hit = true
    if (!hit) return false
  }
  return true
}

function hasAny(traits: ReadonlySet<string>, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false
  for (const t of names) if (traits.has(t)) return true
  return false
}

/**
 * same_subtree before anything is merged: every provider the listed groups map to lies
 * under one of them. (The merged mappings of a suffix are its own group's.)
 */
function sameSubtreeHolds(parts: Part[], subtrees: number[][]): boolean {
  for (const gs of subtrees) if (!underOneOf(parts, gs)) return false
  return true
}

/** Whether one of the providers the groups `gs` map to has all the others under it. */
function underOneOf(parts: Part[], gs: number[]): boolean {
  // Checked per combination per query: loops, no arrays.
  for (const gi of gs) {
    for (const top of parts[gi]!.mapping ?? NONE) {
      let all = true
      for (let i = 0; i < gs.length && all; i++)
        for (const p of parts[gs[i]!]!.mapping ?? NONE) if (!PlacementState.isWithin(p, top)) all = false
      if (all) return true
    }
  }
  return false
}

function merge(
  anchor: Provider,
  parts: Part[],
  numbered: boolean[],
  req: CandidateRequest,
): Candidate | undefined {
  if (req.isolate) {
    const owner = new Map<Provider, number>()
    for (let i = 0; i < parts.length; i++) {
      if (!numbered[i]) continue
      for (const p of parts[i]!.mapping ?? NONE) {
        const o = owner.get(p)
        if (o !== undefined && o !== i) return undefined
        owner.set(p, i)
      }
    }
  }
  // The same parts make the same candidate: it is kept in a trie on the first part.
  const first = parts[0]!
  first.combos ??= { candidate: undefined, next: undefined }
  let node = first.combos
  for (let i = 1; i < parts.length; i++) {
    node.next ??= new Map()
    const next = node.next
    let n = next.get(parts[i]!)
    if (!n) {
      if (next.size >= COMBOS_PER_NODE) next.clear()
      n = { candidate: undefined, next: undefined }
      next.set(parts[i]!, n)
    }
    node = n
  }
  let c = node.candidate
  if (!c) {
    let shared = false
    for (let i = 1; i < parts.length && !shared; i++) {
      for (const p of parts[i]!.providers) {
        for (let j = 0; j < i && !shared; j++) if (parts[j]!.providers.includes(p)) shared = true
      }
    }
    c = new Candidate(anchor, parts.slice(), shared, shared ? allocOf(parts) : undefined)
    node.candidate = c
  }
  // Each part's amounts were checked against its provider on their own; only a
  // provider that two parts use needs its summed amounts checked (every query).
  if (c.shared) {
    for (const [p, m] of c.alloc) {
      for (const [rc, n] of m) {
        const inv = p.inventories.get(rc)!
        if ((p.usages.get(rc) ?? 0) + n > capacityOf(inv) || n > inv.maxUnit) return undefined
      }
    }
  }
  return c
}

function keyOf(c: Candidate): string {
  const a = [...c.alloc]
    .map(([p, m]) => `${p.id}:${[...m].sort().join(',')}`)
    .sort()
    .join(';')
  const m = [...c.mappings]
    .map(
      ([s, ps]) =>
        `${s}=${ps
          .map((p) => p.id)
          .sort()
          .join(',')}`,
    )
    .sort()
    .join(';')
  return `${a}|${m}`
}
