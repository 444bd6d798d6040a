/**
 * PlacementClaim (Cloudlet's Reserve plugin): claims the chosen host's allocation
 * request through the caller's `Claimer` (placement's PUT /allocations) and releases it
 * when a later step of the plan fails.
 */
import { type ReservePlugin, Status } from '../../framework.js'

export const name = 'PlacementClaim'

export const create = (): ReservePlugin => ({
  name,
  async reserve(_ctx, _state, request, consumer, selection, claimer) {
    const ok = await claimer.claim(consumer, selection, request)
    return ok
      ? Status.success()
      : Status.unschedulable('placement claim conflict', `${selection.host} changed since the snapshot`)
  },
  async unreserve(_ctx, _state, _request, consumer, selection, claimer) {
    await claimer.release(consumer, selection)
  },
})
