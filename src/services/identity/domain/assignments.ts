/**
 * Role assignments: grants of a role to a user or group on a project, a domain or the
 * system, optionally inherited to the projects below (OS-INHERIT); and the effective
 * view (groups expanded to members, inheritance to projects, implied roles added,
 * domain-specific roles dropped) that tokens and /v3/role_assignments?effective use.
 */

import { ActionForbidden, ResourceNotFound } from '../errors.js'
import type { AssignmentType } from '../storage/schema.js'
import type { Row } from '../storage/table.repo.js'
import { fromBool, type ResourceDeps, revoke, toBool } from './common.js'
import type { Project, Projects } from './projects.js'
import { impliedClosure, type Role, type Roles } from './roles.js'
import type { Users } from './users.js'

export type ActorKind = 'user' | 'group'
export type TargetKind = 'project' | 'domain' | 'system'

export interface Grant {
  actor: ActorKind
  actorId: string
  target: TargetKind
  /** 'system' for the system. */
  targetId: string
  roleId: string
  inherited: boolean
}

/** One row of /v3/role_assignments, before names are added. */
export interface AssignmentEntry extends Grant {
  /** Set on effective entries that came from a group membership. */
  viaGroup?: string
  /** Set on effective entries that came from an implied role. */
  priorRole?: string
  /** Set on effective entries that came from an inherited grant: where it was granted. */
  inheritedFrom?: { target: TargetKind; targetId: string }
}

export const SYSTEM_TARGET = 'system'

function typeOf(actor: ActorKind, target: TargetKind): AssignmentType {
  const a = actor === 'user' ? 'User' : 'Group'
  const t = target === 'project' ? 'Project' : target === 'domain' ? 'Domain' : 'System'
  return `${a}${t}` as AssignmentType
}

function fromRow(row: Row<'identity_assignment'>): Grant {
  const actor: ActorKind = row.type.startsWith('User') ? 'user' : 'group'
  const target: TargetKind = row.type.endsWith('Project')
    ? 'project'
    : row.type.endsWith('Domain')
      ? 'domain'
      : 'system'
  return {
    actor,
    actorId: row.actor_id,
    target,
    targetId: row.target_id,
    roleId: row.role_id,
    inherited: toBool(row.inherited),
  }
}

export interface AssignmentQuery {
  userId?: string
  groupId?: string
  projectId?: string
  domainId?: string
  system?: boolean
  roleId?: string
  /** Only inherited (true) grants. */
  inheritedOnly?: boolean
  effective?: boolean
  includeSubtree?: boolean
}

export class Assignments {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
    private readonly users: Users,
    private readonly roles: Roles,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  /** `granting`: the role's domain must fit the target (a check only asks whether it is there). */
  private async checkParts(g: Grant, granting = true): Promise<Role> {
    if (g.actor === 'user') await this.users.get(g.actorId)
    else await this.users.getGroup(g.actorId)
    let projectDomain: string | null = null
    if (g.target === 'project') projectDomain = (await this.projects.get(g.targetId)).domain_id
    else if (g.target === 'domain') await this.projects.getDomain(g.targetId)
    const role = await this.roles.get(g.roleId)
    // As Keystone: a domain-specific role goes on projects of its own domain only; on a
    // domain (its own or another) it may be granted.
    if (granting && role.domain_id !== null && g.target === 'project' && role.domain_id !== projectDomain) {
      throw new ActionForbidden(
        `Project ${g.targetId} must be in the same domain as the role ${role.id} being assigned.`,
      )
    }
    return role
  }

  private key(g: Grant) {
    return {
      type: typeOf(g.actor, g.target),
      actor_id: g.actorId,
      target_id: g.target === 'system' ? SYSTEM_TARGET : g.targetId,
      role_id: g.roleId,
      inherited: fromBool(g.inherited),
    }
  }

