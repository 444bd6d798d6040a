/**
 * Quota sets (a project's or a user's limits: show, detail with usage, defaults,
 * update, revert), quota classes, and absolute limits. Which resources appear depends
 * on the version: network quotas leave at 2.36 (2.50 for classes), personality file
 * quotas at 2.57.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { QUOTA_RESOURCES } from '../domain/quotas.js'
import { ComputeBadRequest } from '../errors.js'
import { QUOTA } from '../policies/index.js'
import { LIMITS_QUERY, LIMITS_QUERY_275, QUOTA_QUERY, QUOTA_QUERY_275 } from '../schemas/quotas.js'
import { bodyOf, type ComputeDeps, callerOf, params, queryOf } from './common.js'

const NETWORK = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules']
const FILES = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes']
const GROUPS = ['server_groups', 'server_group_members']

/** Resources a quota set shows at this version, alphabetically as upstream lists them. */
function shownSets(req: FastifyRequest): string[] {
  const hidden = req.version.gte('2.57') ? [...NETWORK, ...FILES] : req.version.gte('2.36') ? NETWORK : []
  return [...QUOTA_RESOURCES].filter((r) => !hidden.includes(r)).sort()
}

function shownClasses(req: FastifyRequest): string[] {
  const hidden = req.version.gte('2.57') ? [...NETWORK, ...FILES] : req.version.gte('2.50') ? NETWORK : GROUPS
  return [...QUOTA_RESOURCES].filter((r) => !hidden.includes(r)).sort()
}

const pick = <T>(values: Record<string, T>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => k in values).map((k) => [k, values[k]!]))

const userOf = (req: FastifyRequest) =>
  queryOf(req, req.version.gte('2.75') ? QUOTA_QUERY_275 : QUOTA_QUERY).user_id || undefined

export async function showQuotas(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).project_id!
  const limits = await deps.quotas.limits(id, userOf(req))
  return { quota_set: { id, ...pick(limits, shownSets(req)) } }
}

export async function quotaDetail(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).project_id!
  const detail = await deps.quotas.detail(id, userOf(req))
  return { quota_set: { id, ...pick(detail, shownSets(req)) } }
}

export async function quotaDefaults(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).project_id!
  return { quota_set: { id, ...pick(await deps.quotas.defaults(), shownSets(req)) } }
}

export async function updateQuotas(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).project_id!
  const userId = userOf(req)
  const set = bodyOf(req).quota_set as Record<string, unknown>
  if ('networks' in set) throw new ComputeBadRequest('The networks quota has been removed')
  const force = set.force !== undefined && /^(1|t|true|on|y|yes)$/i.test(String(set.force))
  const values: Record<string, number> = {}
  for (const [key, value] of Object.entries(set)) {
    if (key === 'force' || value === '' || value === null) continue
    values[key] = Number(value)
  }
  const limits = await deps.quotas.update(id, userId, values, force)
  return { quota_set: pick(limits, shownSets(req)) }
}

export async function deleteQuotas(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await deps.quotas.reset(params(req).project_id!, userOf(req))
  return reply.code(202).send()
}

export async function showQuotaClass(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).class_name!
  return { quota_class_set: { id, ...pick(await deps.quotas.classLimits(id), shownClasses(req)) } }
}

export async function updateQuotaClass(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).class_name!
  if (id.length < 1 || id.length > 255)
    throw new ComputeBadRequest('quota_class_name has a maximum length of 255 characters.')
  const set = bodyOf(req).quota_class_set as Record<string, string | number>
  const values = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, Number(v)]))
  const limits = await deps.quotas.setClassLimits(id, values)
  return { quota_class_set: pick(limits, shownClasses(req)) }
}

const LIMIT_NAMES: Readonly<Record<string, readonly string[]>> = {
  ram: ['maxTotalRAMSize'],
  instances: ['maxTotalInstances'],
  cores: ['maxTotalCores'],
  key_pairs: ['maxTotalKeypairs'],
  floating_ips: ['maxTotalFloatingIps'],
  metadata_items: ['maxServerMeta', 'maxImageMeta'],
  injected_files: ['maxPersonality'],
  injected_file_content_bytes: ['maxPersonalitySize'],
  security_groups: ['maxSecurityGroups'],
  security_group_rules: ['maxSecurityGroupRules'],
  server_groups: ['maxServerGroups'],
  server_group_members: ['maxServerGroupMembers'],
}
const USED_NAMES: Readonly<Record<string, string>> = {
  totalRAMUsed: 'ram',
  totalCoresUsed: 'cores',
  totalInstancesUsed: 'instances',
  totalFloatingIpsUsed: 'floating_ips',
  totalSecurityGroupsUsed: 'security_groups',
  totalServerGroupsUsed: 'server_groups',
}

export async function showLimits(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const q = queryOf(req, req.version.gte('2.75') ? LIMITS_QUERY_275 : LIMITS_QUERY)
  let projectId = callerOf(req).projectId
  if (q.tenant_id !== undefined) {
    req.ctx.can(QUOTA.LIMITS_OTHER_PROJECT)
    projectId = q.tenant_id
  }
  const filtered = req.version.gte('2.57')
    ? [
        'floating_ips',
        'security_groups',
        'security_group_rules',
        'injected_files',
        'injected_file_content_bytes',
      ]
    : req.version.gte('2.36')
      ? ['floating_ips', 'security_groups', 'security_group_rules']
      : []
  const noImageMeta = req.version.gte('2.39')
  const detail = await deps.quotas.detail(projectId)
  const absolute: Record<string, number> = {}
  for (const [resource, names] of Object.entries(LIMIT_NAMES)) {
    if (filtered.includes(resource) || !detail[resource]) continue
    for (const name of names)
      if (!(noImageMeta && name === 'maxImageMeta')) absolute[name] = detail[resource].limit
  }
  for (const [name, resource] of Object.entries(USED_NAMES))
    if (!filtered.includes(resource) && detail[resource]) absolute[name] = detail[resource].in_use
  return { limits: { rate: [], absolute } }
}
