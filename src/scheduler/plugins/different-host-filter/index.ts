/** DifferentHostFilter: hint `different_host` (server uuids): only hosts running none of them. */
import { type FilterPlugin, type PreFilterPlugin, Status } from '../../framework.js'
import { hintList } from '../../request-spec.js'

export const name = 'DifferentHostFilter'

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter: (_ctx, _state, request) => ({
    status: hintList(request, 'different_host').length ? Status.success() : Status.skip(),
  }),
  filter(_ctx, _state, request, host) {
    const avoid = new Set(hintList(request, 'different_host'))
    const here = host.instances.filter((uuid) => avoid.has(uuid))
    if (here.length === 0) return Status.success()
    return Status.unresolvable('runs a different_host server', `runs ${here.join(', ')}`)
  },
})
