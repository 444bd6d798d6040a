/** NumInstancesFilter: refuses hosts with `max_instances_per_host` servers or more. */
import { type FilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'NumInstancesFilter'

export const create = (o: PluginOptions): FilterPlugin => {
  const max = o.config.filter_scheduler.max_instances_per_host
  return {
    name,
    filter(_ctx, _state, _request, host) {
      const n = host.instances.length
      if (n < max) return Status.success()
      return Status.unschedulable('too many servers', `${n} servers; max_instances_per_host is ${max}`)
    },
  }
}
