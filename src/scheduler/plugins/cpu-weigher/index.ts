/** CPUWeigher: hosts with more vCPUs left to give (with the allocation ratio) weigh more. */
import type { ScorePlugin } from '../../framework.js'
import { freeVcpus } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'CPUWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'cpu_weight_multiplier',
    multiplier: o.config.filter_scheduler.cpu_weight_multiplier,
    score: (_ctx, _state, _request, host) => freeVcpus(host),
  })
