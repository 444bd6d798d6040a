/**
 * Compute's base policy rules and the check strings the per-resource rules build on,
 * as Nova's defaults have them: admin is the `admin` role, project rules compare the
 * token's project with the target's, every rule accepts project-scoped tokens only.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

export const ADMIN = 'rule:context_is_admin'
export const PROJECT_MEMBER = 'rule:project_member_api'
export const PROJECT_READER = 'rule:project_reader_api'
export const PROJECT_MEMBER_OR_ADMIN = 'rule:project_member_or_admin'
export const PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin'
export const ANY = '@'

const LEGACY_OWNER = { checkStr: 'is_admin:True or project_id:%(project_id)s' }

export const BASE_RULES: readonly RuleDefault[] = [
  {
    name: 'context_is_admin',
    checkStr: 'role:admin',
    description: 'Who counts as an administrator.',
    deprecatedRule: { checkStr: 'is_admin:True' },
  },
  {
    name: 'admin_or_owner',
    checkStr: 'is_admin:True or project_id:%(project_id)s',
    description: 'Legacy default of most project APIs (deprecated).',
  },
  { name: 'admin_api', checkStr: 'is_admin:True', description: 'Legacy default of admin APIs (deprecated).' },
  {
    name: 'project_member_api',
    checkStr: 'role:member and project_id:%(project_id)s',
    description: 'A member of the target project.',
    deprecatedRule: LEGACY_OWNER,
  },
  {
    name: 'project_reader_api',
    checkStr: 'role:reader and project_id:%(project_id)s',
    description: 'A reader of the target project.',
    deprecatedRule: LEGACY_OWNER,
  },
  {
    name: 'project_member_or_admin',
    checkStr: 'rule:project_member_api or rule:context_is_admin',
    description: 'A member of the target project, or an administrator.',
    deprecatedRule: LEGACY_OWNER,
  },
  {
    name: 'project_reader_or_admin',
    checkStr: 'rule:project_reader_api or rule:context_is_admin',
    description: 'A reader of the target project, or an administrator.',
    deprecatedRule: LEGACY_OWNER,
  },
]

/** A documented compute rule: project scope, as every Nova default. */
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
    scopeTypes: ['project'],
    ...(deprecated ? { deprecatedRule: { checkStr: deprecated } } : {}),
  }
}
