/**
 * Placement's domain, one file per resource (resource-providers.ts, inventories.ts,
 * aggregates.ts, traits.ts, resource-classes.ts, allocations.ts): rules and invariants
 * over the in-memory state, turned into write plans the repository applies with
 * generation compare-and-swap. Reads come from the state (refreshed from the database
 * when another writer moved the change counter). No HTTP and no SQL here.
 *
 *   handler ─▶ Placement.<resource>.<operation> ─▶ state (StateCache) ─▶ checks
 *                                               ─▶ WritePlan ─▶ WritePlanRepo.apply
 */
import { PlacementNotFound, ResourceProviderNotFound } from '../errors.js'
import type { WritePlanRepo } from '../storage/write-plan.repo.js'
import { Aggregates } from './aggregates.js'
import { Allocations, allocationsOn } from './allocations.js'
import { Inventories } from './inventories.js'
import type { Consumer, PlacementState, Provider } from './model.js'
import { ResourceClasses } from './resource-classes.js'
import { ResourceProviders } from './resource-providers.js'
import type { StateCache } from './state-cache.js'
import { Traits } from './traits.js'

/** Attempts of an operation that lost a race and is retried with fresh state. */
export const MAX_RETRIES = 10

/** What every resource's operations use: the state, the writes, a provider by uuid. */
export interface PlacementStore {
  readonly repo: WritePlanRepo
  /** The current state; `fresh` asks the database whether it moved. */
  state(fresh?: boolean): Promise<PlacementState>
  /** A provider of the current state, or 404. */
  provider(uuid: string): Promise<Provider>
}

export class Placement implements PlacementStore {
  readonly providers = new ResourceProviders(this)
  readonly inventories = new Inventories(this)
  readonly aggregates = new Aggregates(this)
  readonly traits = new Traits(this)
  readonly resourceClasses = new ResourceClasses(this)
  readonly allocations = new Allocations(this)

  constructor(
    readonly repo: WritePlanRepo,
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
}
