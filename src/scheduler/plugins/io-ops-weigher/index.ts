/** IoOpsWeigher: weighs the I/O-heavy tasks on a host; its negative default multiplier prefers idle hosts. */
import type { ScorePlugin } from '../../framework.js'

import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'IoOpsWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'io_ops_weight_multiplier',
    multiplier: o.config.filter_scheduler.io_ops_weight_multiplier,
    score: (_ctx, _state, _request, host) => host.numIoOps,
  })
