/**
 * AggregateMultiTenancyIsolation: a host in an aggregate with `filter_tenant_id`
 * (or `filter_tenant_id_<n>`) metadata takes only those projects' servers.
 */
import { type FilterPlugin, Status } from '../../framework.js'
import type { HostState } from '../../host-state.js'

export const name = 'AggregateMultiTenancyIsolation'

/** The projects the host is kept for; empty when it is open to all. */
export function tenantsOf(host: HostState): Set<string> {
  const out = new Set<string>()
  for (const a of host.aggregates) {
    for (const [k, v] of Object.entries(a.metadata)) {
      if (!k.startsWith('filter_tenant_id')) continue
      for (const t of v.split(',')) if (t.trim()) out.add(t.trim())
    }
  }
  return out
}

export const create = (): FilterPlugin => ({
  name,
  filter(_ctx, _state, request, host) {
    const tenants = tenantsOf(host)
    if (tenants.size === 0 || tenants.has(request.projectId)) return Status.success()
    return Status.unresolvable(
      'host kept for other projects',
      `project ${request.projectId} not in filter_tenant_id`,
    )
  },
})
