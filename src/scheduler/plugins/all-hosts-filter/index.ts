/** AllHostsFilter: passes every host (a profile with no real filtering). */
import { type FilterPlugin, Status } from '../../framework.js'

export const name = 'AllHostsFilter'

export const create = (): FilterPlugin => ({ name, filter: () => Status.success() })
