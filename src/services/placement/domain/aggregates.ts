/**
 * A provider's aggregates: replaced as a whole, with the generation check from 1.19.
 * No HTTP and no SQL here.
 */
import { ConcurrentUpdate, ResourceProviderNotFound } from '../errors.js'
import type { PlacementStore } from './placement.js'

export class Aggregates {
  constructor(private readonly store: PlacementStore) {}

  async set(uuid: string, aggregates: string[], generation: number | undefined) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    if (generation !== undefined && generation !== rp.generation) {
      throw new ConcurrentUpdate(
        `Resource provider's generation already changed. Please update the generation and try again.`,
      )
    }
    // NOTE: before 1.19 setting aggregates does not bump the generation (upstream).
    const providers = generation === undefined ? [] : [{ id: rp.id, generation: rp.generation }]
    await this.store.repo.apply({ providers, aggregates: [{ providerId: rp.id, uuids: aggregates }] })
    return this.store.provider(uuid)
  }
}
