/** Quota set and quota class bodies, limits and quota queries, per microversion window. */
import { boolean, multi, querySchema } from './types.js'

const quota = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 0x7fffffff }

const ALL = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
  'server_groups',
  'server_group_members',
  'networks',
]
const NETWORK = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules', 'networks']
const FILES = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes']

const props = (drop: readonly string[]) =>
  Object.fromEntries(ALL.filter((r) => !drop.includes(r)).map((r) => [r, quota]))

function body(key: string, properties: Record<string, unknown>) {
  return {
    type: 'object',
    properties: { [key]: { type: 'object', properties, additionalProperties: false } },
    required: [key],
    additionalProperties: false,
  }
}

export const UPDATE_QUOTAS = body('quota_set', { ...props([]), force: boolean })
export const UPDATE_QUOTAS_236 = body('quota_set', { ...props(NETWORK), force: boolean })
export const UPDATE_QUOTAS_257 = body('quota_set', { ...props([...NETWORK, ...FILES]), force: boolean })

export const UPDATE_CLASS = body('quota_class_set', props([]))
export const UPDATE_CLASS_250 = body('quota_class_set', props(NETWORK))
export const UPDATE_CLASS_257 = body('quota_class_set', props([...NETWORK, ...FILES]))

const userId = { user_id: multi({ type: 'string' }) }
export const QUOTA_QUERY = querySchema(userId, false)
export const QUOTA_QUERY_275 = querySchema(userId, true)

const tenant = { tenant_id: multi({ type: 'string' }) }
export const LIMITS_QUERY = querySchema(tenant, false)
export const LIMITS_QUERY_275 = querySchema(tenant, true)
