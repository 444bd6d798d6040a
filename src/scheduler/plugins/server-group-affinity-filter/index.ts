/**
 * ServerGroupAffinityFilter: servers of an affinity group go where the group already
 * runs (any host for the first one).
 */
import { type FilterPlugin, type PreFilterPlugin, Status } from '../../framework.js'

export const name = 'ServerGroupAffinityFilter'

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter: (_ctx, _state, request) => ({
    status:
      request.group?.policy === 'affinity' && request.group.hosts.length ? Status.success() : Status.skip(),
  }),
  filter(_ctx, _state, request, host) {
    const hosts = request.group!.hosts
    if (hosts.includes(host.host)) return Status.success()
    return Status.unresolvable(
      'affinity group runs elsewhere',
      `group ${request.group!.uuid} is on ${hosts.join(', ')}`,
    )
  },
})
