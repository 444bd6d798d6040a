/**
 * /v3/roles, role inference rules, grants on projects/domains/system (and OS-INHERIT),
 * and /v3/role_assignments.
 */
import type { FastifyRequest } from 'fastify'
import type { ActorKind, AssignmentEntry, Grant, TargetKind } from '../domain/assignments.js'
import { splitExtra } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { Role } from '../domain/roles.js'
import { ValidationFailed } from '../errors.js'
import { bodyOf, can, collection, noContent, params, qb, qs, query, selfLink, v3Base } from './common.js'
import type { Handler, IdentityDeps } from './deps.js'

export function roleView(req: FastifyRequest, r: Role) {
  return {
    ...r.extra,
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description,
    options: r.options,
    links: selfLink(req, `roles/${r.id}`),
  }
}

const brief = (req: FastifyRequest, r: Role) => ({
  id: r.id,
  name: r.name,
  links: selfLink(req, `roles/${r.id}`),
})
const ROLE_FIELDS = ['name', 'domain_id', 'description', 'options'] as const

/** GET /v3/roles */
export const listRoles: Handler = async (req, _reply, d) => {
  const q = query(req)
  const domainId = qs(q, 'domain_id')
  can(req, domainId ? 'identity:list_domain_roles' : 'identity:list_roles', { domain_id: domainId })
  const list = await d.roles.list({ name: qs(q, 'name'), domain_id: domainId })
  return collection(
    req,
    'roles',
    list.map((x) => roleView(req, x)),
    {},
    listLimit(d.config, 'role'),
  )
}

/** POST /v3/roles */
export const createRole: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'role')
  const { known, extra } = splitExtra(body, ROLE_FIELDS)
  can(req, known.domain_id ? 'identity:create_domain_role' : 'identity:create_role', { role: known })
  const role = await d.roles.create({ ...(known as { name: string }), extra })
  return reply.code(201).send({ role: roleView(req, role) })
}

/** GET /v3/roles/:id */
export const getRole: Handler = async (req, _reply, d) => {
  const role = await d.roles.get(params(req).id!)
  can(req, role.domain_id ? 'identity:get_domain_role' : 'identity:get_role', { role })
  return { role: roleView(req, role) }
}

/** PATCH /v3/roles/:id */
export const updateRole: Handler = async (req, _reply, d) => {
  const body = bodyOf(req, 'role')
  const role = await d.roles.get(params(req).id!)
  can(req, role.domain_id ? 'identity:update_domain_role' : 'identity:update_role', { role })
  const { known, extra } = splitExtra(body, ROLE_FIELDS)
  return { role: roleView(req, await d.roles.update(role.id, { ...known, extra })) }
}

/** DELETE /v3/roles/:id */
export const deleteRole: Handler = async (req, reply, d) => {
  const role = await d.roles.get(params(req).id!)
  can(req, role.domain_id ? 'identity:delete_domain_role' : 'identity:delete_role', { role })
  await d.roles.delete(role.id)
  return noContent(reply)
}

// Implied roles

/** GET /v3/roles/:id/implies */
export const listImpliedRoles: Handler = async (req, _reply, d) => {
  const { prior, implies } = await d.roles.listImplied(params(req).id!)
  return {
    role_inference: { prior_role: brief(req, prior), implies: implies.map((x) => brief(req, x)) },
    links: selfLink(req, `roles/${prior.id}/implies`),
  }
}

/** PUT /v3/roles/:id/implies/:implied */
export const createImpliedRole: Handler = async (req, reply, d) => {
  const { id, implied } = params(req)
  const rule = await d.roles.createImplied(id!, implied!)
  return reply.code(201).send(inference(req, rule))
}

/** GET /v3/roles/:id/implies/:implied */
export const getImpliedRole: Handler = async (req, reply, d) => {
  const { id, implied } = params(req)
  can(req, req.method === 'HEAD' ? 'identity:check_implied_role' : 'identity:get_implied_role', {})
  const rule = await d.roles.getImplied(id!, implied!)
  if (req.method === 'HEAD') return noContent(reply)
  return inference(req, rule)
}

/** DELETE /v3/roles/:id/implies/:implied */
export const deleteImpliedRole: Handler = async (req, reply, d) => {
  const { id, implied } = params(req)
  await d.roles.deleteImplied(id!, implied!)
  return noContent(reply)
}

/** GET /v3/role_inferences */
export const listRoleInferenceRules: Handler = async (req, _reply, d) => {
  const all = await d.roles.listInferences()
  return {
    role_inferences: all.map((x) => ({
      prior_role: brief(req, x.prior),
      implies: x.implies.map((i) => brief(req, i)),
    })),
    links: selfLink(req, 'role_inferences'),
  }
}

