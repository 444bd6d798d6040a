/** RAMWeigher: hosts with more free RAM (without overcommit) weigh more. */
import type { ScorePlugin } from '../../framework.js'
import { freeRamMb } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'RAMWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'ram_weight_multiplier',
    multiplier: o.config.filter_scheduler.ram_weight_multiplier,
    score: (_ctx, _state, _request, host) => freeRamMb(host),
  })
