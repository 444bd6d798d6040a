/**
 * BuildFailureWeigher: hosts with recent build failures weigh less, by
 * `build_failure_weight_multiplier` (large by default, so a failing host is tried last).
 */
import type { ScorePlugin } from '../../framework.js'
import { aggregateNumber } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'BuildFailureWeigher'

export const create = (o: PluginOptions): ScorePlugin => {
  const configured = o.config.filter_scheduler.build_failure_weight_multiplier
  return {
    name,
    score: (_ctx, _state, _request, host) => host.failedBuilds,
    // NOTE: the option is a penalty, so it is applied negated: more failures, less weight.
    multiplier: (host) => -aggregateNumber(host, 'build_failure_weight_multiplier', configured),
  }
}
