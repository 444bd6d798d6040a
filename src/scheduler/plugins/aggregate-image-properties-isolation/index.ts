/**
 * AggregateImagePropertiesIsolation: for every metadata key of the host's aggregates
 * (within the configured namespace) that the image also sets, the image's value must be
 * one of the aggregate's comma-separated values.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'AggregateImagePropertiesIsolation'

export const create = (o: PluginOptions): FilterPlugin => {
  const ns = o.config.filter_scheduler.aggregate_image_properties_isolation_namespace
  const prefix = ns
    ? ns + o.config.filter_scheduler.aggregate_image_properties_isolation_separator
    : undefined
  return {
    name,
    filter(_ctx, _state, request, host) {
      const props = request.image.properties
      const allowed = new Map<string, Set<string>>()
      for (const a of host.aggregates) {
        for (const [k, v] of Object.entries(a.metadata)) {
          if (prefix && !k.startsWith(prefix)) continue
          const set = allowed.get(k) ?? new Set<string>()
          for (const x of v.split(',')) set.add(x.trim())
          allowed.set(k, set)
        }
      }
      for (const [k, values] of allowed) {
        const want = props[k]
        // NOTE: a key the image does not set does not isolate anything; only a
        // disagreeing value does.
        if (want === undefined || values.has(want)) continue
        return Status.unresolvable(
          'image property isolated to other aggregates',
          `${k}=${want}, aggregate allows ${[...values].join(', ')}`,
        )
      }
      return Status.success()
    },
  }
}
