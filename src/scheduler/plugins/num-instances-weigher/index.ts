/** NumInstancesWeigher: weighs the servers on a host (multiplier 0 by default: off). */
import type { ScorePlugin } from '../../framework.js'

import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'NumInstancesWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'num_instances_weight_multiplier',
    multiplier: o.config.filter_scheduler.num_instances_weight_multiplier,
    score: (_ctx, _state, _request, host) => host.instances.length,
  })
