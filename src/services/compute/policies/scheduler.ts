/**
 * Cloudlet's own scheduler rule (no upstream counterpart): who may run the scheduling
 * decision for a hypothetical request. Admin by default, as the per-host reasons it
 * shows are what upstream shows admins only.
 */
import { ADMIN, rule } from './base.js'

export const SCHEDULER = {
  EXPLAIN: 'cloudlet:compute:scheduler:explain',
} as const

export const SCHEDULER_RULES = [
  rule(
    SCHEDULER.EXPLAIN,
    ADMIN,
    "Run the scheduler's decision for a hypothetical request without booting (Cloudlet-specific)",
    [{ method: 'POST', path: '/cloudlet-scheduler/explain' }],
  ),
]
