/**
 * AggregateNumInstancesFilter: NumInstancesFilter with the limit taken from the host's
 * aggregates' `max_instances_per_host` metadata (smallest wins), else the option.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import { aggregateNumber } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'AggregateNumInstancesFilter'

export const create = (o: PluginOptions): FilterPlugin => ({
  name,
  filter(_ctx, _state, _request, host) {
    const max = aggregateNumber(
      host,
      'max_instances_per_host',
      o.config.filter_scheduler.max_instances_per_host,
    )
    const n = host.instances.length
    if (n < max) return Status.success()
    return Status.unschedulable('too many servers', `${n} servers; the aggregate limit is ${max}`)
  },
})
