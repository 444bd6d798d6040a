/**
 * IoOpsFilter: refuses hosts with `max_io_ops_per_host` or more servers in a build,
 * resize, snapshot, migration, rescue or unshelve.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'IoOpsFilter'

export const create = (o: PluginOptions): FilterPlugin => {
  const max = o.config.filter_scheduler.max_io_ops_per_host
  return {
    name,
    filter(_ctx, _state, _request, host) {
      if (host.numIoOps < max) return Status.success()
      return Status.unschedulable(
        'too many I/O-heavy tasks',
        `${host.numIoOps} running; max_io_ops_per_host is ${max}`,
      )
    },
  }
}
