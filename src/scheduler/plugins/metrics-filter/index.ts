/** MetricsFilter: passes hosts that report every metric `[metrics] weight_setting` names. */
import { type FilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { parseWeightSetting } from '../metrics-weigher/index.js'

export const name = 'MetricsFilter'

export const create = (o: PluginOptions): FilterPlugin => {
  const names = parseWeightSetting(o.config.metrics.weight_setting).map(([n]) => n)
  return {
    name,
    filter(_ctx, _state, _request, host) {
      const missing = names.filter((n) => !host.metrics.some((m) => m.name === n))
      if (missing.length === 0) return Status.success()
      return Status.unschedulable('metrics not reported', `missing ${missing.join(', ')}`)
    },
  }
}
