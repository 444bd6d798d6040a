/**
 * require_image_type_support (request filter, `[scheduler]
 * query_placement_for_image_type_support`): asks placement only for hosts with the
 * COMPUTE_IMAGE_TYPE_<FORMAT> trait of the image's disk format.
 */
import { type PreFilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'
import { withUnsuffixed } from '../../request-spec.js'

export const name = 'require_image_type_support'

export const create = (o: PluginOptions): PreFilterPlugin => ({
  name,
  preFilter(_ctx, _state, request) {
    const format = request.image.diskFormat
    if (!o.config.scheduler.query_placement_for_image_type_support || !format)
      return { status: Status.skip() }
    const trait = `COMPUTE_IMAGE_TYPE_${format.toUpperCase()}`
    const placement = withUnsuffixed(request.placement, (g) =>
      g.required.includes(trait) ? g : { ...g, required: [...g.required, trait] },
    )
    return { status: Status.success(), request: { ...request, placement } }
  },
})
