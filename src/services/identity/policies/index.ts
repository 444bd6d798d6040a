/**
 * Policy defaults of the resource APIs, with Keystone's rule names. The check strings
 * follow Keystone's secure-RBAC defaults (system/domain/project readers), with
 * `rule:admin_required` in every admin path and all three scope types, as Keystone
 * 2023.x does so that an admin on a project keeps administering the cloud (tempest's
 * admin is project-scoped). The base rules (admin_required...) come from policies/auth.ts.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

const ALL = ['system', 'domain', 'project'] as const
export const ADMIN = 'rule:admin_required'
const SYSTEM_READER = '(role:reader and system_scope:all)'
const ADMIN_OR_READER = `${ADMIN} or ${SYSTEM_READER}`
const domainReader = (path: string) => `(role:reader and domain_id:%(${path})s)`

function rules(defs: Record<string, string>): RuleDefault[] {
  return Object.entries(defs).map(([name, checkStr]) => ({
    name: `identity:${name}`,
    checkStr,
    scopeTypes: ALL,
    deprecatedRule: { checkStr: ADMIN },
  }))
}

/** Rules that are reads by anyone the admin/reader personas allow. */
function crud(resource: string, plural: string, read = ADMIN_OR_READER): Record<string, string> {
  return {
    [`get_${resource}`]: read,
    [`list_${plural}`]: read,
    [`create_${resource}`]: ADMIN,
    [`update_${resource}`]: ADMIN,
    [`delete_${resource}`]: ADMIN,
  }
}

const projectRead = `${ADMIN_OR_READER} or ${domainReader('target.project.domain_id')} or project_id:%(target.project.id)s`
const userRead = `${ADMIN_OR_READER} or ${domainReader('target.user.domain_id')} or user_id:%(target.user.id)s`
const groupRead = `${ADMIN_OR_READER} or ${domainReader('target.group.domain_id')}`
const listInDomain = `${ADMIN_OR_READER} or ${domainReader('target.domain_id')}`
/** Keystone's domain manager: `role:manager` on the domain the target lives in. */
const userManager = `${ADMIN} or (role:manager and token.domain.id:%(target.user.domain_id)s)`
const projectManager = `${ADMIN} or (role:manager and domain_id:%(target.project.domain_id)s and not None:%(target.project.domain_id)s)`
const groupManager = `${ADMIN} or (role:manager and domain_id:%(target.group.domain_id)s)`
const groupUserManager = `${ADMIN} or (role:manager and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`

/**
 * grant.py: a domain role holder acts on grants whose actor (user or group) and target
 * (project or domain) are both in its domain.
 */
export function grantsInDomain(role: string): string {
  const actors = ['domain_id:%(target.user.domain_id)s', 'domain_id:%(target.group.domain_id)s']
  const targets = ['domain_id:%(target.project.domain_id)s', 'domain_id:%(target.domain.id)s']
  return actors.flatMap((a) => targets.map((t) => `(role:${role} and ${a} and ${t})`)).join(' or ')
}
export const ROLE_IN_DOMAIN = 'domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s'
const grantCheck = `${ADMIN} or (${SYSTEM_READER} or (${grantsInDomain('reader')}) and (${ROLE_IN_DOMAIN}))`
const grantList = `${ADMIN} or (${SYSTEM_READER} or ${grantsInDomain('reader')})`
const grantWrite = `${ADMIN} or (${grantsInDomain('admin')}) and (${ROLE_IN_DOMAIN}) or (${grantsInDomain('manager')}) and rule:domain_managed_target_role`

const credentialOwner = `${ADMIN} or user_id:%(target.credential.user_id)s`
const trustParty = `${ADMIN_OR_READER} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s`

