/**
 * Allocations: read from the state, and written as one plan per request (consumers'
 * allocations replaced, capacity and constraints checked, generations compared and
 * swapped; the reshaper's inventory moves in the same plan). No HTTP and no SQL here.
 */
import {
  CODES,
  ConcurrentUpdate,
  InventoryInUse,
  PlacementBadRequest,
  PlacementConflict,
  PlacementNotFound,
} from '../errors.js'
import type { ConsumerWrite, InventoryRow, WritePlan } from '../storage/write-plan.repo.js'
import { byClassId, type InventoryInput, inventoryRow, toInventory } from './inventories.js'
import { type Consumer, capacityOf, type Inventory, type PlacementState, type Provider } from './model.js'
import { MAX_RETRIES, type PlacementStore } from './placement.js'

export const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000'

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

/** Allocations against one provider: consumer uuid -> resource class -> used. */
export function allocationsOn(s: PlacementState, p: Provider): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  for (const c of s.consumers.values()) {
    for (const a of c.allocations) {
      if (a.provider !== p) continue
      let m = out.get(c.uuid)
      if (!m) {
        m = new Map()
        out.set(c.uuid, m)
      }
      m.set(a.resourceClass, a.used)
    }
  }
  return out
}

/**
 * Writing allocations: one or more consumers' allocations replaced atomically, with
 * the reshaper's inventory moves in the same plan.
 */
export class Allocations {
  constructor(private readonly store: PlacementStore) {}

  /**
   * Replaces the allocations of one or more consumers atomically (PUT and POST
   * /allocations, and the allocation half of the reshaper). Capacity is checked against
   * the current state and the providers' generations are compared-and-swapped, so a
   * concurrent claim makes one side retry with fresh data rather than overcommit.
   */
  async set(
    inputs: AllocationInput[],
    opts: {
      reshape?: { uuid: string; generation: number; inventories: Record<string, InventoryInput> }[]
      reservedMayEqualTotal?: boolean
    } = {},
  ) {
    for (let attempt = 0; ; attempt++) {
      const s = await this.store.state(true)
      const plan = this.allocationPlan(s, inputs, opts)
      try {
        await this.store.repo.apply(plan)
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
        const row = inventoryRow(s, rp, rc, inv, opts.reservedMayEqualTotal ?? true, 'update')
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

  async delete(consumerUuid: string) {
    for (let attempt = 0; ; attempt++) {
      const s = await this.store.state(true)
      const c = s.consumers.get(consumerUuid)
      if (!c || c.allocations.length === 0)
        throw new PlacementNotFound(`No allocations for consumer '${consumerUuid}'`)
      try {
        // NOTE: as upstream, deleting a consumer's allocations does not bump the
        // providers' generations (freeing capacity cannot overcommit anything).
        await this.store.repo.apply({
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
