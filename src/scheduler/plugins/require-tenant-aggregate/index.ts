/**
 * require_tenant_aggregate (request filter, `[scheduler]
 * limit_tenants_to_placement_aggregate`): a project named in aggregates' filter_tenant_id
 * metadata asks placement only for hosts in those aggregates; with
 * `placement_aggregate_required_for_tenants` a project no aggregate names gets none.
 */
import { type PreFilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { withUnsuffixed } from '../../request-spec.js'
import { snapshotAggregates } from '../../snapshot-index.js'

export const name = 'require_tenant_aggregate'

export const create = (o: PluginOptions): PreFilterPlugin => ({
  name,
  preFilter(ctx, _state, request) {
    const s = o.config.scheduler
    if (!s.limit_tenants_to_placement_aggregate) return { status: Status.skip() }
    const uuids = snapshotAggregates(ctx.snapshot)
      .filter((a) =>
        Object.entries(a.metadata).some(
          ([k, v]) =>
            k.startsWith('filter_tenant_id') && v.split(',').some((t) => t.trim() === request.projectId),
        ),
      )
      .map((a) => a.uuid)
    if (uuids.length === 0) {
      return s.placement_aggregate_required_for_tenants
        ? { status: Status.unresolvable(`no aggregate is assigned to project ${request.projectId}`) }
        : { status: Status.skip() }
    }
    const placement = withUnsuffixed(request.placement, (g) => ({ ...g, memberOf: [...g.memberOf, uuids] }))
    return { status: Status.success(), request: { ...request, placement } }
  },
})
