/**
 * Listing traits with GET /traits' filters. No HTTP here.
 */
import type { NamedRecord, PlacementState } from './model.js'
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
