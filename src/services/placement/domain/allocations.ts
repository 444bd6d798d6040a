/**
 * Reading allocations from the state. (Writing them is Placement.setAllocations.)
 * No HTTP here.
 */
import type { PlacementState, Provider } from './model.js'

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
