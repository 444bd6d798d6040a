/**
 * The in-memory model of placement's state: provider trees with their inventories,
 * usages, traits and aggregates; consumers with their allocations; resource classes and
 * traits. The database stays the source of truth; `PlacementState` is rebuilt from it
 * whenever the change counter moves (see domain/state-cache.ts). No HTTP, no SQL here.
 */
import { CUSTOM_CLASS_FIRST_ID, STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import type { ChoiceNode, Part, Shape, TreeResult } from './candidates.js'

export interface Inventory {
  resourceClass: string
  total: number
  reserved: number
  minUnit: number
  maxUnit: number
  stepSize: number
  allocationRatio: number
  createdAt: string
  updatedAt: string | null
}

export interface Provider {
  id: number
  uuid: string
  name: string
  generation: number
  parent: Provider | undefined
  root: Provider
  children: Provider[]
  createdAt: string
  updatedAt: string | null
  inventories: Map<string, Inventory>
  /** Used amounts by resource class. */
  usages: Map<string, number>
  traits: Set<string>
  aggregates: Set<string>
  /**
   * Derived data the candidate search and views reuse between requests; dropped
   * whenever the provider (or, for `tree`, its tree) changes.
   */
  cache: ProviderCache
  /**
   * Scratch mark for one synchronous pass over the state (a Set of thousands of
   * providers per request costs more than the pass): the pass takes a stamp from
   * `visitStamp()` and a provider is marked when this equals it.
   */
  visit: number
}

let lastVisitStamp = 0
/** A stamp no provider carries yet, for one pass that marks providers (Provider.visit). */
export function visitStamp(): number {
  lastVisitStamp = (lastVisitStamp + 1) | 0 || 1
  return lastVisitStamp
}

export interface ProviderCache {
  /** On a root: every provider of its tree, parents before children. */
  tree: Provider[] | undefined
  /** On a root: the same in id order. */
  treeById: Provider[] | undefined
  /**
   * On a root: the candidates its tree gave per request shape (domain/candidates.ts);
   * dropped when any provider of the tree changes.
   */
  results: Map<Shape, TreeResult> | undefined
  /** Provider summary JSON fragments (UTF-8) by view variant (handlers/views.ts). */
  summary: Map<string, Buffer> | undefined
  /**
   * Allocation request fragments of this provider by the amounts (or suffix) they
   * name (handlers/views.ts); they depend on the uuid only, so never go stale.
   */
  alloc: Map<string, string> | undefined
  mapping: Map<string, string> | undefined
  /**
   * This provider's share of a candidate for a same-provider group, by the group's
   * suffix and amounts (domain/candidates.ts): the same object every query, so its
   * cached JSON is reused too. Depends on the uuid and root only.
   */
  parts: Map<string, Part> | undefined
  /**
   * On a root: its tree's parts for multi-provider groups, by the group's suffix and
   * amounts, then by the provider chosen for each class (domain/candidates.ts).
   */
  choices: Map<string, ChoiceNode> | undefined
}

export interface Allocation {
  provider: Provider
  resourceClass: string
  used: number
  createdAt: string
  updatedAt: string | null
}

export interface Consumer {
  id: number
  uuid: string
  projectId: string
  userId: string
  consumerType: string | undefined
  generation: number
  createdAt: string
  updatedAt: string | null
  allocations: Allocation[]
}

export interface NamedRecord {
  id: number
  name: string
  createdAt: string
  updatedAt: string | null
}

/** Raw rows as storage loads them. */
export interface StateRows {
  counter: string
  providers: {
    id: number
    uuid: string
    name: string
    generation: number
    root_provider_id: number | null
    parent_provider_id: number | null
    created_at: string
    updated_at: string | null
  }[]
  inventories: {
    resource_provider_id: number
    resource_class_id: number
    total: number
    reserved: number
    min_unit: number
    max_unit: number
    step_size: number
    allocation_ratio: number
    created_at: string
    updated_at: string | null
  }[]
  allocations: {
    resource_provider_id: number
    consumer_id: string
    resource_class_id: number
    used: number
    created_at: string
    updated_at: string | null
  }[]
  consumers: {
    id: number
    uuid: string
    project_id: number
    user_id: number
    consumer_type_id: number | null
    generation: number
    created_at: string
    updated_at: string | null
  }[]
  projects: { id: number; external_id: string }[]
  users: { id: number; external_id: string }[]
  consumerTypes: { id: number; name: string }[]
  resourceClasses: { id: number; name: string; created_at: string; updated_at: string | null }[]
  traits: { id: number; name: string; created_at: string; updated_at: string | null }[]
  aggregates: { id: number; uuid: string }[]
  providerAggregates: { resource_provider_id: number; aggregate_id: number }[]
  providerTraits: { resource_provider_id: number; trait_id: number }[]
}

/**
 * What changed since a counter value (storage's change log): the current rows of the
 * providers and consumers named, or `full` when only a reload will do.
 */
export interface ChangeRows {
  counter: string
  full: boolean
  /** Set when resource classes or traits changed: both tables, whole. */
  catalog: Pick<StateRows, 'resourceClasses' | 'traits'> | undefined
  /** Touched providers; those absent from `providers` were deleted. */
  providerIds: number[]
  /**
   * Of `providerIds`, those whose generation alone moved (allocations against them):
   * their inventories, traits and aggregates were not read and stay as they are.
   */
  generationOnly?: number[]
  providers: StateRows['providers']
  inventories: StateRows['inventories']
  providerTraits: StateRows['providerTraits']
  providerAggregates: StateRows['providerAggregates']
  aggregates: StateRows['aggregates']
  /** Touched consumers; those absent from `consumers` were deleted. */
  consumerUuids: string[]
  consumers: StateRows['consumers']
  allocations: StateRows['allocations']
  projects: StateRows['projects']
  users: StateRows['users']
  consumerTypes: StateRows['consumerTypes']
}

/** Usable capacity of an inventory, as upstream computes it. */
export function capacityOf(inv: Inventory): number {
  return Math.floor((inv.total - inv.reserved) * inv.allocationRatio + 1e-9)
}

/** Whether `n` more of `rc` fits a provider: an inventory, its unit rules, free capacity. */
export function fits(p: Provider, rc: string, n: number): boolean {
  const inv = p.inventories.get(rc)
  if (!inv) return false
  if (n < inv.minUnit || n > inv.maxUnit || n % inv.stepSize !== 0) return false
  return (p.usages.get(rc) ?? 0) + n <= capacityOf(inv)
}

const SHARES = 'MISC_SHARES_VIA_AGGREGATE'

function inventoryOf(resourceClass: string, i: StateRows['inventories'][number]): Inventory {
  return {
    resourceClass,
    total: Number(i.total),
    reserved: Number(i.reserved),
    minUnit: Number(i.min_unit),
    maxUnit: Number(i.max_unit),
    stepSize: Number(i.step_size),
    allocationRatio: Number(i.allocation_ratio),
    createdAt: i.created_at,
    updatedAt: i.updated_at,
  }
}

/** Every field present, in one order: all caches share one hidden class (fast access). */
function emptyCache(): ProviderCache {
  return {
    tree: undefined,
    treeById: undefined,
    results: undefined,
    summary: undefined,
    alloc: undefined,
    mapping: undefined,
    parts: undefined,
    choices: undefined,
  }
}

/** A provider from its row, with no tree links, inventories, traits or aggregates yet. */
function providerOf(r: StateRows['providers'][number]): Provider {
  return {
    id: r.id,
    uuid: r.uuid,
    name: r.name,
    generation: Number(r.generation),
    parent: undefined,
    root: undefined as unknown as Provider,
    children: [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    inventories: new Map(),
    usages: new Map(),
    traits: new Set<string>(),
    aggregates: new Set<string>(),
    cache: emptyCache(),
    visit: 0,
  }
}

/** The external ids a consumer row refers to by internal id. */
interface ConsumerNames {
  projectById: Map<number, string>
  userById: Map<number, string>
  typeById: Map<number, string>
}

/** A consumer from its row, with no allocations yet. */
function consumerOf(c: StateRows['consumers'][number], names: ConsumerNames): Consumer {
  return {
    id: c.id,
    uuid: c.uuid,
    projectId: names.projectById.get(c.project_id) ?? '',
    userId: names.userById.get(c.user_id) ?? '',
    consumerType: c.consumer_type_id === null ? undefined : names.typeById.get(c.consumer_type_id),
    generation: Number(c.generation),
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    allocations: [],
  }
}

/** Counts one allocation row into its provider's usage and its consumer's list. */
function addAllocation(
  p: Provider,
  resourceClass: string,
  c: Consumer | undefined,
  a: StateRows['allocations'][number],
): void {
  const used = Number(a.used)
  p.usages.set(resourceClass, (p.usages.get(resourceClass) ?? 0) + used)
  c?.allocations.push({ provider: p, resourceClass, used, createdAt: a.created_at, updatedAt: a.updated_at })
}

/** Inserts into a list kept in provider id order. */
function insertById(list: Provider[], p: Provider) {
  let i = list.length
  while (i > 0 && list[i - 1]!.id > p.id) i--
  list.splice(i, 0, p)
}

export class PlacementState {
  readonly providers = new Map<number, Provider>()
  readonly byUuid = new Map<string, Provider>()
  readonly byName = new Map<string, Provider>()
  readonly roots: Provider[] = []
  readonly resourceClasses = new Map<string, NamedRecord>()
  readonly rcById = new Map<number, NamedRecord>()
  readonly traits = new Map<string, NamedRecord>()
  readonly aggregates = new Map<string, number>()
  readonly consumers = new Map<string, Consumer>()
  readonly consumerTypes = new Map<string, number>()
  readonly projects = new Map<string, number>()
  readonly users = new Map<string, number>()
  /** Providers carrying MISC_SHARES_VIA_AGGREGATE. */
  sharing: Provider[] = []
  /** Providers by aggregate uuid. */
  readonly aggregateMembers = new Map<string, Provider[]>()
  /** The newest timestamp of any resource class (for last-modified on lists). */
  constructor(public counter: string) {}

  static build(rows: StateRows, epoch: string): PlacementState {
    const s = new PlacementState(rows.counter)
    s.setCatalog(rows, epoch)
    const aggById = new Map<number, string>()
    for (const a of rows.aggregates) {
      s.aggregates.set(a.uuid, a.id)
      aggById.set(a.id, a.uuid)
    }
    for (const r of rows.providers) {
      const p = providerOf(r)
      s.providers.set(p.id, p)
      s.byUuid.set(p.uuid, p)
      s.byName.set(p.name, p)
    }
    for (const r of rows.providers) {
      const p = s.providers.get(r.id)!
      p.parent = r.parent_provider_id === null ? undefined : s.providers.get(r.parent_provider_id)
      p.root = (r.root_provider_id === null ? undefined : s.providers.get(r.root_provider_id)) ?? p
      if (p.parent) p.parent.children.push(p)
      if (p.root === p) s.roots.push(p)
    }
    for (const i of rows.inventories) {
      const p = s.providers.get(i.resource_provider_id)
      const rc = s.rcById.get(i.resource_class_id)
      if (!p || !rc) continue
      p.inventories.set(rc.name, inventoryOf(rc.name, i))
    }
    const projectById = new Map(rows.projects.map((r) => [r.id, r.external_id]))
    const userById = new Map(rows.users.map((r) => [r.id, r.external_id]))
    for (const r of rows.projects) s.projects.set(r.external_id, r.id)
    for (const r of rows.users) s.users.set(r.external_id, r.id)
    const typeById = new Map(rows.consumerTypes.map((r) => [r.id, r.name]))
    for (const r of rows.consumerTypes) s.consumerTypes.set(r.name, r.id)
    const names = { projectById, userById, typeById }
    for (const c of rows.consumers) s.consumers.set(c.uuid, consumerOf(c, names))
    for (const a of rows.allocations) {
      const p = s.providers.get(a.resource_provider_id)
      const rc = s.rcById.get(a.resource_class_id)
      if (!p || !rc) continue
      addAllocation(p, rc.name, s.consumers.get(a.consumer_id), a)
    }
    for (const r of rows.providerTraits) {
      const name = s.traitById.get(r.trait_id)
      const p = s.providers.get(r.resource_provider_id)
      if (name && p) p.traits.add(name)
    }
    for (const r of rows.providerAggregates) {
      const uuid = aggById.get(r.aggregate_id)
      const p = s.providers.get(r.resource_provider_id)
      if (!uuid || !p) continue
      s.linkAggregate(p, uuid)
    }
    for (const p of s.providers.values()) if (p.traits.has(SHARES)) s.sharing.push(p)
    return s
  }

  /** Whether a provider is `ancestor` or lies below it. */
  static isWithin(p: Provider, ancestor: Provider): boolean {
    for (let q: Provider | undefined = p; q; q = q.parent) if (q === ancestor) return true
    return false
  }

  /** Every provider of a tree, parents before children (cached on the root; do not modify). */
  static treeOf(root: Provider): readonly Provider[] {
    if (root.root === root && root.cache.tree) return root.cache.tree
    const out: Provider[] = []
    const walk = (p: Provider) => {
      out.push(p)
      for (const c of p.children) walk(c)
    }
    walk(root)
    if (root.root === root) root.cache.tree = out
    return out
  }

  /** Every provider of a tree in id order (cached on the root; do not modify). */
  static treeInIdOrder(root: Provider): readonly Provider[] {
    root.cache.treeById ??= [...PlacementState.treeOf(root)].sort((a, b) => a.id - b.id)
    return root.cache.treeById
  }

  /** Forgets what was derived from a tree's shape and contents (a provider came or went). */
  private static forgetTree(root: Provider): void {
    root.cache.tree = undefined
    root.cache.treeById = undefined
    root.cache.results = undefined
  }

  /** Providers with an inventory of each class, in id order (built on demand). */
  private byClass: Map<string, Provider[]> | undefined

  /** The providers with an inventory of `rc`, in id order; do not modify. */
  providersWith(rc: string): readonly Provider[] {
    if (!this.byClass) {
      const m = new Map<string, Provider[]>()
      const all = [...this.providers.values()].sort((a, b) => a.id - b.id)
      for (const p of all) {
        for (const c of p.inventories.keys()) {
          let l = m.get(c)
          if (!l) {
            l = []
            m.set(c, l)
          }
          l.push(p)
        }
      }
      this.byClass = m
    }
    return this.byClass.get(rc) ?? []
  }

  /**
   * One byte string per view variant: `fragment(p)` of every provider in id order, end
   * to end, with where each starts (`offsets[i]`, plus the total length at the end).
   * Lets a view copy a run of consecutive providers' summaries at once. Dropped on
   * every change to the state.
   */
  summaryArena(variant: string, fragment: (p: Provider) => Buffer): { bytes: Buffer; offsets: Int32Array } {
    let a = this.arenas.get(variant)
    if (!a) {
      const order = this.providersInOrder()
      const frags = order.map(fragment)
      const offsets = new Int32Array(order.length + 1)
      let off = 0
      for (let i = 0; i < frags.length; i++) {
        offsets[i] = off
        off += frags[i]!.length
      }
      offsets[order.length] = off
      a = { bytes: Buffer.concat(frags, off), offsets }
      this.arenas.set(variant, a)
    }
    return a
  }
  private readonly arenas = new Map<string, { bytes: Buffer; offsets: Int32Array }>()

  /**
   * Forgets what was derived from a provider after it changed: its summaries, every
   * arena, and its tree's candidates.
   */
  dropSummary(p: Provider): void {
    p.cache.summary = undefined
    p.root.cache.results = undefined
    this.arenas.clear()
  }

  /** Every provider in id order (cached with the class index); do not modify. */
  providersInOrder(): readonly Provider[] {
    this.inOrder ??= [...this.providers.values()].sort((a, b) => a.id - b.id)
    return this.inOrder
  }
  private inOrder: Provider[] | undefined

  /** Trait names by id (for the change log's rows). */
  readonly traitById = new Map<number, string>()

  /** Resource classes (standard ones from code) and traits, replaced whole. */
  private setCatalog(rows: Pick<StateRows, 'resourceClasses' | 'traits'>, epoch: string) {
    this.resourceClasses.clear()
    this.rcById.clear()
    this.traits.clear()
    this.traitById.clear()
    STANDARD_RESOURCE_CLASSES.forEach((name, id) => {
      const rc = { id, name, createdAt: epoch, updatedAt: null }
      this.resourceClasses.set(name, rc)
      this.rcById.set(id, rc)
    })
    for (const r of rows.resourceClasses) {
      const rc = { id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }
      this.resourceClasses.set(r.name, rc)
      this.rcById.set(r.id, rc)
    }
    for (const t of rows.traits) {
      this.traits.set(t.name, { id: t.id, name: t.name, createdAt: t.created_at, updatedAt: t.updated_at })
      this.traitById.set(t.id, t.name)
    }
  }

  /**
   * Applies what the change log says changed, in place, as a rebuild from the same
   * rows would leave it. Returns false (the state is then unusable: rebuild it) for a
   * change it does not handle incrementally, such as a provider moving between trees.
   * Synchronous: no request sees a half-applied change.
   */
  applyChanges(d: ChangeRows, epoch: string): boolean {
    if (d.full) return false
    this.arenas.clear()
    if (d.catalog) {
      this.setCatalog(d.catalog, epoch)
      // Traits are listed in id order in summaries: drop every cached fragment.
      for (const p of this.providers.values()) this.dropSummary(p)
    }
    for (const a of d.aggregates) this.aggregates.set(a.uuid, a.id)
    const aggById = new Map(d.aggregates.map((a) => [a.id, a.uuid]))
    const rows = new Map(d.providers.map((r) => [r.id, r]))
    let sharingChanged = false
    // Providers: deleted ones first (children before parents), then new and updated.
    const gone = d.providerIds
      .filter((id) => !rows.has(id) && this.providers.has(id))
      .map((id) => this.providers.get(id)!)
      .sort((a, b) => b.id - a.id)
    if (gone.length) {
      this.byClass = undefined
      this.inOrder = undefined
    }
    for (const p of gone) {
      if (p.children.some((c) => !gone.includes(c))) return false
      if (p.traits.has(SHARES)) sharingChanged = true
      this.unlinkAggregates(p)
      this.providers.delete(p.id)
      if (this.byUuid.get(p.uuid) === p) this.byUuid.delete(p.uuid)
      if (this.byName.get(p.name) === p) this.byName.delete(p.name)
      if (p.parent) p.parent.children.splice(p.parent.children.indexOf(p), 1)
      else this.roots.splice(this.roots.indexOf(p), 1)
      PlacementState.forgetTree(p.root)
    }
    const created: Provider[] = []
    for (const r of d.providers) {
      const p = this.providers.get(r.id)
      if (p) {
        // A provider that changed parent or root: its tree moved; rebuild.
        if ((p.parent?.id ?? null) !== r.parent_provider_id || p.root.id !== (r.root_provider_id ?? r.id))
          return false
        if (p.name !== r.name) {
          if (this.byName.get(p.name) === p) this.byName.delete(p.name)
          p.name = r.name
          this.byName.set(p.name, p)
        }
        p.generation = Number(r.generation)
        p.updatedAt = r.updated_at
        continue
      }
      const q = providerOf(r)
      this.providers.set(q.id, q)
      this.byUuid.set(q.uuid, q)
      this.byName.set(q.name, q)
      created.push(q)
    }
    if (created.length) {
      this.byClass = undefined
      this.inOrder = undefined
    }
    for (const p of created) {
      const r = rows.get(p.id)!
      const parent = r.parent_provider_id === null ? undefined : this.providers.get(r.parent_provider_id)
      const root = r.root_provider_id === null ? p : this.providers.get(r.root_provider_id)
      if ((r.parent_provider_id !== null && !parent) || !root) return false
      p.parent = parent
      p.root = root
      if (parent) insertById(parent.children, p)
      else insertById(this.roots, p)
      PlacementState.forgetTree(root)
    }
    // Inventories, traits and aggregates of the touched providers, replaced whole.
    const touched: Provider[] = []
    const classesBefore = new Map<Provider, string>()
    const generationOnly = new Set(d.generationOnly)
    for (const r of d.providers) {
      const p = this.providers.get(r.id)!
      if (generationOnly.has(r.id)) {
        this.dropSummary(p)
        continue
      }
      touched.push(p)
      classesBefore.set(p, [...p.inventories.keys()].join())
      p.inventories.clear()
      if (p.traits.has(SHARES)) sharingChanged = true
      p.traits.clear()
      this.unlinkAggregates(p)
      this.dropSummary(p)
    }
    for (const i of d.inventories) {
      const p = this.providers.get(i.resource_provider_id)
      const rc = this.rcById.get(i.resource_class_id)
      if (p && rc) p.inventories.set(rc.name, inventoryOf(rc.name, i))
    }
    for (const r of d.providerTraits) {
      const name = this.traitById.get(r.trait_id)
      const p = this.providers.get(r.resource_provider_id)
      if (name && p) p.traits.add(name)
    }
    for (const r of d.providerAggregates) {
      const uuid = aggById.get(r.aggregate_id)
      const p = this.providers.get(r.resource_provider_id)
      if (uuid && p) this.linkAggregate(p, uuid)
    }
    for (const p of touched) {
      if (p.traits.has(SHARES)) sharingChanged = true
      if (classesBefore.get(p) !== [...p.inventories.keys()].join()) this.byClass = undefined
    }
    if (sharingChanged)
      this.sharing = [...this.providers.values()]
        .filter((p) => p.traits.has(SHARES))
        .sort((a, b) => a.id - b.id)
    // Consumers: the old allocations leave the usages, the current ones enter.
    for (const r of d.projects) this.projects.set(r.external_id, r.id)
    for (const r of d.users) this.users.set(r.external_id, r.id)
    for (const r of d.consumerTypes) this.consumerTypes.set(r.name, r.id)
    const projectById = new Map(d.projects.map((r) => [r.id, r.external_id]))
    const userById = new Map(d.users.map((r) => [r.id, r.external_id]))
    const typeById = new Map(d.consumerTypes.map((r) => [r.id, r.name]))
    const crow = new Map(d.consumers.map((c) => [c.uuid, c]))
    for (const uuid of d.consumerUuids) {
      const old = this.consumers.get(uuid)
      if (old) {
        for (const a of old.allocations) {
          a.provider.usages.set(a.resourceClass, (a.provider.usages.get(a.resourceClass) ?? 0) - a.used)
          this.dropSummary(a.provider)
        }
        const c = crow.get(uuid)
        // A consumer deleted and created again is a new row: it moves to the end, as
        // a rebuild (rows in id order) would put it.
        if (!c || c.id !== old.id) this.consumers.delete(uuid)
      }
    }
    for (const c of d.consumers) {
      const prev = this.consumers.get(c.uuid)
      const fresh = consumerOf(c, { projectById, userById, typeById })
      if (prev) Object.assign(prev, fresh)
      else this.consumers.set(c.uuid, fresh)
    }
    for (const a of d.allocations) {
      const p = this.providers.get(a.resource_provider_id)
      const rc = this.rcById.get(a.resource_class_id)
      if (!p || !rc) return false
      addAllocation(p, rc.name, this.consumers.get(a.consumer_id), a)
      this.dropSummary(p)
    }
    this.counter = d.counter
    return true
  }

  private linkAggregate(p: Provider, uuid: string) {
    p.aggregates.add(uuid)
    let members = this.aggregateMembers.get(uuid)
    if (!members) {
      members = []
      this.aggregateMembers.set(uuid, members)
    }
    members.push(p)
  }

  private unlinkAggregates(p: Provider) {
    for (const uuid of p.aggregates) {
      const members = this.aggregateMembers.get(uuid)
      const i = members?.indexOf(p) ?? -1
      if (i >= 0) members!.splice(i, 1)
    }
    p.aggregates.clear()
  }

  nextCustomClassId(): number {
    let max = CUSTOM_CLASS_FIRST_ID - 1
    for (const rc of this.rcById.values()) if (rc.id > max) max = rc.id
    return max + 1
  }
}
