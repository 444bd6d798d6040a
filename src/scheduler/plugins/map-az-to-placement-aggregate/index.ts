/**
 * map_az_to_placement_aggregate (request filter, `[scheduler]
 * query_placement_for_availability_zone`): a request for a zone asks placement only for
 * hosts in the aggregates that carry that zone.
 */
import { type PreFilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { withUnsuffixed } from '../../request-spec.js'
import { snapshotAggregates } from '../../snapshot-index.js'

export const name = 'map_az_to_placement_aggregate'

export const create = (o: PluginOptions): PreFilterPlugin => ({
  name,
  preFilter(ctx, _state, request) {
    const az = request.availabilityZone
    if (!o.config.scheduler.query_placement_for_availability_zone || !az) return { status: Status.skip() }
    const uuids = snapshotAggregates(ctx.snapshot)
      .filter((a) => a.metadata.availability_zone === az)
      .map((a) => a.uuid)
    // NOTE: the default zone has no aggregate; narrowing to none would refuse every
    // host, so the request is left as it is and AvailabilityZoneFilter decides.
    if (uuids.length === 0) return { status: Status.skip() }
    const placement = withUnsuffixed(request.placement, (g) => ({ ...g, memberOf: [...g.memberOf, uuids] }))
    return { status: Status.success(), request: { ...request, placement } }
  },
})
