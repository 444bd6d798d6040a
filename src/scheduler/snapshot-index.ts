/**
 * Lookups over a snapshot that several plugins need once per snapshot, computed on first
 * use and cached for the snapshot's lifetime (the snapshot is immutable).
 */
import type { Aggregate, Snapshot } from './host-state.js'

const aggregates = new WeakMap<Snapshot, Aggregate[]>()

/** Every aggregate some host of the snapshot belongs to, once each. */
export function snapshotAggregates(s: Snapshot): Aggregate[] {
  let out = aggregates.get(s)
  if (!out) {
    const byUuid = new Map<string, Aggregate>()
    for (const h of s.hosts) for (const a of h.aggregates) byUuid.set(a.uuid, a)
    out = [...byUuid.values()]
    aggregates.set(s, out)
  }
  return out
}
