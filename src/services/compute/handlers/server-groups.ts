/**
 * Server group handlers: create (policies list before 2.64, one policy and rules from
 * 2.64), list (all projects for admins), show and delete (policy checked against the
 * group's project).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { GroupPolicy, ServerGroup } from '../domain/server-groups.js'
import { SERVER_GROUP } from '../policies/index.js'
import { LIST_GROUPS, LIST_GROUPS_275 } from '../schemas/server-groups.js'
import { bodyOf, type ComputeDeps, callerOf, params, queryOf } from './common.js'

function groupView(req: FastifyRequest, g: ServerGroup) {
  const rules = g.max_server_per_host === null ? {} : { max_server_per_host: g.max_server_per_host }
  return {
    id: g.uuid,
    name: g.name,
    ...(req.version.gte('2.64') ? { policy: g.policy, rules } : { policies: [g.policy], metadata: {} }),
    members: g.members,
    ...(req.version.gte('2.13') ? { project_id: g.project_id, user_id: g.user_id } : {}),
  }
}

export async function createGroup(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const sg = bodyOf(req).server_group
  const v264 = req.version.gte('2.64')
  const max =
    v264 && sg.rules?.max_server_per_host !== undefined ? Number(sg.rules.max_server_per_host) : undefined
  const group = await deps.groups.create(callerOf(req), {
    name: sg.name,
    policy: (v264 ? sg.policy : sg.policies[0]) as GroupPolicy,
    ...(max === undefined ? {} : { maxServerPerHost: max }),
  })
  return { server_group: groupView(req, group) }
}

export async function listGroups(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const q = queryOf(req, req.version.gte('2.75') ? LIST_GROUPS_275 : LIST_GROUPS)
  const caller = callerOf(req)
  const all =
    q.all_projects !== undefined &&
    caller.isAdmin &&
    req.ctx.allows(SERVER_GROUP.INDEX_ALL, { project_id: caller.projectId })
  const groups = await deps.groups.list(caller, all)
  const max = deps.config.api.max_limit
  const offset = q.offset === undefined ? 0 : Number(q.offset)
  const limit = Math.min(q.limit === undefined ? max : Number(q.limit), max)
  return { server_groups: groups.slice(offset, offset + limit).map((g) => groupView(req, g)) }
}

async function loadChecked(req: FastifyRequest, deps: ComputeDeps, rule: string): Promise<ServerGroup> {
  const group = await deps.groups.get(params(req).group_id!)
  req.ctx.can(rule, { project_id: group.project_id })
  return group
}

export async function showGroup(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { server_group: groupView(req, await loadChecked(req, deps, SERVER_GROUP.SHOW)) }
}

export async function deleteGroup(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await deps.groups.delete(await loadChecked(req, deps, SERVER_GROUP.DELETE))
  return reply.code(204).send()
}
