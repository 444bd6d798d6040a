/**
 * Neutron's base rules and the check strings its resource rules build on (the secure-RBAC
 * defaults): admin is the `admin` role, project rules compare the token's project with
 * the target's, network-owner rules with the target's network's project. Every rule
 * accepts project-scoped tokens.
 *
 * NOTE: Neutron's `field:networks:shared=True` checks read the target's network; here the
 * domain puts that network's attributes into the target as `network:shared`,
 * `network:router:external` and `network:project_id`, and the rules compare them.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

export const ADMIN = 'rule:admin_only'
export const ADVSVC = 'rule:context_is_advsvc'
export const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
export const PROJECT_READER = 'role:reader and project_id:%(project_id)s'
export const NET_OWNER_MEMBER = 'role:member and project_id:%(network:project_id)s'
export const NET_OWNER_READER = 'role:reader and project_id:%(network:project_id)s'
export const ADMIN_OR_PROJECT_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER})`
export const ADMIN_OR_PROJECT_READER = `(${ADMIN}) or (${PROJECT_READER})`
export const ADMIN_OR_NET_OWNER_MEMBER = `(${ADMIN}) or (${NET_OWNER_MEMBER})`
export const ADMIN_OR_NET_OWNER_READER = `(${ADMIN}) or (${NET_OWNER_READER})`
export const ADMIN_OR_PROJECT_OR_NET_OWNER_MEMBER = `(${ADMIN}) or (${PROJECT_MEMBER}) or (${NET_OWNER_MEMBER})`
export const ADMIN_OR_PROJECT_OR_NET_OWNER_READER = `(${ADMIN}) or (${PROJECT_READER}) or (${NET_OWNER_READER})`
export const ANY = '@'

export const BASE_RULES: readonly RuleDefault[] = [
  { name: 'context_is_admin', checkStr: 'role:admin', description: 'Rule for cloud admin access' },
  { name: 'owner', checkStr: 'project_id:%(project_id)s', description: 'Rule for resource owner access' },
  {
    name: 'admin_or_owner',
    checkStr: 'rule:context_is_admin or rule:owner',
    description: 'Rule for admin or owner access',
  },
  { name: 'context_is_advsvc', checkStr: 'role:advsvc', description: 'Rule for advsvc role access' },
  {
    name: 'admin_or_network_owner',
    checkStr: 'rule:context_is_admin or project_id:%(network:project_id)s',
    description: 'Rule for admin or network owner access',
  },
  {
    name: 'admin_owner_or_network_owner',
    checkStr: 'rule:owner or rule:admin_or_network_owner',
    description: 'Rule for resource owner, admin or network owner access',
  },
  {
    name: 'network_owner',
    checkStr: 'project_id:%(network:project_id)s',
    description: 'Rule for network owner access',
  },
  { name: 'admin_only', checkStr: 'rule:context_is_admin', description: 'Rule for admin-only access' },
  { name: 'regular_user', checkStr: '', description: 'Rule for regular user access' },
  { name: 'shared', checkStr: 'True:%(network:shared)s', description: 'Rule of shared network' },
  { name: 'external', checkStr: 'True:%(network:router:external)s', description: 'Rule of external network' },
  {
    name: 'network_device',
    checkStr: 'True:%(port:network_device)s',
    description: "Rule of a port whose device_owner starts with 'network:'",
  },
  {
    name: 'shared_subnetpools',
    checkStr: 'True:%(subnetpool:shared)s',
    description: 'Rule of shared subnetpools',
  },
  {
    name: 'shared_address_scopes',
    checkStr: 'True:%(address_scope:shared)s',
    description: 'Rule of shared address scopes',
  },
  {
    name: 'shared_qos_policy',
    checkStr: 'True:%(qos_policy:shared)s',
    description: 'Rule of shared QoS policies',
  },
  { name: 'default', checkStr: 'rule:admin_or_owner', description: 'Default access rule' },
]

/** A documented Neutron rule: project scope, as the current defaults. */
export function rule(name: string, checkStr: string, description = name): RuleDefault {
  return { name, checkStr, description, scopeTypes: ['project'] }
}
