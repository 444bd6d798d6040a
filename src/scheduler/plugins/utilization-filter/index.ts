/**
 * UtilizationFilter (Cloudlet): refuses hosts whose average `[utilization] metric` over
 * the last `window` seconds is above `max_average`, so a host that is free on paper but
 * busy in fact takes no more servers. Hosts without enough history pass.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import { windowAverage } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'UtilizationFilter'

export const create = (o: PluginOptions): FilterPlugin => {
  const u = o.config.utilization
  return {
    name,
    filter(ctx, _state, _request, host) {
      const avg = windowAverage(host, u.metric, ctx.now, u.window, u.min_samples)
      if (avg === undefined || avg <= u.max_average) return Status.success()
      return Status.unschedulable(
        'average utilisation too high',
        `${u.metric} averaged ${avg.toFixed(1)} over ${u.window} s; max_average is ${u.max_average}`,
      )
    },
  }
}
