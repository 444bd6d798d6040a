/**
 * Keystone Zed's secure-RBAC defaults, the strict persona model: cloud-wide
 * administration needs a system-scoped token (`role:admin and system_scope:all`), a
 * domain admin administers users, groups, projects and grants of its own domain, and a
 * project admin administers its project's tags and nothing cloud-wide. The keystone
 * tempest plugin's RBAC suite encodes exactly this model.
 *
 * It applies when identity's `[policy] strict_scope` is on together with `[oslo_policy]
 * enforce_scope` and `enforce_new_defaults` (see `policyModel`); otherwise the defaults
 * of policies/index.ts hold, in which `admin` is admin in every scope. Each entry is
 * `name: [check string, scope types]`; rules not listed keep their default.
 */
import type { RuleDefault, Scope } from '../../../kernel/policy/index.js'
import { grantsInDomain, ROLE_IN_DOMAIN } from './index.js'

const SYSTEM_READER = '(role:reader and system_scope:all)'
const SYSTEM_ADMIN = '(role:admin and system_scope:all)'
const ADMIN_REQUIRED = 'rule:admin_required'
const SYSTEM: readonly Scope[] = ['system']
const PROJECT: readonly Scope[] = ['project']
const SYSTEM_PROJECT: readonly Scope[] = ['system', 'project']
const SYSTEM_DOMAIN: readonly Scope[] = ['system', 'domain']
const ALL: readonly Scope[] = ['system', 'domain', 'project']

