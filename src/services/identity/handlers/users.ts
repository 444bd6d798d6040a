/**
 * /v3/users (with password change, groups and projects of a user) and /v3/groups
 * (with membership).
 */
import type { FastifyRequest } from 'fastify'
import { splitExtra, wireTime } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { Group, User } from '../domain/users.js'
import { bodyOf, can, collection, compact, noContent, params, qb, qs, query, selfLink } from './common.js'
import type { Handler, IdentityDeps } from './deps.js'
import { projectView } from './projects.js'

export function userView(req: FastifyRequest, u: User) {
  return compact({
    ...u.extra,
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled,
    password_expires_at: wireTime(u.password_expires_at),
    options: u.options,
    default_project_id: u.default_project_id ?? undefined,
    description: u.description ?? undefined,
    links: selfLink(req, `users/${u.id}`),
  })
}

export function groupView(req: FastifyRequest, g: Group) {
  return {
    ...g.extra,
    id: g.id,
    name: g.name,
    domain_id: g.domain_id,
    description: g.description,
    links: selfLink(req, `groups/${g.id}`),
  }
}

const USER_FIELDS = [
  'name',
  'domain_id',
  'password',
  'enabled',
  'default_project_id',
  'description',
  'options',
] as const
const GROUP_FIELDS = ['name', 'domain_id', 'description'] as const

function callerDomain(req: FastifyRequest, d: IdentityDeps): string {
  const who = req.ctx.who
  return who.domain_id ?? (who.project_domain_id as string | undefined) ?? d.config.identity.default_domain_id
}

/** GET /v3/users */
export const listUsers: Handler = async (req, _reply, d) => {
  const q = query(req)
  const domainId = qs(q, 'domain_id')
  const scoped = req.ctx.who.domain_id
  // Keystone: a domain-scoped token lists its own domain, whatever the filter says.
  can(req, 'identity:list_users', { domain_id: scoped ?? domainId })
  const list = await d.users.list({
    name: qs(q, 'name'),
    domain_id: domainId ?? scoped,
    enabled: qb(q, 'enabled'),
  })
  return collection(
    req,
    'users',
    list.filter((u) => !scoped || u.domain_id === scoped).map((u) => userView(req, u)),
    {},
    listLimit(d.config, 'identity'),
  )
}

/** POST /v3/users */
export const createUser: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'user')
  const { known, extra } = splitExtra(body, USER_FIELDS)
  // Keystone checks the body as sent; the domain is filled in afterwards.
  can(req, 'identity:create_user', { user: known })
  const domainId = (known.domain_id as string | undefined) ?? callerDomain(req, d)
  const u = await d.users.create({ ...(known as { name: string }), domain_id: domainId, extra })
  return reply.code(201).send({ user: userView(req, u) })
}

/** GET /v3/users/:id */
export const getUser: Handler = async (req, _reply, d) => {
  const u = await d.users.get(params(req).id!)
  can(req, 'identity:get_user', { user: u })
  return { user: userView(req, u) }
}

/** PATCH /v3/users/:id */
export const updateUser: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  const body = bodyOf(req, 'user')
  const u = await d.users.get(id!)
  can(req, 'identity:update_user', { user: u })
  const { known, extra } = splitExtra(body, USER_FIELDS)
  return { user: userView(req, await d.users.update(id!, { ...known, extra })) }
}

/** DELETE /v3/users/:id */
export const deleteUser: Handler = async (req, reply, d) => {
  const u = await d.users.get(params(req).id!)
  can(req, 'identity:delete_user', { user: u })
  await d.users.delete(u.id)
  return noContent(reply)
}

/**
 * POST /v3/users/:id/password
 *
 * NOTE: Keystone leaves this call unprotected by policy: the original password is the
 * proof, so it works with an expired password and without a token.
 */
export const changePassword: Handler = async (req, reply, d) => {
  const body = bodyOf<{ original_password: string; password: string }>(req, 'user')
  await d.users.changePassword(params(req).id!, body.original_password, body.password)
  return noContent(reply)
}

/** GET /v3/users/:id/groups */
export const listGroupsForUser: Handler = async (req, _reply, d) => {
  const u = await d.users.get(params(req).id!)
  can(req, 'identity:list_groups_for_user', { user: u, user_id: u.id })
  // A domain-scoped caller sees the user's groups of its own domain only (as Keystone).
  const scoped = req.ctx.who.domain_id
  const groups = (await d.users.groupsOf(u.id)).filter((g) => !scoped || g.domain_id === scoped)
  return collection(
    req,
    'groups',
    groups.map((g) => groupView(req, g)),
  )
}

