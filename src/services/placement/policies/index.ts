/**
 * Placement's policy rules, named and defaulted as upstream's current (secure RBAC)
 * defaults: project-scoped admin or service for most APIs, service for the reshaper,
 * project readers for their own usages. With enforce_new_defaults off, the deprecated
 * `role:admin` default applies too.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

const DEPRECATED_ADMIN = { checkStr: 'role:admin' }
const ADMIN_OR_SERVICE = 'rule:admin_or_service_api'
const project = ['project'] as const

export const RULES = {
  ADMIN_API: 'admin_api',
  RP_LIST: 'placement:resource_providers:list',
  RP_CREATE: 'placement:resource_providers:create',
  RP_SHOW: 'placement:resource_providers:show',
  RP_UPDATE: 'placement:resource_providers:update',
  RP_DELETE: 'placement:resource_providers:delete',
  INV_LIST: 'placement:resource_providers:inventories:list',
  INV_CREATE: 'placement:resource_providers:inventories:create',
  INV_SHOW: 'placement:resource_providers:inventories:show',
  INV_UPDATE: 'placement:resource_providers:inventories:update',
  INV_DELETE: 'placement:resource_providers:inventories:delete',
  AGG_LIST: 'placement:resource_providers:aggregates:list',
  AGG_UPDATE: 'placement:resource_providers:aggregates:update',
  RP_USAGES: 'placement:resource_providers:usages',
  TOTAL_USAGES: 'placement:usages',
  RC_LIST: 'placement:resource_classes:list',
  RC_CREATE: 'placement:resource_classes:create',
  RC_SHOW: 'placement:resource_classes:show',
  RC_UPDATE: 'placement:resource_classes:update',
  RC_DELETE: 'placement:resource_classes:delete',
  TRAITS_LIST: 'placement:traits:list',
  TRAITS_SHOW: 'placement:traits:show',
  TRAITS_UPDATE: 'placement:traits:update',
  TRAITS_DELETE: 'placement:traits:delete',
  RP_TRAIT_LIST: 'placement:resource_providers:traits:list',
  RP_TRAIT_UPDATE: 'placement:resource_providers:traits:update',
  RP_TRAIT_DELETE: 'placement:resource_providers:traits:delete',
  ALLOC_MANAGE: 'placement:allocations:manage',
  ALLOC_LIST: 'placement:allocations:list',
  ALLOC_UPDATE: 'placement:allocations:update',
  ALLOC_DELETE: 'placement:allocations:delete',
  RP_ALLOC_LIST: 'placement:resource_providers:allocations:list',
  AC_LIST: 'placement:allocation_candidates:list',
  RESHAPE: 'placement:reshaper:reshape',
} as const

const base: RuleDefault[] = [
  {
    name: 'admin_api',
    checkStr: 'role:admin',
    description: 'Default rule for most placement APIs.',
    scopeTypes: project,
  },
  { name: 'service_api', checkStr: 'role:service', scopeTypes: project, deprecatedRule: DEPRECATED_ADMIN },
  {
    name: 'admin_or_service_api',
    checkStr: 'role:admin or role:service',
    scopeTypes: project,
    deprecatedRule: DEPRECATED_ADMIN,
  },
  {
    name: 'project_reader_api',
    checkStr: 'role:reader and project_id:%(project_id)s',
    deprecatedRule: DEPRECATED_ADMIN,
  },
  {
    name: 'admin_or_project_reader_or_service_api',
    checkStr: 'role:admin or rule:project_reader_api or role:service',
    scopeTypes: project,
    deprecatedRule: DEPRECATED_ADMIN,
  },
]

const special: Record<string, string> = {
  [RULES.RESHAPE]: 'rule:service_api',
  [RULES.TOTAL_USAGES]: 'rule:admin_or_project_reader_or_service_api',
}

/** Every rule default, in registration order. */
export const placementPolicies: readonly RuleDefault[] = [
  ...base,
  ...Object.values(RULES)
    .filter((n) => n !== RULES.ADMIN_API)
    .map(
      (name): RuleDefault => ({
        name,
        checkStr: special[name] ?? ADMIN_OR_SERVICE,
        scopeTypes: project,
      }),
    ),
]
