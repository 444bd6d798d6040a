/**
 * AggregateInstanceExtraSpecsFilter: flavor extra specs scoped
 * `aggregate_instance_extra_specs:` (or unscoped) must match the metadata of one of the
 * host's aggregates, with the extra-specs comparison operators.
 */

import { matches } from '../../extra-specs-ops.js'
import { type FilterPlugin, Status } from '../../framework.js'
import { aggregateValues } from '../../host-state.js'

export const name = 'AggregateInstanceExtraSpecsFilter'
const SCOPE = 'aggregate_instance_extra_specs'

export const create = (): FilterPlugin => ({
  name,
  filter(_ctx, _state, request, host) {
    for (const [key, requirement] of Object.entries(request.flavor.extraSpecs)) {
      const parts = key.split(':')
      if (parts.length > 1 && parts[0] !== SCOPE) continue
      const metaKey = parts.length > 1 ? parts.slice(1).join(':') : key
      const values = aggregateValues(host, metaKey)
      if (values.length === 0)
        return Status.unschedulable('aggregate metadata missing', `no aggregate of the host sets ${metaKey}`)
      if (!values.some((v) => matches(v, requirement))) {
        return Status.unschedulable(
          'aggregate metadata does not match',
          `${metaKey}: aggregates have ${values.join(', ')}, flavor asks ${requirement}`,
        )
      }
    }
    return Status.success()
  },
})
