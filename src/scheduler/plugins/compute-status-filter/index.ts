/**
 * compute_status_filter (request filter): asks placement to leave out compute nodes
 * whose root provider has the COMPUTE_STATUS_DISABLED trait (a disabled service).
 */
import { type PreFilterPlugin, Status } from '../../framework.js'

export const name = 'compute_status_filter'
export const DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'

export const create = (): PreFilterPlugin => ({
  name,
  preFilter(_ctx, _state, request) {
    const q = request.placement
    if (q.rootForbidden.includes(DISABLED_TRAIT)) return { status: Status.success() }
    return {
      status: Status.success(),
      request: { ...request, placement: { ...q, rootForbidden: [...q.rootForbidden, DISABLED_TRAIT] } },
    }
  },
})