const STRICT: Record<string, [string, readonly Scope[] | undefined]> = {
  get_access_rule: [`${SYSTEM_READER} or user_id:%(target.user.id)s`, SYSTEM_PROJECT],
  list_access_rules: [`${SYSTEM_READER} or user_id:%(target.user.id)s`, SYSTEM_PROJECT],
  delete_access_rule: [`${SYSTEM_ADMIN} or user_id:%(target.user.id)s`, SYSTEM_PROJECT],
  authorize_request_token: [ADMIN_REQUIRED, PROJECT],
  get_access_token: [ADMIN_REQUIRED, PROJECT],
  get_access_token_role: [ADMIN_REQUIRED, PROJECT],
  list_access_tokens: [ADMIN_REQUIRED, PROJECT],
  list_access_token_roles: [ADMIN_REQUIRED, PROJECT],
  delete_access_token: [ADMIN_REQUIRED, PROJECT],
  get_application_credential: [`${SYSTEM_READER} or rule:owner`, SYSTEM_PROJECT],
  list_application_credentials: [`${SYSTEM_READER} or rule:owner`, SYSTEM_PROJECT],
  create_application_credential: [`user_id:%(user_id)s`, PROJECT],
  delete_application_credential: [`${SYSTEM_ADMIN} or rule:owner`, SYSTEM_PROJECT],
  get_auth_catalog: ['', undefined],
  get_auth_projects: ['', undefined],
  get_auth_domains: ['', undefined],
  get_auth_system: ['', undefined],
  get_consumer: [SYSTEM_READER, SYSTEM],
  list_consumers: [SYSTEM_READER, SYSTEM],
  create_consumer: [SYSTEM_ADMIN, SYSTEM],
  update_consumer: [SYSTEM_ADMIN, SYSTEM],
  delete_consumer: [SYSTEM_ADMIN, SYSTEM],
  get_credential: [`${SYSTEM_READER} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  list_credentials: [`${SYSTEM_READER} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  create_credential: [`${SYSTEM_ADMIN} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  update_credential: [`${SYSTEM_ADMIN} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  delete_credential: [`${SYSTEM_ADMIN} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  get_domain: [
    `${SYSTEM_READER} or token.domain.id:%(target.domain.id)s or token.project.domain.id:%(target.domain.id)s`,
    ALL,
  ],
  list_domains: [SYSTEM_READER, SYSTEM],
  create_domain: [SYSTEM_ADMIN, SYSTEM],
  update_domain: [SYSTEM_ADMIN, SYSTEM],
  delete_domain: [SYSTEM_ADMIN, SYSTEM],
  create_domain_config: [SYSTEM_ADMIN, SYSTEM],
  get_domain_config: [SYSTEM_READER, SYSTEM],
  get_security_compliance_domain_config: ['', ALL],
  update_domain_config: [SYSTEM_ADMIN, SYSTEM],
  delete_domain_config: [SYSTEM_ADMIN, SYSTEM],
  get_domain_config_default: [SYSTEM_READER, SYSTEM],
  ec2_get_credential: [`${SYSTEM_READER} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  ec2_list_credentials: [`${SYSTEM_READER} or rule:owner`, SYSTEM_PROJECT],
  ec2_create_credential: [`${SYSTEM_ADMIN} or rule:owner`, SYSTEM_PROJECT],
  ec2_delete_credential: [`${SYSTEM_ADMIN} or user_id:%(target.credential.user_id)s`, SYSTEM_PROJECT],
  get_endpoint: [SYSTEM_READER, SYSTEM],
  list_endpoints: [SYSTEM_READER, SYSTEM],
  create_endpoint: [SYSTEM_ADMIN, SYSTEM],
  update_endpoint: [SYSTEM_ADMIN, SYSTEM],
  delete_endpoint: [SYSTEM_ADMIN, SYSTEM],
  create_endpoint_group: [SYSTEM_ADMIN, SYSTEM],
  list_endpoint_groups: [SYSTEM_READER, SYSTEM],
  get_endpoint_group: [SYSTEM_READER, SYSTEM],
  update_endpoint_group: [SYSTEM_ADMIN, SYSTEM],
  delete_endpoint_group: [SYSTEM_ADMIN, SYSTEM],
  list_projects_associated_with_endpoint_group: [SYSTEM_READER, SYSTEM],
  list_endpoints_associated_with_endpoint_group: [SYSTEM_READER, SYSTEM],
  get_endpoint_group_in_project: [SYSTEM_READER, SYSTEM],
  list_endpoint_groups_for_project: [SYSTEM_READER, SYSTEM],
  add_endpoint_group_to_project: [SYSTEM_ADMIN, SYSTEM],
  remove_endpoint_group_from_project: [SYSTEM_ADMIN, SYSTEM],
  check_grant: [`${SYSTEM_READER} or ((${grantsInDomain('reader')}) and (${ROLE_IN_DOMAIN}))`, SYSTEM_DOMAIN],
  list_grants: [`${SYSTEM_READER} or ${grantsInDomain('reader')}`, SYSTEM_DOMAIN],
  create_grant: [`${SYSTEM_ADMIN} or ((${grantsInDomain('admin')}) and (${ROLE_IN_DOMAIN}))`, SYSTEM_DOMAIN],
  revoke_grant: [`${SYSTEM_ADMIN} or ((${grantsInDomain('admin')}) and (${ROLE_IN_DOMAIN}))`, SYSTEM_DOMAIN],
  list_system_grants_for_user: [SYSTEM_READER, SYSTEM],
  check_system_grant_for_user: [SYSTEM_READER, SYSTEM],
  create_system_grant_for_user: [SYSTEM_ADMIN, SYSTEM],
  revoke_system_grant_for_user: [SYSTEM_ADMIN, SYSTEM],
  list_system_grants_for_group: [SYSTEM_READER, SYSTEM],
  check_system_grant_for_group: [SYSTEM_READER, SYSTEM],
  create_system_grant_for_group: [SYSTEM_ADMIN, SYSTEM],
  revoke_system_grant_for_group: [SYSTEM_ADMIN, SYSTEM],
  get_group: [`${SYSTEM_READER} or (role:reader and domain_id:%(target.group.domain_id)s)`, SYSTEM_DOMAIN],
  list_groups: [`${SYSTEM_READER} or (role:reader and domain_id:%(target.group.domain_id)s)`, SYSTEM_DOMAIN],
  list_groups_for_user: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(user_id)s`,
    ALL,
  ],
  create_group: [`${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s)`, SYSTEM_DOMAIN],
  update_group: [`${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s)`, SYSTEM_DOMAIN],
  delete_group: [`${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s)`, SYSTEM_DOMAIN],
  list_users_in_group: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.group.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  remove_user_from_group: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  check_user_in_group: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  add_user_to_group: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.group.domain_id)s and domain_id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  create_identity_provider: [SYSTEM_ADMIN, SYSTEM],
  list_identity_providers: [SYSTEM_READER, SYSTEM],
  get_identity_provider: [SYSTEM_READER, SYSTEM],
  update_identity_provider: [SYSTEM_ADMIN, SYSTEM],
  delete_identity_provider: [SYSTEM_ADMIN, SYSTEM],
  get_implied_role: [SYSTEM_READER, SYSTEM],
  list_implied_roles: [SYSTEM_READER, SYSTEM],
  create_implied_role: [SYSTEM_ADMIN, SYSTEM],
  delete_implied_role: [SYSTEM_ADMIN, SYSTEM],
  list_role_inference_rules: [SYSTEM_READER, SYSTEM],
  check_implied_role: [SYSTEM_READER, SYSTEM],
  get_limit_model: ['', ALL],
  get_limit: [
    `${SYSTEM_READER} or (domain_id:%(target.limit.domain.id)s or domain_id:%(target.limit.project.domain_id)s) or (project_id:%(target.limit.project_id)s and not None:%(target.limit.project_id)s)`,
    ALL,
  ],
  list_limits: ['', ALL],
  create_limits: [SYSTEM_ADMIN, SYSTEM],
  update_limit: [SYSTEM_ADMIN, SYSTEM],
  delete_limit: [SYSTEM_ADMIN, SYSTEM],
  create_mapping: [SYSTEM_ADMIN, SYSTEM],
  get_mapping: [SYSTEM_READER, SYSTEM],
  list_mappings: [SYSTEM_READER, SYSTEM],
  delete_mapping: [SYSTEM_ADMIN, SYSTEM],
  update_mapping: [SYSTEM_ADMIN, SYSTEM],
  get_policy: [SYSTEM_READER, SYSTEM],
  list_policies: [SYSTEM_READER, SYSTEM],
  create_policy: [SYSTEM_ADMIN, SYSTEM],
  update_policy: [SYSTEM_ADMIN, SYSTEM],
  delete_policy: [SYSTEM_ADMIN, SYSTEM],
  create_policy_association_for_endpoint: [SYSTEM_ADMIN, SYSTEM],
  check_policy_association_for_endpoint: [SYSTEM_READER, SYSTEM],
  delete_policy_association_for_endpoint: [SYSTEM_ADMIN, SYSTEM],
  create_policy_association_for_service: [SYSTEM_ADMIN, SYSTEM],
  check_policy_association_for_service: [SYSTEM_READER, SYSTEM],
  delete_policy_association_for_service: [SYSTEM_ADMIN, SYSTEM],
  create_policy_association_for_region_and_service: [SYSTEM_ADMIN, SYSTEM],
  check_policy_association_for_region_and_service: [SYSTEM_READER, SYSTEM],
  delete_policy_association_for_region_and_service: [SYSTEM_ADMIN, SYSTEM],
  get_policy_for_endpoint: [SYSTEM_READER, SYSTEM],
  list_endpoints_for_policy: [SYSTEM_READER, SYSTEM],
  get_project: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.project.domain_id)s) or project_id:%(target.project.id)s`,
    ALL,
  ],
  list_projects: [`${SYSTEM_READER} or (role:reader and domain_id:%(target.domain_id)s)`, SYSTEM_DOMAIN],
  list_user_projects: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s`,
    ALL,
  ],
  create_project: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  update_project: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  delete_project: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  list_project_tags: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.project.domain_id)s) or project_id:%(target.project.id)s`,
    ALL,
  ],
  get_project_tag: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.project.domain_id)s) or project_id:%(target.project.id)s`,
    ALL,
  ],
  update_project_tags: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s) or (role:admin and project_id:%(target.project.id)s)`,
    ALL,
  ],
  create_project_tag: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s) or (role:admin and project_id:%(target.project.id)s)`,
    ALL,
  ],
  delete_project_tags: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s) or (role:admin and project_id:%(target.project.id)s)`,
    ALL,
  ],
  delete_project_tag: [
    `${SYSTEM_ADMIN} or (role:admin and domain_id:%(target.project.domain_id)s) or (role:admin and project_id:%(target.project.id)s)`,
    ALL,
  ],
  list_projects_for_endpoint: [SYSTEM_READER, SYSTEM],
  add_endpoint_to_project: [SYSTEM_ADMIN, SYSTEM],
  check_endpoint_in_project: [SYSTEM_READER, SYSTEM],
  list_endpoints_for_project: [SYSTEM_READER, SYSTEM],
  remove_endpoint_from_project: [SYSTEM_ADMIN, SYSTEM],
  create_protocol: [SYSTEM_ADMIN, SYSTEM],
  update_protocol: [SYSTEM_ADMIN, SYSTEM],
  get_protocol: [SYSTEM_READER, SYSTEM],
  list_protocols: [SYSTEM_READER, SYSTEM],
  delete_protocol: [SYSTEM_ADMIN, SYSTEM],
  get_region: ['', ALL],
  list_regions: ['', ALL],
  create_region: [SYSTEM_ADMIN, SYSTEM],
  update_region: [SYSTEM_ADMIN, SYSTEM],
  delete_region: [SYSTEM_ADMIN, SYSTEM],
  get_registered_limit: ['', ALL],
  list_registered_limits: ['', ALL],
  create_registered_limits: [SYSTEM_ADMIN, SYSTEM],
  update_registered_limit: [SYSTEM_ADMIN, SYSTEM],
  delete_registered_limit: [SYSTEM_ADMIN, SYSTEM],
  get_role: [SYSTEM_READER, SYSTEM],
  list_roles: [SYSTEM_READER, SYSTEM],
  create_role: [SYSTEM_ADMIN, SYSTEM],
  update_role: [SYSTEM_ADMIN, SYSTEM],
  delete_role: [SYSTEM_ADMIN, SYSTEM],
  get_domain_role: [SYSTEM_READER, SYSTEM],
  list_domain_roles: [SYSTEM_READER, SYSTEM],
  create_domain_role: [SYSTEM_ADMIN, SYSTEM],
  update_domain_role: [SYSTEM_ADMIN, SYSTEM],
  delete_domain_role: [SYSTEM_ADMIN, SYSTEM],
  list_role_assignments: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  list_role_assignments_for_tree: [
    `${SYSTEM_READER} or (role:reader and domain_id:%(target.project.domain_id)s) or (role:admin and project_id:%(target.project.id)s)`,
    ALL,
  ],
  get_service: [SYSTEM_READER, SYSTEM],
  list_services: [SYSTEM_READER, SYSTEM],
  create_service: [SYSTEM_ADMIN, SYSTEM],
  update_service: [SYSTEM_ADMIN, SYSTEM],
  delete_service: [SYSTEM_ADMIN, SYSTEM],
  create_service_provider: [SYSTEM_ADMIN, SYSTEM],
  list_service_providers: [SYSTEM_READER, SYSTEM],
  get_service_provider: [SYSTEM_READER, SYSTEM],
  update_service_provider: [SYSTEM_ADMIN, SYSTEM],
  delete_service_provider: [SYSTEM_ADMIN, SYSTEM],
  check_token: [`${SYSTEM_READER} or rule:token_subject`, ALL],
  validate_token: [`${SYSTEM_READER} or rule:service_role or rule:token_subject`, ALL],
  revoke_token: [`${SYSTEM_ADMIN} or rule:token_subject`, ALL],
  create_trust: [`user_id:%(trust.trustor_user_id)s`, PROJECT],
  list_trusts: [SYSTEM_READER, SYSTEM],
  list_trusts_for_trustor: [`${SYSTEM_READER} or user_id:%(target.trust.trustor_user_id)s`, SYSTEM_PROJECT],
  list_trusts_for_trustee: [`${SYSTEM_READER} or user_id:%(target.trust.trustee_user_id)s`, SYSTEM_PROJECT],
  list_roles_for_trust: [
    `${SYSTEM_READER} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s`,
    SYSTEM_PROJECT,
  ],
  get_role_for_trust: [
    `${SYSTEM_READER} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s`,
    SYSTEM_PROJECT,
  ],
  delete_trust: [`${SYSTEM_ADMIN} or user_id:%(target.trust.trustor_user_id)s`, SYSTEM_PROJECT],
  get_trust: [
    `${SYSTEM_READER} or user_id:%(target.trust.trustor_user_id)s or user_id:%(target.trust.trustee_user_id)s`,
    SYSTEM_PROJECT,
  ],
  get_user: [
    `${SYSTEM_READER} or (role:reader and token.domain.id:%(target.user.domain_id)s) or user_id:%(target.user.id)s`,
    ALL,
  ],
  list_users: [`${SYSTEM_READER} or (role:reader and domain_id:%(target.domain_id)s)`, SYSTEM_DOMAIN],
  create_user: [
    `${SYSTEM_ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  update_user: [
    `${SYSTEM_ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
  delete_user: [
    `${SYSTEM_ADMIN} or (role:admin and token.domain.id:%(target.user.domain_id)s)`,
    SYSTEM_DOMAIN,
  ],
}

/** Which persona model identity's rules follow. */
export type PolicyModel = 'strict' | 'admin-everywhere'

/**
 * The model the switches select: strict only with `[policy] strict_scope`,
 * `[oslo_policy] enforce_scope` and `enforce_new_defaults` all on.
 */
export function policyModel(switches: {
  strictScope: boolean
  enforceScope: boolean
  enforceNewDefaults: boolean
}): PolicyModel {
  return switches.strictScope && switches.enforceScope && switches.enforceNewDefaults
    ? 'strict'
    : 'admin-everywhere'
}

/**
 * The rules under the strict model: each rule Keystone Zed defines takes Zed's check
 * string and scope types, without a deprecated fallback (enforce_new_defaults is on);
 * the others (ec2tokens, s3tokens, base rules) stay as they are.
 */
export function strictRules(rules: readonly RuleDefault[]): RuleDefault[] {
  return rules.map((r) => {
    const strict = STRICT[r.name.replace(/^identity:/, '')]
    if (!r.name.startsWith('identity:') || strict === undefined) return r
    const [checkStr, scopeTypes] = strict
    const { deprecatedRule: _old, scopeTypes: _scopes, ...rest } = r
    return { ...rest, checkStr, ...(scopeTypes ? { scopeTypes } : {}) }
  })
}

/** The rule names the strict model redefines, for tests. */
export const STRICT_RULE_NAMES: readonly string[] = Object.keys(STRICT).map((n) => `identity:${n}`)
