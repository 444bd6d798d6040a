/**
 * UtilizationWeigher (Cloudlet): ranks hosts by their average `[utilization] metric`
 * over the last `window` seconds, the least busy first. Hosts without enough history
 * count as `unknown_average`.
 */
import type { ScorePlugin } from '../../framework.js'
import { windowAverage } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'UtilizationWeigher'

export const create = (o: PluginOptions): ScorePlugin => {
  const u = o.config.utilization
  return weigher({
    name,
    aggregateKey: 'utilization_weight_multiplier',
    multiplier: u.weight_multiplier,
    // NOTE: negative so that with a positive multiplier the busiest host scores lowest.
    score: (ctx, _state, _request, host) =>
      -(windowAverage(host, u.metric, ctx.now, u.window, u.min_samples) ?? u.unknown_average),
  })
}
