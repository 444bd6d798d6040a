/** Every rule the network service declares, in registration order. */
import type { RuleDefault } from '../../../kernel/policy/index.js'
import { BASE_RULES } from './base.js'
import { NETWORK_RULES, OTHER_RULES, ROUTER_RULES, SECURITY_GROUP_RULES } from './resources.js'

export const NETWORK_POLICY_RULES: readonly RuleDefault[] = [
  ...BASE_RULES,
  ...NETWORK_RULES,
  ...SECURITY_GROUP_RULES,
  ...ROUTER_RULES,
  ...OTHER_RULES,
]
