/**
 * Listing resource providers: the filters of GET /resource_providers, already parsed,
 * applied to the in-memory state. No HTTP here.
 */
import { fits, type PlacementState, type Provider } from './model.js'
import { type AggregateFilter, normalizeUuid, type TraitFilter, traitsMatch } from './query.js'

export interface ProviderFilter {
  name?: string
  uuid?: string
  /** Only providers of the tree this provider belongs to (none if it does not exist). */
  inTree?: string
  memberOf?: AggregateFilter
  required?: TraitFilter
  /** Providers with room for all of these amounts. */
  resources?: Map<string, number>
}

export function filterProviders(s: PlacementState, f: ProviderFilter): Provider[] {
  let list = [...s.providers.values()]
  if (f.name !== undefined) list = list.filter((p) => p.name === f.name)
  if (f.uuid !== undefined) {
    const uuid = normalizeUuid(f.uuid)
    list = list.filter((p) => p.uuid === uuid)
  }
  if (f.inTree !== undefined) {
    const t = s.byUuid.get(normalizeUuid(f.inTree))
    list = t ? list.filter((p) => p.root === t.root) : []
  }
  const memberOf = f.memberOf
  if (memberOf) list = list.filter((p) => inAggregates(p, memberOf))
  const required = f.required
  if (required) list = list.filter((p) => traitsMatch(p.traits, required))
  const resources = f.resources
  if (resources) list = list.filter((p) => [...resources].every(([rc, n]) => fits(p, rc, n)))
  return list
}

function inAggregates(p: Provider, f: AggregateFilter): boolean {
  for (const any of f.memberOf) if (!any.some((a) => p.aggregates.has(a))) return false
  for (const a of f.forbidden) if (p.aggregates.has(a)) return false
  return true
}
