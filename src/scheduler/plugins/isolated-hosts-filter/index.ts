/**
 * IsolatedHostsFilter: `isolated_images` run only on `isolated_hosts`; with
 * `restrict_isolated_hosts_to_isolated_images` the isolated hosts also run nothing else.
 */
import { type FilterPlugin, type PreFilterPlugin, Status } from '../../framework.js'
import type { PluginOptions } from '../../registry.js'

export const name = 'IsolatedHostsFilter'

export const create = (o: PluginOptions): FilterPlugin & PreFilterPlugin => {
  const fs = o.config.filter_scheduler
  const images = new Set(fs.isolated_images)
  const hosts = new Set(fs.isolated_hosts)
  const restrict = fs.restrict_isolated_hosts_to_isolated_images
  return {
    name,
    preFilter: () => ({ status: images.size || hosts.size ? Status.success() : Status.skip() }),
    filter(_ctx, _state, request, host) {
      const imageIsolated = request.image.id !== undefined && images.has(request.image.id)
      const hostIsolated = hosts.has(host.host)
      if (imageIsolated && !hostIsolated) return Status.unresolvable('isolated image needs an isolated host')
      if (!imageIsolated && hostIsolated && restrict)
        return Status.unresolvable('isolated host takes only isolated images')
      return Status.success()
    },
  }
}