/** Rules whose upstream scope_types are narrower than all three scopes. */
const SCOPES: Record<string, readonly ('system' | 'domain' | 'project')[]> = {
  'identity:list_projects_for_endpoint': ['system', 'project'],
  'identity:list_endpoints_for_project': ['system', 'project'],
  'identity:check_endpoint_in_project': ['system', 'project'],
  'identity:add_endpoint_to_project': ['system', 'project'],
  'identity:remove_endpoint_from_project': ['system', 'project'],
  'identity:get_application_credential': ['system', 'project'],
  'identity:list_application_credentials': ['system', 'project'],
  'identity:create_application_credential': ['project'],
  'identity:delete_application_credential': ['system', 'project'],
  'identity:get_access_rule': ['system', 'project'],
  'identity:list_access_rules': ['system', 'project'],
  'identity:delete_access_rule': ['system', 'project'],
  'identity:create_registered_limits': ['system', 'project'],
  'identity:update_registered_limit': ['system', 'project'],
  'identity:delete_registered_limit': ['system', 'project'],
  'identity:create_limits': ['system', 'project'],
  'identity:update_limit': ['system', 'project'],
  'identity:delete_limit': ['system', 'project'],
}

/** A limit is readable by admins, system readers, its domain and its project. */
const limitRead = `${ADMIN} or (${SYSTEM_READER}) or (domain_id:%(target.limit.domain.id)s or domain_id:%(target.limit.project.domain_id)s) or (project_id:%(target.limit.project_id)s and not None:%(target.limit.project_id)s)`

