/** DiskWeigher: hosts with more free disk weigh more. */
import type { ScorePlugin } from '../../framework.js'
import { freeDiskMb } from '../../host-state.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'DiskWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'disk_weight_multiplier',
    multiplier: o.config.filter_scheduler.disk_weight_multiplier,
    score: (_ctx, _state, _request, host) => freeDiskMb(host),
  })
