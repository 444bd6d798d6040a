/**
 * Every compute policy rule, by upstream name, with its default check string and
 * project scope: what `ctx.enforcer(...)` is built from.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'
import { AGGREGATE_RULES } from './aggregates.js'
import { BASE_RULES } from './base.js'
import { FLAVOR_RULES } from './flavors.js'
import { HOST_RULES } from './hosts.js'
import { KEYPAIR_RULES } from './keypairs.js'
import { QUOTA_RULES } from './quotas.js'
import { SCHEDULER_RULES } from './scheduler.js'
import { SERVER_GROUP_RULES } from './server-groups.js'
import { SERVER_NETWORKING_RULES } from './server-networking.js'
import { OPERATION_RULES } from './server-operations.js'
import { SERVER_RULES } from './servers.js'
import { VOLUME_RULES } from './volumes.js'

export { AGGREGATE } from './aggregates.js'
export { FLAVOR } from './flavors.js'
export { HOST } from './hosts.js'
export { KEYPAIR } from './keypairs.js'
export { QUOTA } from './quotas.js'
export { SCHEDULER } from './scheduler.js'
export { SERVER_GROUP } from './server-groups.js'
export { NET } from './server-networking.js'
export { OPERATION } from './server-operations.js'
export { SERVER } from './servers.js'
export { VOLUME } from './volumes.js'

export const COMPUTE_RULES: readonly RuleDefault[] = [
  ...BASE_RULES,
  ...FLAVOR_RULES,
  ...KEYPAIR_RULES,
  ...SERVER_GROUP_RULES,
  ...AGGREGATE_RULES,
  ...QUOTA_RULES,
  ...SERVER_RULES,
  ...SCHEDULER_RULES,
  ...OPERATION_RULES,
  ...VOLUME_RULES,
  ...SERVER_NETWORKING_RULES,
  ...HOST_RULES,
]
