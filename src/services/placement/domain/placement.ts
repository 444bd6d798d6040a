/**
 * Placement's operations: rules and invariants over the in-memory state, turned into
 * write plans the repository applies with generation compare-and-swap. Reads come from
 * the state (refreshed from the database when another writer moved the change counter).
 * No HTTP and no SQL here.
 */
import { randomUUID } from 'node:crypto'
import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import {
  CODES,
  ConcurrentUpdate,
  InventoryInUse,
  PlacementBadRequest,
  PlacementConflict,
  PlacementNotFound,
  ResourceProviderNotFound,
} from '../errors.js'
import type { ConsumerWrite, InventoryRow, PlacementRepo, WritePlan } from '../storage/placement.repo.js'
import { allocationsOn } from './allocations.js'
import { type Consumer, capacityOf, type Inventory, PlacementState, type Provider } from './model.js'
import type { StateCache } from './state-cache.js'

export const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000'

export interface InventoryInput {
  total: number
  reserved?: number
  min_unit?: number
  max_unit?: number
  step_size?: number
  allocation_ratio?: number
}

export interface AllocationInput {
  consumerUuid: string
  /** provider uuid -> resource class -> amount */
  allocations: Map<string, Map<string, number>>
  projectId: string
  userId: string
  consumerType: string | undefined
  /** undefined: no generation check (before 1.28). */
  consumerGeneration: number | null | undefined
}

const MAX_RETRIES = 10

export class Placement {
  constructor(
    readonly repo: PlacementRepo,
    readonly cache: StateCache,
  ) {}

  state(fresh = false): Promise<PlacementState> {
    return this.cache.current(fresh)
  }

  async provider(uuid: string): Promise<Provider> {
    const p = (await this.state()).byUuid.get(uuid)
    if (!p) throw new ResourceProviderNotFound(uuid)
    return p
  }

  /** A consumer and its allocations; undefined for a consumer placement does not know. */
  async consumer(uuid: string): Promise<Consumer | undefined> {
    return (await this.state()).consumers.get(uuid)
  }

  /** Allocations against one provider: consumer uuid -> resource class -> used. */
  async providerAllocations(uuid: string) {
    const s = await this.state()
    const p = s.byUuid.get(uuid)
    if (!p)
      throw new PlacementNotFound(
        `Resource provider '${uuid}' not found: No resource provider with uuid ${uuid} found`,
      )
    const allocations = allocationsOn(s, p)
    const generations = new Map([...allocations.keys()].map((c) => [c, s.consumers.get(c)?.generation ?? 0]))
    return { provider: p, allocations, generations }
  }

  async resourceClass(name: string) {
    const r = (await this.state()).resourceClasses.get(name)
    if (!r) throw new PlacementNotFound(`No such resource class ${name}.`)
    return r
  }

  async trait(name: string) {
    const t = (await this.state()).traits.get(name)
    if (!t) throw new PlacementNotFound(`No such trait(s): ${name}.`)
    return t
  }

  // --- resource providers
  async createProvider(input: {
    name: string
    uuid?: string
    parentUuid?: string | null
  }): Promise<Provider> {
    const s = await this.state(true)
    const uuid = input.uuid ?? randomUUID()
    let parent: Provider | undefined
    if (input.parentUuid) {
      if (input.parentUuid === uuid) {
        throw new PlacementBadRequest(
          `Unable to create resource provider "${input.name}", ${uuid}: parent provider UUID cannot be same as UUID. Please choose a different parent provider UUID.`,
        )
      }
      parent = s.byUuid.get(input.parentUuid)
      if (!parent) {
        throw new PlacementBadRequest(
          `Unable to create resource provider "${input.name}", ${uuid}: The resource provider's parent provider UUID does not exist: parent provider UUID does not exist.`,
        )
      }
    }
    if (s.byUuid.has(uuid))
      throw new PlacementConflict(
        `Conflicting resource provider uuid: ${uuid} already exists.`,
        'placement.duplicate_uuid',
      )
    if (s.byName.has(input.name)) {
      throw new PlacementConflict(
        `Conflicting resource provider name: ${input.name} already exists.`,
        'placement.duplicate_name',
      )
    }
    await this.repo.createProvider({
      uuid,
      name: input.name,
      parentId: parent?.id ?? null,
      rootId: parent?.root.id ?? null,
    })
    return this.provider(uuid)
  }

