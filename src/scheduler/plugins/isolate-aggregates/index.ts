/**
 * isolate_aggregates (request filter, `[scheduler] enable_isolated_aggregate_filtering`):
 * an aggregate whose metadata says `trait:<TRAIT>=required` is forbidden to requests
 * that do not require every such trait, so special hosts stay for special flavors.
 */
import { type PreFilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { snapshotAggregates } from '../../snapshot-index.js'

export const name = 'isolate_aggregates'

export const create = (o: PluginOptions): PreFilterPlugin => ({
  name,
  preFilter(ctx, _state, request) {
    if (!o.config.scheduler.enable_isolated_aggregate_filtering) return { status: Status.skip() }
    const q = request.placement
    const required = new Set([...q.rootRequired, ...q.groups.flatMap((g) => g.required)])
    const forbidden = snapshotAggregates(ctx.snapshot)
      .filter((a) =>
        Object.entries(a.metadata).some(
          ([k, v]) => k.startsWith('trait:') && v === 'required' && !required.has(k.slice('trait:'.length)),
        ),
      )
      .map((a) => a.uuid)
    if (forbidden.length === 0) return { status: Status.success() }
    const all = [...new Set([...q.forbiddenAggregates, ...forbidden])]
    return {
      status: Status.success(),
      request: { ...request, placement: { ...q, forbiddenAggregates: all } },
    }
  },
})
