/** SameHostFilter: hint `same_host` (server uuids): only hosts running one of them. */
import { type FilterPlugin, type PreFilterPlugin, Status } from '../../framework.js'
import { hintList } from '../../request-spec.js'

export const name = 'SameHostFilter'

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter: (_ctx, _state, request) => ({
    status: hintList(request, 'same_host').length ? Status.success() : Status.skip(),
  }),
  filter(_ctx, _state, request, host) {
    const wanted = hintList(request, 'same_host')
    if (host.instances.some((uuid) => wanted.includes(uuid))) return Status.success()
    return Status.unresolvable('runs none of the same_host servers')
  },
})