  async updateProvider(
    uuid: string,
    input: { name: string; parentUuid?: string | null; hasParent: boolean },
    allowReparent: boolean,
  ): Promise<Provider> {
    const s = await this.state(true)
    const p = s.byUuid.get(uuid)
    if (!p) throw new ResourceProviderNotFound(uuid)
    let parent = p.parent
    if (input.hasParent) {
      const want = input.parentUuid ?? undefined
      if (want === undefined) {
        if (p.parent && !allowReparent)
          throw new PlacementBadRequest('un-parenting a provider is not currently allowed.')
        parent = undefined
      } else if (want !== p.parent?.uuid) {
        const np = s.byUuid.get(want)
        if (!np) throw new PlacementBadRequest('parent provider UUID does not exist.')
        if (p.parent && !allowReparent)
          throw new PlacementBadRequest('re-parenting a provider is not currently allowed.')
        if (PlacementState.isWithin(np, p))
          throw new PlacementBadRequest('creating loop in the provider tree is not allowed.')
        parent = np
      }
    }
    if (input.name !== p.name && s.byName.has(input.name)) {
      throw new PlacementConflict(
        `Conflicting resource provider name: ${input.name} already exists.`,
        'placement.duplicate_name',
      )
    }
    const newRoot = parent ? parent.root : p
    const subtree = newRoot === p.root ? [] : PlacementState.treeOf(p).map((q) => q.id)
    await this.repo.updateProvider(
      p.id,
      p.generation,
      { name: input.name, uuid, parentId: parent?.id ?? null, rootId: newRoot.id },
      subtree,
    )
    return this.provider(uuid)
  }

  async deleteProvider(uuid: string): Promise<void> {
    const p = (await this.state(true)).byUuid.get(uuid)
    if (!p) throw new PlacementNotFound(`No resource provider with uuid ${uuid} found for delete`)
    await this.repo.deleteProvider(p.id, p.generation, uuid)
  }

  // --- inventories
  private inventoryRow(
    s: PlacementState,
    rp: Provider,
    rc: string,
    inv: InventoryInput,
    reservedMayEqualTotal: boolean,
    verb: string,
  ): InventoryRow {
    const rcRec = s.resourceClasses.get(rc)
    if (!rcRec)
      throw new PlacementBadRequest(
        `Unknown resource class in inventory for resource provider ${rp.uuid}: No such resource class ${rc}.`,
      )
    const row: InventoryRow = {
      resourceClassId: rcRec.id,
      total: inv.total,
      reserved: inv.reserved ?? 0,
      minUnit: inv.min_unit ?? 1,
      maxUnit: inv.max_unit ?? 2147483647,
      stepSize: inv.step_size ?? 1,
      allocationRatio: inv.allocation_ratio ?? 1.0,
    }
    // Upstream checks the capacity, int((total - reserved) * allocation_ratio), so a
    // ratio of 0 (before 1.26) or below 0 is refused too.
    const capacity = Math.trunc((row.total - row.reserved) * row.allocationRatio)
    const bad = reservedMayEqualTotal ? capacity < 0 : capacity <= 0
    if (bad) {
      const what = reservedMayEqualTotal ? 'greater than total' : 'greater than or equal to total'
      throw new PlacementBadRequest(
        `Unable to ${verb} inventory for resource provider ${rp.uuid}: Invalid inventory for '${rc}' on resource provider '${rp.uuid}'. The reserved value is ${what}.`,
      )
    }
    return row
  }

  private currentRows(s: PlacementState, rp: Provider): Map<string, InventoryRow> {
    const out = new Map<string, InventoryRow>()
    for (const [rc, i] of rp.inventories) out.set(rc, rowOf(s, i))
    return out
  }

