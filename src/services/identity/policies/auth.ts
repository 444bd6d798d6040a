/**
 * Policies of the auth API (Keystone's token.py and auth.py policies), plus the shared
 * base rules they refer to (admin_required, service_role, token_subject...). The base
 * rules are added only when the resource half does not declare them itself.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

export const VALIDATE_TOKEN = 'identity:validate_token'
export const CHECK_TOKEN = 'identity:check_token'
export const REVOKE_TOKEN = 'identity:revoke_token'
export const GET_AUTH_CATALOG = 'identity:get_auth_catalog'
export const GET_AUTH_PROJECTS = 'identity:get_auth_projects'
export const GET_AUTH_DOMAINS = 'identity:get_auth_domains'
export const GET_AUTH_SYSTEM = 'identity:get_auth_system'

const ALL_SCOPES = ['system', 'domain', 'project'] as const

/** Keystone's base.py rules, shared with the resource policies. */
export const baseRules: RuleDefault[] = [
  { name: 'admin_required', checkStr: 'role:admin or is_admin:1' },
  { name: 'service_role', checkStr: 'role:service' },
  { name: 'service_or_admin', checkStr: 'rule:admin_required or rule:service_role' },
  { name: 'owner', checkStr: 'user_id:%(user_id)s' },
  { name: 'admin_or_owner', checkStr: 'rule:admin_required or rule:owner' },
  { name: 'token_subject', checkStr: 'user_id:%(target.token.user_id)s' },
  { name: 'admin_or_token_subject', checkStr: 'rule:admin_required or rule:token_subject' },
  { name: 'service_admin_or_token_subject', checkStr: 'rule:service_or_admin or rule:token_subject' },
  // The roles a domain manager may grant or revoke: nothing above manager.
  {
    name: 'domain_managed_target_role',
    checkStr:
      "'manager':%(target.role.name)s or 'member':%(target.role.name)s or 'reader':%(target.role.name)s",
  },
]

export const authPolicies: RuleDefault[] = [
  {
    name: CHECK_TOKEN,
    checkStr: 'rule:admin_required or (role:reader and system_scope:all) or rule:token_subject',
    scopeTypes: ALL_SCOPES,
    description: 'Check a token.',
    deprecatedRule: { checkStr: 'rule:admin_or_token_subject' },
    operations: [{ method: 'HEAD', path: '/v3/auth/tokens' }],
  },
  {
    name: VALIDATE_TOKEN,
    checkStr:
      'rule:admin_required or (role:reader and system_scope:all) or rule:service_role or rule:token_subject',
    scopeTypes: ALL_SCOPES,
    description: 'Validate a token.',
    deprecatedRule: { checkStr: 'rule:service_admin_or_token_subject' },
    operations: [{ method: 'GET', path: '/v3/auth/tokens' }],
  },
  {
    name: REVOKE_TOKEN,
    checkStr: 'rule:admin_required or rule:token_subject',
    scopeTypes: ALL_SCOPES,
    description: 'Revoke a token.',
    deprecatedRule: { checkStr: 'rule:admin_or_token_subject' },
    operations: [{ method: 'DELETE', path: '/v3/auth/tokens' }],
  },
  {
    name: GET_AUTH_CATALOG,
    checkStr: '',
    description: 'Get service catalog.',
    operations: [{ method: 'GET', path: '/v3/auth/catalog' }],
  },
  {
    name: GET_AUTH_PROJECTS,
    checkStr: '',
    description: 'List all projects a user has access to via role assignments.',
    operations: [{ method: 'GET', path: '/v3/auth/projects' }],
  },
  {
    name: GET_AUTH_DOMAINS,
    checkStr: '',
    description: 'List all domains a user has access to via role assignments.',
    operations: [{ method: 'GET', path: '/v3/auth/domains' }],
  },
  {
    name: GET_AUTH_SYSTEM,
    checkStr: '',
    description: 'List systems a user has access to via role assignments.',
    operations: [{ method: 'GET', path: '/v3/auth/system' }],
  },
]

/** The auth rules plus whichever base rules `others` lacks. */
export function withBaseRules(others: readonly RuleDefault[]): RuleDefault[] {
  const have = new Set(others.map((r) => r.name))
  return [...baseRules.filter((r) => !have.has(r.name)), ...authPolicies.filter((r) => !have.has(r.name))]
}
