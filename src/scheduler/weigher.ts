/**
 * The shape most weighers share: a raw score from the host, and a multiplier that is an
 * option unless one of the host's aggregates overrides it with a metadata key of the
 * same name (the smallest value wins, as upstream).
 */
import type { CycleState, SchedulerContext, ScorePlugin } from './framework.js'
import { aggregateNumber, type HostState } from './host-state.js'
import type { RequestSpec } from './request-spec.js'

export interface WeigherSpec {
  readonly name: string
  /** The aggregate metadata key that overrides the multiplier per host. */
  readonly aggregateKey?: string
  readonly multiplier: number
  readonly minval?: number
  readonly maxval?: number
  score(ctx: SchedulerContext, state: CycleState, request: RequestSpec, host: HostState): number
}

/** Builds a ScorePlugin from a raw score and a configured multiplier. */
export function weigher(spec: WeigherSpec): ScorePlugin {
  const key = spec.aggregateKey
  return {
    name: spec.name,
    score: spec.score,
    multiplier: (host) => (key ? aggregateNumber(host, key, spec.multiplier) : spec.multiplier),
    ...(spec.minval !== undefined ? { minval: spec.minval } : {}),
    ...(spec.maxval !== undefined ? { maxval: spec.maxval } : {}),
  }
}