  /** Writes a provider's inventory with one class's row added, replaced or (undefined) removed. */
  private async replaceInventoryRow(
    s: PlacementState,
    rp: Provider,
    rc: string,
    row: InventoryRow | undefined,
  ) {
    const rows = this.currentRows(s, rp)
    if (row) rows.set(rc, row)
    else rows.delete(rc)
    await this.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      inventories: [{ providerId: rp.id, rows: [...rows.values()] }],
    })
  }

  private checkGeneration(rp: Provider, generation: number | undefined) {
    if (generation !== undefined && generation !== rp.generation) {
      throw new ConcurrentUpdate('resource provider generation conflict')
    }
  }

  async createInventory(
    uuid: string,
    rc: string,
    inv: InventoryInput & { resource_provider_generation?: number },
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const row = this.inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'create')
    if (rp.inventories.has(rc)) {
      throw new PlacementConflict(
        `Update conflict: Inventory for '${rc}' on resource provider '${uuid}' already exists.`,
      )
    }
    this.checkGeneration(rp, inv.resource_provider_generation)
    await this.replaceInventoryRow(s, rp, rc, row)
    return this.provider(uuid)
  }

  async updateInventory(
    uuid: string,
    rc: string,
    inv: InventoryInput & { resource_provider_generation: number },
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    this.checkGeneration(rp, inv.resource_provider_generation)
    if (!s.resourceClasses.has(rc)) throw new PlacementBadRequest(`No such resource class ${rc}.`)
    // NOTE: upstream validates the capacity (reserved vs total) before it looks for the
    // inventory record.
    const row = this.inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'update')
    if (!rp.inventories.has(rc)) {
      throw new PlacementBadRequest(
        `No inventory record with resource class for resource provider ${uuid}: No inventory of class ${rc} found.`,
      )
    }
    await this.replaceInventoryRow(s, rp, rc, row)
    return this.provider(uuid)
  }

  async setInventories(
    uuid: string,
    generation: number,
    inventories: Record<string, InventoryInput>,
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const plan = this.inventoryPlan(s, rp, generation, inventories, reservedMayEqualTotal)
    await this.repo.apply(plan)
    return this.provider(uuid)
  }

  private inventoryPlan(
    s: PlacementState,
    rp: Provider,
    generation: number,
    inventories: Record<string, InventoryInput>,
    reservedMayEqualTotal: boolean,
    checkInUse = true,
  ): WritePlan {
    this.checkGeneration(rp, generation)
    const rows: InventoryRow[] = []
    for (const [rc, inv] of Object.entries(inventories))
      rows.push(this.inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'update'))
    if (checkInUse) {
      const removed = [...rp.inventories.keys()].filter(
        (rc) => !(rc in inventories) && (rp.usages.get(rc) ?? 0) > 0,
      )
      if (removed.length)
        throw new InventoryInUse(
          `update conflict: Inventory for '${byClassId(s, removed)}' on resource provider '${rp.uuid}' in use.`,
        )
    }
    return {
      providers: [{ id: rp.id, generation: rp.generation }],
      inventories: [{ providerId: rp.id, rows }],
    }
  }

  async deleteInventory(uuid: string, rc: string, generation?: number) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    this.checkGeneration(rp, generation)
    if (!rp.inventories.has(rc)) {
      throw new PlacementNotFound(
        `No inventory of class ${rc} found for delete: No inventory of class ${rc} found.`,
      )
    }
    if ((rp.usages.get(rc) ?? 0) > 0) {
      throw new InventoryInUse(
        `Unable to delete inventory of class ${rc}: Inventory for '${rc}' on resource provider '${uuid}' in use.`,
      )
    }
    await this.replaceInventoryRow(s, rp, rc, undefined)
  }

  async deleteAllInventories(uuid: string) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const used = [...rp.inventories.keys()].filter((rc) => (rp.usages.get(rc) ?? 0) > 0)
    if (used.length) {
      throw new InventoryInUse(
        `Unable to delete inventory for resource provider ${uuid} because the inventory is in use: Inventory for '${byClassId(s, used)}' on resource provider '${uuid}' in use.`,
      )
    }
    await this.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      inventories: [{ providerId: rp.id, rows: [] }],
    })
  }

  // --- aggregates and traits
  async setAggregates(uuid: string, aggregates: string[], generation: number | undefined) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    if (generation !== undefined && generation !== rp.generation) {
      throw new ConcurrentUpdate(
        `Resource provider's generation already changed. Please update the generation and try again.`,
      )
    }
    // NOTE: before 1.19 setting aggregates does not bump the generation (upstream).
    const providers = generation === undefined ? [] : [{ id: rp.id, generation: rp.generation }]
    await this.repo.apply({ providers, aggregates: [{ providerId: rp.id, uuids: aggregates }] })
    return this.provider(uuid)
  }

  async setProviderTraits(uuid: string, traits: string[], generation: number) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const missing = traits.filter((t) => !s.traits.has(t))
    if (missing.length) throw new PlacementBadRequest(`No such trait(s): ${missing.join(', ')}.`)
    if (generation !== rp.generation) {
      throw new ConcurrentUpdate(
        `Resource provider's generation already changed. Please update the generation and try again.`,
      )
    }
    const traitIds = [...new Set(traits)].map((t) => s.traits.get(t)!.id)
    await this.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      traits: [{ providerId: rp.id, traitIds }],
    })
    return this.provider(uuid)
  }

  async deleteProviderTraits(uuid: string) {
    const s = await this.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    await this.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      traits: [{ providerId: rp.id, traitIds: [] }],
    })
  }

  async createTrait(name: string): Promise<boolean> {
    return this.repo.createTrait(name)
  }

  async deleteTrait(name: string) {
    const s = await this.state(true)
    const t = s.traits.get(name)
    if (!t) throw new PlacementNotFound(`No such trait(s): ${name}.`)
    if (!name.startsWith('CUSTOM_')) throw new PlacementBadRequest(`Cannot delete standard trait ${name}.`)
    await this.repo.deleteTrait(t.id, name)
  }

  // --- resource classes
  async createResourceClass(name: string) {
    const s = await this.state(true)
    if (s.resourceClasses.has(name))
      throw new PlacementConflict(`Conflicting resource class already exists: ${name}`)
    for (let i = 0; ; i++) {
      try {
        await this.repo.createResourceClass((await this.state(true)).nextCustomClassId(), name)
        return
      } catch (e) {
        if (!(e instanceof ConcurrentUpdate) || i >= MAX_RETRIES) throw e
      }
    }
  }

  /** Creates a custom resource class unless it exists (1.7's PUT); true if created. */
  async ensureResourceClass(name: string): Promise<boolean> {
    if ((await this.state(true)).resourceClasses.has(name)) return false
    await this.createResourceClass(name)
    return true
  }

  async updateResourceClass(oldName: string, name: string) {
    const s = await this.state(true)
    const rc = s.resourceClasses.get(oldName)
    if (!rc) throw new PlacementNotFound(`No such resource class ${oldName}.`)
    if (STANDARD_RESOURCE_CLASSES.includes(oldName))
      throw new PlacementBadRequest(`Cannot update standard resource class ${oldName}`)
    if (s.resourceClasses.has(name) && name !== oldName)
      throw new PlacementConflict(`Resource class already exists: ${name}`)
    await this.repo.updateResourceClass(rc.id, name)
  }

  async deleteResourceClass(name: string) {
    const s = await this.state(true)
    const rc = s.resourceClasses.get(name)
    if (!rc) throw new PlacementNotFound(`No such resource class ${name}.`)
    if (STANDARD_RESOURCE_CLASSES.includes(name))
      throw new PlacementBadRequest(`Cannot delete standard resource class ${name}`)
    await this.repo.deleteResourceClass(rc.id, name)
  }

  // --- allocations
  /**
   * Replaces the allocations of one or more consumers atomically (PUT and POST
   * /allocations, and the allocation half of the reshaper). Capacity is checked against
   * the current state and the providers' generations are compared-and-swapped, so a
   * concurrent claim makes one side retry with fresh data rather than overcommit.
   */
  async setAllocations(
    inputs: AllocationInput[],
    opts: {
      reshape?: { uuid: string; generation: number; inventories: Record<string, InventoryInput> }[]
      reservedMayEqualTotal?: boolean
    } = {},
  ) {
    for (let attempt = 0; ; attempt++) {
      const s = await this.state(true)
      const plan = this.allocationPlan(s, inputs, opts)
      try {
        await this.repo.apply(plan)
        return
      } catch (e) {
        // Only a lost provider race is retried; consumer generation conflicts are the caller's.
        if (!(e instanceof ConcurrentUpdate) || e.message !== PROVIDER_RACE || attempt >= MAX_RETRIES) {
          if (e instanceof ConcurrentUpdate && e.message === PROVIDER_RACE) {
            throw new ConcurrentUpdate(
              'Inventory and/or allocations changed while attempting to allocate: Another thread concurrently updated the data. Please retry your update',
            )
          }
          throw e
        }
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)))
      }
    }
  }

  private allocationPlan(
    s: PlacementState,
    inputs: AllocationInput[],
    opts: {
      reshape?: { uuid: string; generation: number; inventories: Record<string, InventoryInput> }[]
      reservedMayEqualTotal?: boolean
    },
  ): WritePlan {
    const plan: WritePlan = { providers: [], consumers: [], inventories: [] }
    // Reshaper: every provider named in `inventories` must exist and be at the given
    // generation before anything else is looked at (as upstream's handler does).
    const reshapes: { rp: Provider; inventories: Record<string, InventoryInput> }[] = []
    for (const r of opts.reshape ?? []) {
      const rp = s.byUuid.get(r.uuid)
      if (!rp) {
        throw new PlacementBadRequest(
          `Resource provider ${r.uuid} in inventories not found: No resource provider with uuid ${r.uuid} found`,
          CODES.RESOURCE_PROVIDER_NOT_FOUND,
        )
      }
      if (r.generation !== rp.generation) {
        throw new ConcurrentUpdate(
          `resource provider generation conflict for provider ${r.uuid}: actual: ${rp.generation}, given: ${r.generation}`,
        )
      }
      reshapes.push({ rp, inventories: r.inventories })
    }
    // Usage deltas: remove the consumers' current allocations, add the new ones.
    const usage = new Map<number, Map<string, number>>()
    const use = (p: Provider, rc: string, d: number) => {
      let m = usage.get(p.id)
      if (!m) {
        m = new Map(p.usages)
        usage.set(p.id, m)
      }
      m.set(rc, (m.get(rc) ?? 0) + d)
    }
    // Providers whose generation the allocation write bumps: those of the new
    // allocations, and those a consumer with an empty allocation set is removed from
    // (upstream signals those with used=0 allocations). Providers that only lose
    // allocations to a consumer's replacement set are not bumped, as upstream.
    const bumped = new Map<number, Provider>()
    const seen = new Set<string>()
    for (const input of inputs) {
      if (seen.has(input.consumerUuid)) continue
      seen.add(input.consumerUuid)
      const existing = s.consumers.get(input.consumerUuid)
      for (const a of existing?.allocations ?? []) {
        use(a.provider, a.resourceClass, -a.used)
        if (input.allocations.size === 0) bumped.set(a.provider.id, a.provider)
      }
    }
    const consumerWrites = inputs.map((input) =>
      this.consumerWrite(s, input, s.consumers.get(input.consumerUuid)),
    )
    const targets = inputs.map((input) => {
      const list: [Provider, Map<string, number>][] = []
      for (const [rpUuid, resources] of input.allocations) {
        const rp = s.byUuid.get(rpUuid)
        if (!rp)
          throw new PlacementBadRequest(`Allocation for resource provider '${rpUuid}' that does not exist.`)
        list.push([rp, resources])
      }
      return list
    })
    // Reshaped inventories. Capacity is checked against the "union" of the new and the
    // removed inventories (upstream's interim step); removing a class that still has
    // allocations afterwards is an in-use conflict (upstream's final step).
    const interim = new Map<number, Map<string, Inventory | InventoryRow>>()
    for (const { rp, inventories } of reshapes) {
      const rows: InventoryRow[] = []
      const union = new Map<string, Inventory | InventoryRow>(rp.inventories)
      for (const [rc, inv] of Object.entries(inventories)) {
        const row = this.inventoryRow(s, rp, rc, inv, opts.reservedMayEqualTotal ?? true, 'update')
        rows.push(row)
        union.set(rc, row)
      }
      interim.set(rp.id, union)
      plan.inventories!.push({ providerId: rp.id, rows })
    }
    inputs.forEach((input, i) => {
      const cw = consumerWrites[i]!
      for (const [rp, resources] of targets[i]!) {
        bumped.set(rp.id, rp)
        for (const [rc, amount] of resources) {
          const rcRec = s.resourceClasses.get(rc)
          if (!rcRec) {
            throw new PlacementBadRequest(
              `Unable to allocate inventory for consumer ${input.consumerUuid}: No such resource class ${rc}.`,
            )
          }
          const inv = (interim.get(rp.id) ?? rp.inventories).get(rc)
          if (!inv) {
            throw new PlacementConflict(
              `Unable to allocate inventory: Inventory for '${rc}' on resource provider '${rp.uuid}' invalid.`,
            )
          }
          if (amount < inv.minUnit || amount > inv.maxUnit || amount % inv.stepSize !== 0) {
            throw new PlacementConflict(
              `Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${rp.uuid}'. The requested amount would violate inventory constraints.`,
            )
          }
          use(rp, rc, amount)
          cw.allocations.push({ providerId: rp.id, resourceClassId: rcRec.id, used: amount })
        }
      }
      plan.consumers!.push(cw)
    })
    // Capacity: only providers whose usage grew in some class need checking.
    for (const [pid, m] of usage) {
      const p = s.providers.get(pid)!
      const invs = interim.get(pid) ?? p.inventories
      for (const [rc, used] of m) {
        const before = p.usages.get(rc) ?? 0
        if (used <= before) continue
        const inv = invs.get(rc)
        const cap = inv ? capacityOf(toInventory(inv)) : 0
        if (used > cap) {
          throw new PlacementConflict(
            `Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${p.uuid}'. The requested amount would exceed the capacity.`,
          )
        }
      }
    }
    for (const { rp, inventories } of reshapes) {
      const after = usage.get(rp.id) ?? rp.usages
      const removed = [...rp.inventories.keys()].filter(
        (rc) => !(rc in inventories) && (after.get(rc) ?? 0) > 0,
      )
      if (removed.length) {
        throw new InventoryInUse(
          `update conflict: Inventory for '${byClassId(s, removed)}' on resource provider '${rp.uuid}' in use.`,
        )
      }
    }
    // Generation compare-and-swaps. A reshaped provider moves as upstream's three steps
    // move it: the interim inventory (only when the new set is not empty), the
    // allocation write (when touched) and the final inventory. The same provider is
    // listed once per step with consecutive generations; the repository applies them
    // in order, so the first compare-and-swap still guards against a concurrent writer.
    const steps = new Map<number, { p: Provider; n: number }>()
    for (const p of bumped.values()) steps.set(p.id, { p, n: 1 })
    for (const { rp, inventories } of reshapes) {
      const n = (steps.get(rp.id)?.n ?? 0) + 1 + (Object.keys(inventories).length ? 1 : 0)
      steps.set(rp.id, { p: rp, n })
    }
    for (const { p, n } of steps.values()) {
      for (let k = 0; k < n; k++)
        plan.providers.push({ id: p.id, generation: p.generation + k, conflictMessage: PROVIDER_RACE })
    }
    return plan
  }

  private consumerWrite(
    s: PlacementState,
    input: AllocationInput,
    existing: Consumer | undefined,
  ): ConsumerWrite {
    if (input.consumerGeneration !== undefined) {
      if (existing && existing.generation !== input.consumerGeneration) {
        throw new ConcurrentUpdate(
          `consumer generation conflict - expected ${existing.generation} but got ${input.consumerGeneration}`,
        )
      }
      if (!existing && input.consumerGeneration !== null) {
        throw new ConcurrentUpdate(
          `consumer generation conflict - expected null but got ${input.consumerGeneration}`,
        )
      }
    }
    void s
    return {
      uuid: input.consumerUuid,
      projectId: input.projectId,
      userId: input.userId,
      consumerType: input.consumerType,
      exists: existing !== undefined,
      expectedGeneration: existing ? existing.generation : null,
      allocations: [],
      conflictMessage: `consumer generation conflict - expected ${existing?.generation ?? 'null'} but got a different one`,
    }
  }

  async deleteAllocations(consumerUuid: string) {
    for (let attempt = 0; ; attempt++) {
      const s = await this.state(true)
      const c = s.consumers.get(consumerUuid)
      if (!c || c.allocations.length === 0)
        throw new PlacementNotFound(`No allocations for consumer '${consumerUuid}'`)
      try {
        // NOTE: as upstream, deleting a consumer's allocations does not bump the
        // providers' generations (freeing capacity cannot overcommit anything).
        await this.repo.apply({
          providers: [],
          consumers: [
            {
              uuid: c.uuid,
              projectId: c.projectId,
              userId: c.userId,
              consumerType: c.consumerType,
              exists: true,
              expectedGeneration: c.generation,
              allocations: [],
              conflictMessage: 'consumer generation conflict',
            },
          ],
        })
        return
      } catch (e) {
        if (!(e instanceof ConcurrentUpdate) || attempt >= MAX_RETRIES) throw e
      }
    }
  }
}

const PROVIDER_RACE = 'resource provider generation conflict (allocation race)'

function rowOf(s: PlacementState, i: Inventory): InventoryRow {
  return {
    resourceClassId: s.resourceClasses.get(i.resourceClass)!.id,
    total: i.total,
    reserved: i.reserved,
    minUnit: i.minUnit,
    maxUnit: i.maxUnit,
    stepSize: i.stepSize,
    allocationRatio: i.allocationRatio,
  }
}

/** Class names in resource class id order (upstream groups allocations by class id). */
function byClassId(s: PlacementState, names: string[]): string {
  const id = (n: string) => s.resourceClasses.get(n)?.id ?? Number.MAX_SAFE_INTEGER
  return [...names].sort((a, b) => id(a) - id(b)).join(', ')
}

function toInventory(i: Inventory | InventoryRow): Inventory {
  if ('resourceClass' in i) return i
  return { ...i, resourceClass: '', createdAt: '', updatedAt: null }
}