  async grant(g: Grant): Promise<void> {
    await this.checkParts(g)
    await this.repos.identity_assignment.insertIgnoringDuplicate(this.key(g))
  }

  async check(g: Grant): Promise<void> {
    // A domain-specific role on a project of another domain cannot be there: 404 as Keystone.
    await this.checkParts(g, false)
    if (!(await this.repos.identity_assignment.get(this.key(g)))) throw notFound(g)
  }

  async revoke(g: Grant): Promise<void> {
    await this.checkParts(g)
    const n = await this.repos.identity_assignment.delete(this.key(g))
    if (n === 0) throw notFound(g)
    const scope =
      g.target === 'project'
        ? { project_id: g.targetId }
        : g.target === 'domain'
          ? { domain_id: g.targetId }
          : {}
    if (g.actor === 'user') await revoke(this.deps, { user_id: g.actorId, ...(g.inherited ? {} : scope) })
    else {
      for (const m of await this.repos.identity_membership.list({ group_id: g.actorId })) {
        await revoke(this.deps, { user_id: m.user_id })
      }
    }
  }

  /** Roles granted directly on one target (GET /v3/projects/{p}/users/{u}/roles). */
  async listGrantedRoles(
    actor: ActorKind,
    actorId: string,
    target: TargetKind,
    targetId: string,
    inherited: boolean,
  ) {
    const g: Grant = { actor, actorId, target, targetId, roleId: '', inherited }
    if (actor === 'user') await this.users.get(actorId)
    else await this.users.getGroup(actorId)
    if (target === 'project') await this.projects.get(targetId)
    else if (target === 'domain') await this.projects.getDomain(targetId)
    const { role_id: _, ...key } = this.key(g)
    const rows = await this.repos.identity_assignment.list(key)
    return [...(await this.roles.byIds(rows.map((r) => r.role_id))).values()]
  }

  /** /v3/role_assignments. */
  async list(q: AssignmentQuery): Promise<AssignmentEntry[]> {
    let actorIds: string[] | undefined
    if (q.userId) actorIds = q.effective ? [q.userId, ...(await this.users.groupIdsOf(q.userId))] : [q.userId]
    else if (q.groupId) actorIds = [q.groupId]
    const rows = await this.repos.identity_assignment.list({ actor_id: actorIds })
    let entries: AssignmentEntry[] = rows.map(fromRow)

    if (q.effective) entries = await this.expand(entries, q.userId)

    let projectScope: Set<string> | undefined
    if (q.projectId) {
      projectScope = new Set([q.projectId])
      if (q.includeSubtree)
        for (const d of await this.projects.descendants(q.projectId)) projectScope.add(d.id)
    }
    return entries.filter((e) => {
      if (q.userId && !(e.actor === 'user' && e.actorId === q.userId)) return false
      if (q.groupId && !(e.actor === 'group' && e.actorId === q.groupId)) return false
      if (q.roleId && e.roleId !== q.roleId) return false
      if (projectScope && !(e.target === 'project' && projectScope.has(e.targetId))) return false
      if (q.domainId && !(e.target === 'domain' && e.targetId === q.domainId)) return false
      if (q.system && e.target !== 'system') return false
      if (q.inheritedOnly && !e.inherited) return false
      return true
    })
  }

