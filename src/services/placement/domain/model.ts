/**
 * The in-memory model of placement's state: provider trees with their inventories,
 * usages, traits and aggregates; consumers with their allocations; resource classes and
 * traits. The database stays the source of truth; `PlacementState` is rebuilt from it
 * whenever the change counter moves (see domain/state-cache.ts). No HTTP, no SQL here.
 */
import { CUSTOM_CLASS_FIRST_ID, STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'

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
  readonly sharing: Provider[] = []
  /** Providers by aggregate uuid. */
  readonly aggregateMembers = new Map<string, Provider[]>()
  /** The newest timestamp of any resource class (for last-modified on lists). */
  constructor(readonly counter: string) {}

  static build(rows: StateRows, epoch: string): PlacementState {
    const s = new PlacementState(rows.counter)
    STANDARD_RESOURCE_CLASSES.forEach((name, id) => {
      const rc = { id, name, createdAt: epoch, updatedAt: null }
      s.resourceClasses.set(name, rc)
      s.rcById.set(id, rc)
    })
    for (const r of rows.resourceClasses) {
      const rc = { id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }
      s.resourceClasses.set(r.name, rc)
      s.rcById.set(r.id, rc)
    }
    const traitById = new Map<number, string>()
    for (const t of rows.traits) {
      s.traits.set(t.name, { id: t.id, name: t.name, createdAt: t.created_at, updatedAt: t.updated_at })
      traitById.set(t.id, t.name)
    }
    const aggById = new Map<number, string>()
    for (const a of rows.aggregates) {
      s.aggregates.set(a.uuid, a.id)
      aggById.set(a.id, a.uuid)
    }
    for (const r of rows.providers) {
      const p = {
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
      } satisfies Provider
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
      p.inventories.set(rc.name, {
        resourceClass: rc.name,
        total: Number(i.total),
        reserved: Number(i.reserved),
        minUnit: Number(i.min_unit),
        maxUnit: Number(i.max_unit),
        stepSize: Number(i.step_size),
        allocationRatio: Number(i.allocation_ratio),
        createdAt: i.created_at,
        updatedAt: i.updated_at,
      })
    }
    const projectById = new Map(rows.projects.map((r) => [r.id, r.external_id]))
    const userById = new Map(rows.users.map((r) => [r.id, r.external_id]))
    for (const r of rows.projects) s.projects.set(r.external_id, r.id)
    for (const r of rows.users) s.users.set(r.external_id, r.id)
    const typeById = new Map(rows.consumerTypes.map((r) => [r.id, r.name]))
    for (const r of rows.consumerTypes) s.consumerTypes.set(r.name, r.id)
    for (const c of rows.consumers) {
      s.consumers.set(c.uuid, {
        id: c.id,
        uuid: c.uuid,
        projectId: projectById.get(c.project_id) ?? '',
        userId: userById.get(c.user_id) ?? '',
        consumerType: c.consumer_type_id === null ? undefined : typeById.get(c.consumer_type_id),
        generation: Number(c.generation),
        createdAt: c.created_at,
        updatedAt: c.updated_at,
        allocations: [],
      })
    }
    for (const a of rows.allocations) {
      const p = s.providers.get(a.resource_provider_id)
      const rc = s.rcById.get(a.resource_class_id)
      const c = s.consumers.get(a.consumer_id)
      if (!p || !rc) continue
      const used = Number(a.used)
      p.usages.set(rc.name, (p.usages.get(rc.name) ?? 0) + used)
      c?.allocations.push({
        provider: p,
        resourceClass: rc.name,
        used,
        createdAt: a.created_at,
        updatedAt: a.updated_at,
      })
    }
    for (const r of rows.providerTraits) {
      const name = traitById.get(r.trait_id)
      const p = s.providers.get(r.resource_provider_id)
      if (name && p) p.traits.add(name)
    }
    for (const r of rows.providerAggregates) {
      const uuid = aggById.get(r.aggregate_id)
      const p = s.providers.get(r.resource_provider_id)
      if (!uuid || !p) continue
      p.aggregates.add(uuid)
      let members = s.aggregateMembers.get(uuid)
      if (!members) {
        members = []
        s.aggregateMembers.set(uuid, members)
      }
      members.push(p)
    }
    for (const p of s.providers.values()) if (p.traits.has('MISC_SHARES_VIA_AGGREGATE')) s.sharing.push(p)
    return s
  }

  /** Whether a provider is `ancestor` or lies below it. */
  static isWithin(p: Provider, ancestor: Provider): boolean {
    for (let q: Provider | undefined = p; q; q = q.parent) if (q === ancestor) return true
    return false
  }

  /** Every provider of a tree, parents before children. */
  static treeOf(root: Provider): Provider[] {
    const out: Provider[] = []
    const walk = (p: Provider) => {
      out.push(p)
      for (const c of p.children) walk(c)
    }
    walk(root)
    return out
  }

  nextCustomClassId(): number {
    let max = CUSTOM_CLASS_FIRST_ID - 1
    for (const rc of this.rcById.values()) if (rc.id > max) max = rc.id
    return max + 1
  }
}
