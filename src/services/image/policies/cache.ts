/**
 * Glance's image-cache policy rules (API v2.14), admin only by default; the legacy
 * `manage_image_cache` they replaced is kept as their deprecated rule.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'

const ADMIN = 'rule:context_is_admin'

export const CACHE_POLICIES = {
  CACHE_IMAGE: 'cache_image',
  CACHE_LIST: 'cache_list',
  CACHE_DELETE: 'cache_delete',
} as const

const rule = (name: string, description: string, operations: { method: string; path: string }[]) =>
  ({
    name,
    checkStr: ADMIN,
    description,
    scopeTypes: ['project'],
    operations,
    deprecatedRule: { checkStr: 'rule:manage_image_cache' },
  }) satisfies RuleDefault

export const cachePolicyDefaults: readonly RuleDefault[] = [
  { name: 'manage_image_cache', checkStr: ADMIN, description: 'Manage the image cache (legacy).' },
  rule('cache_image', 'Queue image for caching', [{ method: 'PUT', path: '/v2/cache/{image_id}' }]),
  rule('cache_list', 'List cache status', [{ method: 'GET', path: '/v2/cache' }]),
  rule('cache_delete', 'Delete image(s) from cache and/or queue', [
    { method: 'DELETE', path: '/v2/cache' },
    { method: 'DELETE', path: '/v2/cache/{image_id}' },
  ]),
]