  /** Turns direct grants into what they mean: members, inherited projects, implied roles. */
  private async expand(entries: AssignmentEntry[], onlyUser?: string): Promise<AssignmentEntry[]> {
    // 1. Group grants -> one entry per member.
    const byGroup = new Map<string, string[]>()
    const out1: AssignmentEntry[] = []
    for (const e of entries) {
      if (e.actor === 'user') {
        out1.push(e)
        continue
      }
      let members = byGroup.get(e.actorId)
      if (!members) {
        members = (await this.repos.identity_membership.list({ group_id: e.actorId })).map((m) => m.user_id)
        byGroup.set(e.actorId, members)
      }
      for (const m of members) {
        if (onlyUser && m !== onlyUser) continue
        out1.push({ ...e, actor: 'user', actorId: m, viaGroup: e.actorId })
      }
    }
    // 2. Inherited grants -> one entry per project below the target.
    const out2: AssignmentEntry[] = []
    const below = new Map<string, Project[]>()
    for (const e of out1) {
      if (!e.inherited) {
        out2.push(e)
        continue
      }
      const key = `${e.target}:${e.targetId}`
      let projects = below.get(key)
      if (!projects) {
        projects =
          e.target === 'domain'
            ? await this.projects.list({ domain_id: e.targetId })
            : e.target === 'project'
              ? await this.projects.descendants(e.targetId)
              : []
        below.set(key, projects)
      }
      for (const p of projects) {
        out2.push({
          ...e,
          target: 'project',
          targetId: p.id,
          inherited: false,
          inheritedFrom: { target: e.target, targetId: e.targetId },
        })
      }
    }
    // 3. Implied roles, then drop domain-specific roles (they only carry implications).
    const graph = await this.roles.inferenceGraph()
    const out3: AssignmentEntry[] = []
    for (const e of out2) {
      out3.push(e)
      for (const imp of impliedClosure(graph, e.roleId))
        out3.push({ ...e, roleId: imp.id, priorRole: imp.prior })
    }
    const roles = await this.roles.byIds(out3.map((e) => e.roleId))
    const seen = new Set<string>()
    return out3.filter((e) => {
      const r = roles.get(e.roleId)
      if (!r || r.domain_id !== null) return false
      const k = `${e.actorId}|${e.target}|${e.targetId}|${e.roleId}|${e.viaGroup ?? ''}|${e.inheritedFrom?.targetId ?? ''}`
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  }

  /** The roles a user holds on a scope, for tokens: effective, deduplicated, global roles only. */
  async effectiveRoles(
    userId: string,
    scope: { projectId?: string; domainId?: string; system?: boolean },
  ): Promise<Role[]> {
    const actorIds = [userId, ...(await this.users.groupIdsOf(userId))]
    const rows = (await this.repos.identity_assignment.list({ actor_id: actorIds })).map(fromRow)
    const direct = new Set<string>()
    if (scope.system) {
      for (const g of rows) if (g.target === 'system') direct.add(g.roleId)
    } else if (scope.domainId) {
      for (const g of rows)
        if (g.target === 'domain' && g.targetId === scope.domainId && !g.inherited) direct.add(g.roleId)
    } else if (scope.projectId) {
      const project = await this.projects.find(scope.projectId)
      if (!project) return []
      const ancestors = await this.projects.ancestors(scope.projectId)
      const inheritFrom = new Set(ancestors.map((a) => a.id))
      for (const g of rows) {
        if (g.target === 'project' && g.targetId === scope.projectId && !g.inherited) direct.add(g.roleId)
        else if (
          g.inherited &&
          (g.target === 'project' || g.target === 'domain') &&
          inheritFrom.has(g.targetId)
        ) {
          direct.add(g.roleId)
        }
      }
    }
    const graph = await this.roles.inferenceGraph()
    const all = new Set(direct)
    for (const r of direct) for (const imp of impliedClosure(graph, r)) all.add(imp.id)
    const roles = await this.roles.byIds([...all])
    return [...roles.values()]
      .filter((r) => r.domain_id === null)
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Projects (or domains) where the user has any effective role. */
  async targetsOf(userId: string, kind: 'project' | 'domain'): Promise<string[]> {
    const entries = await this.list({ userId, effective: true })
    return [...new Set(entries.filter((e) => e.target === kind).map((e) => e.targetId))]
  }
}

function notFound(g: Grant): ResourceNotFound {
  const where = g.target === 'system' ? 'system' : `${g.target} ${g.targetId}`
  return new ResourceNotFound('role assignment', `role ${g.roleId} for ${g.actor} ${g.actorId} on ${where}`)
}
