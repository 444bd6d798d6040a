/**
 * ServerGroupAntiAffinityFilter: an anti-affinity group puts at most
 * `max_server_per_host` (default 1) of its servers on one host.
 */
import { type FilterPlugin, type PreFilterPlugin, Status, stateKey } from '../../framework.js'

export const name = 'ServerGroupAntiAffinityFilter'

const MEMBERS = stateKey<ReadonlySet<string>>('anti-affinity members')

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter(_ctx, state, request) {
    if (request.group?.policy !== 'anti-affinity') return { status: Status.skip() }
    state.write(MEMBERS, new Set(request.group.members))
    return { status: Status.success() }
  },
  filter(_ctx, state, request, host) {
    const members = state.read(MEMBERS)!
    const max = request.group!.rules.maxServerPerHost ?? 1
    let here = 0
    for (const uuid of host.instances) if (members.has(uuid)) here++
    if (here < max) return Status.success()
    return Status.unschedulable(
      'anti-affinity group already on host',
      `${here} member(s) of group ${request.group!.uuid} here; max_server_per_host is ${max}`,
    )
  },
})
