/**
 * ComputeFilter: only hosts whose compute service is enabled, not forced down and
 * heartbeating can take a server.
 */
import { type FilterPlugin, Status } from '../../framework.js'

export const name = 'ComputeFilter'

export const create = (): FilterPlugin => ({
  name,
  filter(_ctx, _state, _request, host) {
    const s = host.service
    if (s.disabled) {
      return Status.unresolvable(
        'compute service disabled',
        s.disabledReason ? `disabled: ${s.disabledReason}` : 'disabled without a reason',
      )
    }
    // NOTE: forced_down is an operator's word that the host is dead (fencing done);
    // it outranks a heartbeat that may still arrive from a half-dead agent.
    if (s.forcedDown) return Status.unresolvable('compute service forced down')
    if (!s.up) return Status.unschedulable('compute service down', 'no heartbeat within service_down_time')
    return Status.success()
  },
})