/** GET /v3/role_assignments */
export const listRoleAssignments: Handler = async (req, _reply, d) => {
  const q = query(req)
  const includeSubtree = qb(q, 'include_subtree') === true
  const projectId = qs(q, 'scope.project.id')
  if (includeSubtree && !projectId) {
    throw new ValidationFailed('scope.project.id needs to be specified if include_subtree is also specified.')
  }
  if (qs(q, 'user.id') && qs(q, 'group.id')) {
    throw new ValidationFailed('Specify a user or group, not both.')
  }
  const domainId = qs(q, 'scope.domain.id')
  const scoped = req.ctx.who.domain_id
  if (includeSubtree) {
    const project = await d.projects.get(projectId!)
    can(req, 'identity:list_role_assignments_for_tree', { project })
  } else {
    // Keystone: a domain-scoped token is checked against its own domain, and the
    // answer is cut down to assignments on that domain and its projects (below).
    can(req, 'identity:list_role_assignments', scoped ? { domain_id: scoped } : {})
  }
  const entries = await d.assignments.list({
    userId: qs(q, 'user.id'),
    groupId: qs(q, 'group.id'),
    projectId,
    domainId,
    system: q['scope.system'] !== undefined,
    roleId: qs(q, 'role.id'),
    inheritedOnly: q['scope.OS-INHERIT:inherited_to'] !== undefined,
    effective: qb(q, 'effective') === true,
    includeSubtree,
  })
  const visible = includeSubtree || !scoped ? entries : await inDomain(d, entries, scoped)
  const views = await assignmentViews(req, d, visible, qb(q, 'include_names') === true)
  return collection(req, 'role_assignments', views)
}

/**
 * A role as a policy target. oslo.policy formats a global role's `domain_id` (None) as
 * the text `None`, which `None:%(target.role.domain_id)s` in the grant rules relies on.
 */
function policyRole(r: Role) {
  return { id: r.id, name: r.name, domain_id: r.domain_id ?? 'None' }
}

function inference(req: FastifyRequest, rule: { prior: Role; implied: Role }) {
  return {
    role_inference: { prior_role: brief(req, rule.prior), implies: brief(req, rule.implied) },
    links: selfLink(req, `roles/${rule.prior.id}/implies/${rule.implied.id}`),
  }
}

/** A family of grant routes: e.g. a user's roles on a project, or a group's inherited ones on a domain. */
export interface GrantKind {
  target: TargetKind
  actor: ActorKind
  inherited: boolean
}

export type GrantOperation = 'list' | 'check' | 'create' | 'revoke'

/** The policy rule of a grant operation (system grants have their own, per actor). */
export function grantRule(kind: GrantKind, op: GrantOperation): string {
  return kind.target === 'system'
    ? `identity:${op === 'list' ? 'list_system_grants' : `${op}_system_grant`}_for_${kind.actor}`
    : `identity:${op === 'list' ? 'list_grants' : `${op}_grant`}`
}

function grantOf(req: FastifyRequest, kind: GrantKind): Grant {
  const p = params(req)
  return {
    actor: kind.actor,
    actorId: p.actor!,
    target: kind.target,
    targetId: kind.target === 'system' ? 'system' : p.target!,
    roleId: p.role ?? '',
    inherited: kind.inherited,
  }
}

/**
 * Keystone's grant target: the role, the actor and the project or domain, each loaded
 * (404 when missing) before the policy check; a revoke tolerates a deleted actor.
 */
async function grantTarget(d: IdentityDeps, g: Grant, op: GrantOperation) {
  const t: Record<string, unknown> = {}
  if (g.roleId) t.role = policyRole(await d.roles.get(g.roleId))
  const load = g.actor === 'user' ? d.users.get(g.actorId) : d.users.getGroup(g.actorId)
  t[g.actor] = op === 'revoke' ? await load.catch(() => ({ id: g.actorId })) : await load
  if (g.target === 'project') t.project = await d.projects.get(g.targetId)
  if (g.target === 'domain') t.domain = await d.projects.getDomain(g.targetId)
  return t
}

