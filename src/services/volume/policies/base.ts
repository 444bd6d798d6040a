/**
 * Cinder's base rules as Zed ships them (cinder/policies/base.py): the Xena personas
 * (admin anywhere, or a member / reader of the target project), the admin rule, and the
 * legacy owner rule that the deprecated defaults name. Zed's rules declare no scope types,
 * so a system-scoped admin passes what a project admin passes.
 *
 * NOTE: Cinder writes admin_api as `is_admin:True or (role:admin and is_admin_project:True)`,
 * where is_admin is the context's evaluation of context_is_admin; here the same test is
 * written as `rule:context_is_admin`, so it does not depend on the token carrying
 * is_admin_project.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

export const ADMIN_API = 'rule:admin_api'
export const READER = 'rule:xena_system_admin_or_project_reader'
export const MEMBER = 'rule:xena_system_admin_or_project_member'
export const LEGACY_OWNER = 'rule:admin_or_owner'

export const BASE_RULES: readonly RuleDefault[] = [
  { name: 'context_is_admin', checkStr: 'role:admin', description: "What the 'is_admin:True' check needs." },
  {
    name: 'admin_or_owner',
    checkStr: 'rule:context_is_admin or project_id:%(project_id)s',
    description: 'Legacy default of most non-admin APIs (deprecated).',
  },
  { name: 'admin_api', checkStr: 'rule:context_is_admin', description: 'Default rule for most admin APIs.' },
  {
    name: 'xena_system_admin_or_project_reader',
    checkStr: '(role:admin) or (role:reader and project_id:%(project_id)s)',
    description: 'An administrator, or a reader of the target project.',
  },
  {
    name: 'xena_system_admin_or_project_member',
    checkStr: '(role:admin) or (role:member and project_id:%(project_id)s)',
    description: 'An administrator, or a member of the target project.',
  },
]

/** A documented Cinder rule with the legacy owner rule as its deprecated default when it had one. */
export function rule(
  name: string,
  checkStr: string,
  description: string,
  operations: readonly { method: string; path: string }[],
  deprecated?: string,
): RuleDefault {
  return {
    name,
    checkStr,
    description,
    operations,
    ...(deprecated ? { deprecatedRule: { checkStr: deprecated } } : {}),
  }
}
