/** ServerGroupSoftAffinityWeigher: for a soft-affinity group, hosts running more members weigh more. */
import type { ScorePlugin } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { weigher } from '../../weigher.js'

export const name = 'ServerGroupSoftAffinityWeigher'

export const create = (o: PluginOptions): ScorePlugin =>
  weigher({
    name,
    aggregateKey: 'soft_affinity_weight_multiplier',
    multiplier: o.config.filter_scheduler.soft_affinity_weight_multiplier,
    score: (_ctx, _state, request, host) => {
      const g = request.group
      if (g?.policy !== 'soft-affinity') return 0
      return host.instances.filter((uuid) => g.members.includes(uuid)).length
    },
  })