/** The four handlers of one family of grant routes. */
export function grantHandlers(kind: GrantKind): Record<GrantOperation, Handler> {
  const enforce = async (req: FastifyRequest, d: IdentityDeps, op: GrantOperation) => {
    const g = grantOf(req, kind)
    can(req, grantRule(kind, op), await grantTarget(d, g, op))
    return g
  }
  return {
    /** GET .../roles */
    list: async (req, _reply, d) => {
      const g = await enforce(req, d, 'list')
      const roles = await d.assignments.listGrantedRoles(
        g.actor,
        g.actorId,
        g.target,
        g.targetId,
        g.inherited,
      )
      return collection(
        req,
        'roles',
        roles.map((x) => roleView(req, x)),
      )
    },
    /** PUT .../roles/:role */
    create: async (req, reply, d) => {
      await d.assignments.grant(await enforce(req, d, 'create'))
      return noContent(reply)
    },
    /** GET and HEAD .../roles/:role */
    check: async (req, reply, d) => {
      await d.assignments.check(await enforce(req, d, 'check'))
      return noContent(reply)
    },
    /** DELETE .../roles/:role */
    revoke: async (req, reply, d) => {
      await d.assignments.revoke(await enforce(req, d, 'revoke'))
      return noContent(reply)
    },
  }
}

/** The entries on `domainId` itself or on one of its projects. */
async function inDomain(d: IdentityDeps, entries: AssignmentEntry[], domainId: string) {
  const projectDomain = new Map<string, string | null | undefined>()
  const out: AssignmentEntry[] = []
  for (const e of entries) {
    if (e.target === 'domain' && e.targetId === domainId) out.push(e)
    if (e.target !== 'project') continue
    if (!projectDomain.has(e.targetId))
      projectDomain.set(e.targetId, (await d.projects.find(e.targetId))?.domain_id)
    if (projectDomain.get(e.targetId) === domainId) out.push(e)
  }
  return out
}

async function assignmentViews(
  req: FastifyRequest,
  d: IdentityDeps,
  entries: AssignmentEntry[],
  names: boolean,
) {
  const base = v3Base(req)
  const roles = await d.roles.byIds(entries.map((e) => e.roleId))
  const domainNames = new Map<string, string>()
  const domainOf = async (id: string) => {
    if (!domainNames.has(id)) domainNames.set(id, (await d.projects.find(id))?.name ?? '')
    return { id, name: domainNames.get(id)! }
  }
  const out: Record<string, unknown>[] = []
  for (const e of entries) {
    const role = roles.get(e.roleId)
    const view: Record<string, unknown> = {}
    view.role =
      names && role
        ? {
            id: role.id,
            name: role.name,
            ...(role.domain_id ? { domain: await domainOf(role.domain_id) } : {}),
          }
        : { id: e.roleId }
    if (e.actor === 'user') {
      const u = names ? await d.users.find(e.actorId) : undefined
      view.user = u ? { id: u.id, name: u.name, domain: await domainOf(u.domain_id) } : { id: e.actorId }
    } else {
      const g = names ? await d.users.getGroup(e.actorId).catch(() => undefined) : undefined
      view.group = g ? { id: g.id, name: g.name, domain: await domainOf(g.domain_id) } : { id: e.actorId }
    }
    const scope: Record<string, unknown> = {}
    if (e.target === 'system') scope.system = { all: true }
    else if (e.target === 'domain') scope.domain = names ? await domainOf(e.targetId) : { id: e.targetId }
    else {
      const p = names ? await d.projects.find(e.targetId) : undefined
      scope.project = p
        ? { id: p.id, name: p.name, domain: await domainOf(p.domain_id ?? p.id) }
        : { id: e.targetId }
    }
    if (e.inherited) scope['OS-INHERIT:inherited_to'] = 'projects'
    view.scope = scope

    // links.assignment points at the grant this entry comes from.
    const from = e.inheritedFrom ?? { target: e.target, targetId: e.targetId }
    const inherited = e.inherited || e.inheritedFrom !== undefined
    const actorPath = e.viaGroup ? `groups/${e.viaGroup}` : `${e.actor}s/${e.actorId}`
    const targetPath = from.target === 'system' ? 'system' : `${from.target}s/${from.targetId}`
    const links: Record<string, string> = {
      assignment: inherited
        ? `${base}/OS-INHERIT/${targetPath}/${actorPath}/roles/${e.priorRole ?? e.roleId}/inherited_to_projects`
        : `${base}/${targetPath}/${actorPath}/roles/${e.priorRole ?? e.roleId}`,
    }
    if (e.viaGroup) links.membership = `${base}/groups/${e.viaGroup}/users/${e.actorId}`
    if (e.priorRole) links.prior_role = `${base}/roles/${e.priorRole}`
    view.links = links
    out.push(view)
  }
  return out
}
