/**
 * AggregateIoOpsFilter: IoOpsFilter with the limit taken from the host's aggregates'
 * `max_io_ops_per_host` metadata (smallest wins), else the option.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import { aggregateNumber } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'AggregateIoOpsFilter'

export const create = (o: PluginOptions): FilterPlugin => ({
  name,
  filter(_ctx, _state, _request, host) {
    const max = aggregateNumber(host, 'max_io_ops_per_host', o.config.filter_scheduler.max_io_ops_per_host)
    if (host.numIoOps < max) return Status.success()
    return Status.unschedulable(
      'too many I/O-heavy tasks',
      `${host.numIoOps} running; the aggregate limit is ${max}`,
    )
  },
})
