/**
 * AvailabilityZoneFilter: a request for a zone passes only hosts in that zone (their
 * aggregates' `availability_zone`, else the default zone).
 */
import { type FilterPlugin, type PreFilterPlugin, Status } from '../../framework.js'
import { hostZones } from '../../host-state.js'

export const name = 'AvailabilityZoneFilter'

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter: (_ctx, _state, request) => ({
    status: request.availabilityZone ? Status.success() : Status.skip(),
  }),
  filter(ctx, _state, request, host) {
    const zones = hostZones(host, ctx.snapshot.defaultAvailabilityZone)
    if (zones.includes(request.availabilityZone!)) return Status.success()
    return Status.unresolvable(
      'not in the requested availability zone',
      `in ${zones.join(', ')}, not ${request.availabilityZone}`,
    )
  },
})
