/**
 * Traits: listing them with GET /traits' filters, custom traits created and deleted,
 * and a provider's traits replaced. No HTTP and no SQL here.
 */
import {
  ConcurrentUpdate,
  PlacementBadRequest,
  PlacementNotFound,
  ResourceProviderNotFound,
} from '../errors.js'
import type { NamedRecord, PlacementState } from './model.js'
import type { PlacementStore } from './placement.js'
import type { TraitListFilter } from './query.js'

export function listTraits(s: PlacementState, f: TraitListFilter): NamedRecord[] {
  let list = [...s.traits.values()]
  const { names, prefix, associated } = f
  if (names) list = list.filter((t) => names.has(t.name))
  if (prefix !== undefined) list = list.filter((t) => t.name.startsWith(prefix))
  if (associated !== undefined) {
    const used = new Set<string>()
    for (const p of s.providers.values()) for (const t of p.traits) used.add(t)
    list = list.filter((t) => used.has(t.name) === associated)
  }
  return list
}

/** Custom traits, and the traits of a provider. */
export class Traits {
  constructor(private readonly store: PlacementStore) {}

  async setOnProvider(uuid: string, traits: string[], generation: number) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    const missing = traits.filter((t) => !s.traits.has(t))
    if (missing.length) throw new PlacementBadRequest(`No such trait(s): ${missing.join(', ')}.`)
    if (generation !== rp.generation) {
      throw new ConcurrentUpdate(
        `Resource provider's generation already changed. Please update the generation and try again.`,
      )
    }
    const wanted = new Set(traits)
    // NOTE: a PUT of the set the provider already has writes nothing and keeps the
    // generation: agents re-assert their traits periodically, and a bump each time would
    // hand every concurrent writer on the provider a needless 409. The answer is the
    // state the request was validated against.
    if (sameSet(rp.traits, wanted)) return rp
    const traitIds = [...wanted].map((t) => s.traits.get(t)!.id)
    await this.store.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      traits: [{ providerId: rp.id, traitIds }],
    })
    return this.store.provider(uuid)
  }

  async deleteFromProvider(uuid: string) {
    const s = await this.store.state(true)
    const rp = s.byUuid.get(uuid)
    if (!rp) throw new ResourceProviderNotFound(uuid)
    // NOTE: as for an unchanged PUT: no traits to remove, nothing written, no bump.
    if (rp.traits.size === 0) return
    await this.store.repo.apply({
      providers: [{ id: rp.id, generation: rp.generation }],
      traits: [{ providerId: rp.id, traitIds: [] }],
    })
  }

  async create(name: string): Promise<boolean> {
    return this.store.repo.createTrait(name)
  }

  async delete(name: string) {
    const s = await this.store.state(true)
    const t = s.traits.get(name)
    if (!t) throw new PlacementNotFound(`No such trait(s): ${name}.`)
    if (!name.startsWith('CUSTOM_')) throw new PlacementBadRequest(`Cannot delete standard trait ${name}.`)
    await this.store.repo.deleteTrait(t.id, name)
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
