/**
 * Usages: a provider's per class, and a project's (or user's) totals, optionally by
 * consumer type (1.38). No HTTP here.
 */
import type { PlacementState, Provider } from './model.js'

/** Used amounts for every class the provider has inventory of (0 when unused). */
export function providerUsages(p: Provider): Record<string, number> {
  const usages: Record<string, number> = {}
  for (const rc of p.inventories.keys()) usages[rc] = p.usages.get(rc) ?? 0
  return usages
}

export interface UsageQuery {
  projectId: string
  userId?: string
}

function consumersOf(s: PlacementState, q: UsageQuery) {
  return [...s.consumers.values()].filter(
    (c) => c.projectId === q.projectId && (q.userId === undefined || c.userId === q.userId),
  )
}

/** Total used amounts per class of the project's (and user's) consumers. */
export function totalUsages(s: PlacementState, q: UsageQuery): Record<string, number> {
  const usages: Record<string, number> = {}
  for (const c of consumersOf(s, q))
    for (const a of c.allocations) usages[a.resourceClass] = (usages[a.resourceClass] ?? 0) + a.used
  return usages
}

/**
 * Totals grouped by consumer type, each with a consumer_count. `consumerType` picks one
 * type, or `all` for a single group over every type; consumers without allocations do
 * not count, and consumers without a type are `unknown`.
 */
export function usagesByConsumerType(
  s: PlacementState,
  q: UsageQuery & { consumerType?: string },
): Record<string, Record<string, number>> {
  const want = q.consumerType
  const groups: Record<string, Record<string, number>> = {}
  for (const c of consumersOf(s, q)) {
    if (c.allocations.length === 0) continue
    const type = c.consumerType ?? 'unknown'
    if (want !== undefined && want !== 'all' && want !== type) continue
    const key = want === 'all' ? 'all' : type
    groups[key] ??= { consumer_count: 0 }
    const g = groups[key]!
    g.consumer_count!++
    for (const a of c.allocations) g[a.resourceClass] = (g[a.resourceClass] ?? 0) + a.used
  }
  return groups
}
