/** HypervisorVersionWeigher: newer hypervisors weigh more (negative multiplier: older). */
import type { ScorePlugin } from '../../framework.js'

import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'HypervisorVersionWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'hypervisor_version_weight_multiplier',
    multiplier: o.config.filter_scheduler.hypervisor_version_weight_multiplier,
    score: (_ctx, _state, _request, host) => host.hypervisorVersion,
  })
