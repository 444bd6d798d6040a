/**
 * Inventories: a provider's capacity per resource class, its checks (capacity, in use,
 * generations) and the write plans that replace it. No HTTP and no SQL here.
 */
import {
  ConcurrentUpdate,
  InventoryInUse,
  PlacementBadRequest,
  PlacementConflict,
  PlacementNotFound,
  ResourceProviderNotFound,
} from '../errors.js'
import type { InventoryRow, WritePlan } from '../storage/write-plan.repo.js'
import type { Inventory, PlacementState, Provider } from './model.js'
import type { PlacementStore } from './placement.js'

export interface InventoryInput {
  total: number
  reserved?: number
  min_unit?: number
  max_unit?: number
  step_size?: number
  allocation_ratio?: number
}

export class Inventories {
  constructor(private readonly store: PlacementStore) {}

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
    await this.store.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      inventories: [{ providerId: rp.id, rows: [...rows.values()] }],
    })
  }

  async create(
    uuid: string,
    rc: string,
    inv: InventoryInput & { resource_provider_generation?: number },
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const row = inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'create')
    if (rp.inventories.has(rc)) {
      throw new PlacementConflict(
        `Update conflict: Inventory for '${rc}' on resource provider '${uuid}' already exists.`,
      )
    }
    checkGeneration(rp, inv.resource_provider_generation)
    await this.replaceInventoryRow(s, rp, rc, row)
    return this.store.provider(uuid)
  }

  async update(
    uuid: string,
    rc: string,
    inv: InventoryInput & { resource_provider_generation: number },
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    checkGeneration(rp, inv.resource_provider_generation)
    if (!s.resourceClasses.has(rc)) throw new PlacementBadRequest(`No such resource class ${rc}.`)
    // NOTE: upstream validates the capacity (reserved vs total) before it looks for the
    // inventory record.
    const row = inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'update')
    if (!rp.inventories.has(rc)) {
      throw new PlacementBadRequest(
        `No inventory record with resource class for resource provider ${uuid}: No inventory of class ${rc} found.`,
      )
    }
    await this.replaceInventoryRow(s, rp, rc, row)
    return this.store.provider(uuid)
  }

  async set(
    uuid: string,
    generation: number,
    inventories: Record<string, InventoryInput>,
    reservedMayEqualTotal: boolean,
  ) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const plan = this.plan(s, rp, generation, inventories, reservedMayEqualTotal)
    await this.store.repo.apply(plan)
    return this.store.provider(uuid)
  }

  private plan(
    s: PlacementState,
    rp: Provider,
    generation: number,
    inventories: Record<string, InventoryInput>,
    reservedMayEqualTotal: boolean,
    checkInUse = true,
  ): WritePlan {
    checkGeneration(rp, generation)
    const rows: InventoryRow[] = []
    for (const [rc, inv] of Object.entries(inventories))
      rows.push(inventoryRow(s, rp, rc, inv, reservedMayEqualTotal, 'update'))
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

  async delete(uuid: string, rc: string, generation?: number) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    checkGeneration(rp, generation)
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

  async deleteAll(uuid: string) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const used = [...rp.inventories.keys()].filter((rc) => (rp.usages.get(rc) ?? 0) > 0)
    if (used.length) {
      throw new InventoryInUse(
        `Unable to delete inventory for resource provider ${uuid} because the inventory is in use: Inventory for '${byClassId(s, used)}' on resource provider '${uuid}' in use.`,
      )
    }
    await this.store.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      inventories: [{ providerId: rp.id, rows: [] }],
    })
  }
}

/** One class's inventory as a row to write, refused when its capacity is not positive. */
export function inventoryRow(
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

/** A generation the caller sent must be the provider's current one. */
export function checkGeneration(rp: Provider, generation: number | undefined): void {
  if (generation !== undefined && generation !== rp.generation) {
    throw new ConcurrentUpdate('resource provider generation conflict')
  }
}

export function rowOf(s: PlacementState, i: Inventory): InventoryRow {
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
export function byClassId(s: PlacementState, names: string[]): string {
  const id = (n: string) => s.resourceClasses.get(n)?.id ?? Number.MAX_SAFE_INTEGER
  return [...names].sort((a, b) => id(a) - id(b)).join(', ')
}

/** An inventory or a row to write, as the capacity check reads it. */
export function toInventory(i: Inventory | InventoryRow): Inventory {
  if ('resourceClass' in i) return i
  return { ...i, resourceClass: '', createdAt: '', updatedAt: null }
}