/** GET /v3/users/:id/projects */
export const listUserProjects: Handler = async (req, _reply, d) => {
  const u = await d.users.get(params(req).id!)
  can(req, 'identity:list_user_projects', { user: u })
  const q = query(req)
  const ids = await d.assignments.targetsOf(u.id, 'project')
  const list = await d.projects.list({
    ids,
    name: qs(q, 'name'),
    enabled: qb(q, 'enabled'),
    domain_id: qs(q, 'domain_id'),
  })
  return collection(
    req,
    'projects',
    list.map((p) => projectView(req, p)),
  )
}

// Groups

/** GET /v3/groups */
export const listGroups: Handler = async (req, _reply, d) => {
  const q = query(req)
  const domainId = qs(q, 'domain_id')
  const scoped = req.ctx.who.domain_id
  // Keystone: a domain-scoped token lists its own domain, whatever the filter says.
  can(req, 'identity:list_groups', {
    domain_id: scoped ?? domainId,
    ...(scoped ? { group: { domain_id: scoped } } : {}),
  })
  const list = await d.users.listGroups({ name: qs(q, 'name'), domain_id: domainId ?? scoped })
  return collection(
    req,
    'groups',
    list.filter((g) => !scoped || g.domain_id === scoped).map((g) => groupView(req, g)),
    {},
    listLimit(d.config, 'identity'),
  )
}

/** POST /v3/groups */
export const createGroup: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'group')
  const { known, extra } = splitExtra(body, GROUP_FIELDS)
  can(req, 'identity:create_group', { group: known })
  const domainId = (known.domain_id as string | undefined) ?? callerDomain(req, d)
  const g = await d.users.createGroup({ ...(known as { name: string }), domain_id: domainId, extra })
  return reply.code(201).send({ group: groupView(req, g) })
}

/** GET /v3/groups/:id */
export const getGroup: Handler = async (req, _reply, d) => {
  const g = await d.users.getGroup(params(req).id!)
  can(req, 'identity:get_group', { group: g })
  return { group: groupView(req, g) }
}

/** PATCH /v3/groups/:id */
export const updateGroup: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'group')
  const g = await d.users.getGroup(params(req).id!)
  can(req, 'identity:update_group', { group: g })
  const { known, extra } = splitExtra(body, GROUP_FIELDS)
  return { group: groupView(req, await d.users.updateGroup(g.id, { ...known, extra })) }
}

/** DELETE /v3/groups/:id */
export const deleteGroup: Handler = async (req, reply, d) => {
  const g = await d.users.getGroup(params(req).id!)
  can(req, 'identity:delete_group', { group: g })
  await d.users.deleteGroup(g.id)
  return noContent(reply)
}

/** GET /v3/groups/:id/users */
export const listUsersInGroup: Handler = async (req, _reply, d) => {
  const g = await d.users.getGroup(params(req).id!)
  can(req, 'identity:list_users_in_group', { group: g })
  const scoped = req.ctx.who.domain_id
  const users = (await d.users.membersOf(g.id)).filter((u) => !scoped || u.domain_id === scoped)
  return collection(
    req,
    'users',
    users.map((u) => userView(req, u)),
  )
}

/** PUT /v3/groups/:id/users/:user */
export const addUserToGroup: Handler = async (req, reply, d) => {
  const { id, user } = params(req)
  const g = await d.users.getGroup(id!)
  can(req, 'identity:add_user_to_group', { group: g, user: (await d.users.find(user!)) ?? { id: user } })
  await d.users.addMember(id!, user!)
  return noContent(reply)
}

/** GET /v3/groups/:id/users/:user */
export const checkUserInGroup: Handler = async (req, reply, d) => {
  const { id, user } = params(req)
  const g = await d.users.getGroup(id!)
  can(req, 'identity:check_user_in_group', { group: g, user: (await d.users.find(user!)) ?? { id: user } })
  await d.users.checkMember(id!, user!)
  return noContent(reply)
}

/** DELETE /v3/groups/:id/users/:user */
export const removeUserFromGroup: Handler = async (req, reply, d) => {
  const { id, user } = params(req)
  const g = await d.users.getGroup(id!)
  can(req, 'identity:remove_user_from_group', {
    group: g,
    user: (await d.users.find(user!)) ?? { id: user },
  })
  await d.users.removeMember(id!, user!)
  return noContent(reply)
}