export const resourcePolicies: RuleDefault[] = rules({
  ...crud('region', 'regions', ''),
  ...crud('service', 'services'),
  ...crud('endpoint', 'endpoints'),
  ...crud('endpoint_group', 'endpoint_groups'),
  list_projects_associated_with_endpoint_group: ADMIN_OR_READER,
  list_endpoints_associated_with_endpoint_group: ADMIN_OR_READER,
  get_endpoint_group_in_project: ADMIN_OR_READER,
  list_endpoint_groups_for_project: ADMIN_OR_READER,
  add_endpoint_group_to_project: ADMIN,
  list_projects_for_endpoint: ADMIN_OR_READER,
  list_endpoints_for_project: ADMIN_OR_READER,
  check_endpoint_in_project: ADMIN_OR_READER,
  add_endpoint_to_project: ADMIN,
  remove_endpoint_from_project: ADMIN,
  remove_endpoint_group_from_project: ADMIN,

  ...crud('domain', 'domains'),
  get_domain: `${ADMIN_OR_READER} or domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s`,
  create_domain_config: ADMIN,
  get_domain_config: ADMIN_OR_READER,
  get_domain_config_default: ADMIN_OR_READER,
  // Anyone with a token may read the password rules (a client shows them before a change).
  get_security_compliance_domain_config: '',
  update_domain_config: ADMIN,
  delete_domain_config: ADMIN,

  ...crud('project', 'projects'),
  create_project: projectManager,
  update_project: projectManager,
  delete_project: projectManager,
  get_project: projectRead,
  list_projects: listInDomain,
  list_user_projects: userRead,
  list_project_tags: projectRead,
  get_project_tag: projectRead,
  update_project_tags: projectManager,
  create_project_tag: projectManager,
  delete_project_tags: projectManager,
  delete_project_tag: projectManager,

  ...crud('user', 'users'),
  get_user: userRead,
  list_users: listInDomain,
  create_user: userManager,
  update_user: userManager,
  delete_user: userManager,
  ...crud('group', 'groups'),
  get_group: groupRead,
  list_groups: `${ADMIN_OR_READER} or ${domainReader('target.group.domain_id')}`,
  create_group: groupManager,
  update_group: groupManager,
  delete_group: groupManager,
  list_groups_for_user: `${ADMIN_OR_READER} or ${domainReader('target.user.domain_id')} or user_id:%(user_id)s`,
  list_users_in_group: groupRead,
  check_user_in_group: `${ADMIN_OR_READER} or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`,
  add_user_to_group: groupUserManager,
  remove_user_from_group: groupUserManager,

  ...crud('role', 'roles'),
  ...crud('domain_role', 'domain_roles'),
  get_implied_role: ADMIN_OR_READER,
  list_implied_roles: ADMIN_OR_READER,
  list_role_inference_rules: ADMIN_OR_READER,
  check_implied_role: ADMIN_OR_READER,
  create_implied_role: ADMIN,
  delete_implied_role: ADMIN,

  check_grant: grantCheck,
  list_grants: grantList,
  create_grant: grantWrite,
  revoke_grant: grantWrite,
  list_system_grants_for_user: ADMIN_OR_READER,
  check_system_grant_for_user: ADMIN_OR_READER,
  create_system_grant_for_user: ADMIN,
  revoke_system_grant_for_user: ADMIN,
  list_system_grants_for_group: ADMIN_OR_READER,
  check_system_grant_for_group: ADMIN_OR_READER,
  create_system_grant_for_group: ADMIN,
  revoke_system_grant_for_group: ADMIN,
  list_role_assignments: listInDomain,
  list_role_assignments_for_tree: listInDomain,

  get_credential: `${credentialOwner} or ${SYSTEM_READER}`,
  list_credentials: `${ADMIN_OR_READER} or user_id:%(target.credential.user_id)s`,
  create_credential: credentialOwner,
  update_credential: credentialOwner,
  delete_credential: credentialOwner,
  ec2_get_credential: `${ADMIN_OR_READER} or user_id:%(target.credential.user_id)s`,
  ec2_list_credentials: `${ADMIN_OR_READER} or user_id:%(target.credential.user_id)s`,
  ec2_create_credential: credentialOwner,
  ec2_delete_credential: credentialOwner,

  get_application_credential: `${ADMIN_OR_READER} or user_id:%(target.application_credential.user_id)s`,
  list_application_credentials: `${ADMIN_OR_READER} or user_id:%(target.user.id)s`,
  create_application_credential: 'user_id:%(user_id)s',
  delete_application_credential: `${ADMIN} or user_id:%(target.application_credential.user_id)s`,
  get_access_rule: `${ADMIN_OR_READER} or user_id:%(target.user.id)s`,
  list_access_rules: `${ADMIN_OR_READER} or user_id:%(target.user.id)s`,
  delete_access_rule: `${ADMIN} or user_id:%(target.user.id)s`,

  ...crud('policy', 'policies'),
  ...crud('consumer', 'consumers'),

  ...crud('identity_provider', 'identity_providers'),
  ...crud('protocol', 'protocols'),
  ...crud('mapping', 'mappings'),
  ...crud('service_provider', 'service_providers'),

  authorize_request_token: ADMIN,
  get_access_token: ADMIN,
  get_access_token_role: ADMIN,
  list_access_tokens: ADMIN,
  list_access_token_roles: ADMIN,
  delete_access_token: ADMIN,

  ec2tokens_validate: 'rule:service_or_admin',
  s3tokens_validate: 'rule:service_or_admin',

  create_policy_association_for_endpoint: ADMIN,
  check_policy_association_for_endpoint: ADMIN_OR_READER,
  delete_policy_association_for_endpoint: ADMIN,
  create_policy_association_for_service: ADMIN,
  check_policy_association_for_service: ADMIN_OR_READER,
  delete_policy_association_for_service: ADMIN,
  create_policy_association_for_region_and_service: ADMIN,
  check_policy_association_for_region_and_service: ADMIN_OR_READER,
  delete_policy_association_for_region_and_service: ADMIN,
  get_policy_for_endpoint: ADMIN_OR_READER,
  list_endpoints_for_policy: ADMIN_OR_READER,

  create_trust: 'user_id:%(trust.trustor_user_id)s',
  list_trusts: ADMIN_OR_READER,
  list_trusts_for_trustor: `${ADMIN_OR_READER} or user_id:%(target.trust.trustor_user_id)s`,
  list_trusts_for_trustee: `${ADMIN_OR_READER} or user_id:%(target.trust.trustee_user_id)s`,
  list_roles_for_trust: trustParty,
  get_role_for_trust: trustParty,
  get_trust: trustParty,
  delete_trust: `${ADMIN} or user_id:%(target.trust.trustor_user_id)s`,

  get_registered_limit: '',
  list_registered_limits: '',
  create_registered_limits: ADMIN,
  update_registered_limit: ADMIN,
  delete_registered_limit: ADMIN,
  get_limit_model: '',
  get_limit: limitRead,
  list_limits: '',
  create_limits: ADMIN,
  update_limit: ADMIN,
  delete_limit: ADMIN,
})
  .map((r) =>
    // Owner-only rules have no admin fallback upstream.
    r.checkStr.startsWith('user_id:') ? { ...r, deprecatedRule: undefined } : r,
  )
  .map((r) => (SCOPES[r.name] ? { ...r, scopeTypes: SCOPES[r.name] } : r))
