/**
 * ComputeCapabilitiesFilter: flavor extra specs scoped `capabilities:` (or not scoped at
 * all) must match what the host reports, e.g. `capabilities:cpu_info:arch = x86_64` or
 * `capabilities:hypervisor_version = >= 6000000`.
 */

import { matches } from '../../extra-specs-ops.js'
import { type FilterPlugin, Status } from '../../framework.js'
import { asText, hostAttributes, lookup } from '../../host-state.js'

export const name = 'ComputeCapabilitiesFilter'

/** The extra specs this filter checks, with the attribute path each one names. */
function wanted(extraSpecs: Readonly<Record<string, string>>): [string, string[], string][] {
  const out: [string, string[], string][] = []
  for (const [key, value] of Object.entries(extraSpecs)) {
    const parts = key.split(':')
    // NOTE: other scopes (hw:, trait:, resources:, aggregate_instance_extra_specs:) belong
    // to other plugins; only `capabilities:` and unscoped keys describe the host itself.
    if (parts.length > 1 && parts[0] !== 'capabilities') continue
    out.push([key, parts.length > 1 ? parts.slice(1) : parts, value])
  }
  return out
}

export const create = (): FilterPlugin => ({
  name,
  filter(_ctx, _state, request, host) {
    const specs = wanted(request.flavor.extraSpecs)
    if (specs.length === 0) return Status.success()
    const attrs = hostAttributes(host)
    for (const [key, path, requirement] of specs) {
      const cap = lookup(attrs, path)
      if (cap === undefined || cap === null)
        return Status.unschedulable('capability not reported', `${key}: host has no ${path.join(':')}`)
      if (!matches(asText(cap), requirement))
        return Status.unschedulable(
          'capability does not match',
          `${key}: host has ${asText(cap)}, flavor asks ${requirement}`,
        )
    }
    return Status.success()
  },
})
