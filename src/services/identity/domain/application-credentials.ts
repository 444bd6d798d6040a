/**
 * Application credentials (a user's delegated secret for one project and a subset of
 * their roles) and their access rules (/v3/users/{id}/access_rules).
 */
import { randomBytes } from 'node:crypto'
import {
  ActionForbidden,
  AuthenticationFailed,
  notAuthorized,
  ResourceConflict,
  ResourceNotFound,
  ValidationFailed,
} from '../errors.js'
import type { Repos, Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import type { Assignments } from './assignments.js'
import { fromBool, newId, nowIso, type ResourceDeps, revoke, toBool } from './common.js'
import type { Hasher } from './passwords.js'
import type { ApplicationCredentialRecord, RoleRef } from './ports.js'
import type { Role, Roles } from './roles.js'
import type { Users } from './users.js'

export interface AccessRule {
  id: string
  service: string
  path: string
  method: string
}

export interface ApplicationCredential {
  id: string
  name: string
  user_id: string
  project_id: string
  description: string | null
  expires_at: string | null
  unrestricted: boolean
  roles: RoleRef[]
  access_rules: AccessRule[]
  /** Only on create. */
  secret?: string
}

export interface ApplicationCredentialInput {
  name: string
  description?: string | null
  secret?: string | null
  expires_at?: string | null
  unrestricted?: boolean
  roles?: Array<{ id?: string; name?: string; domain_id?: string | null }>
  access_rules?: Array<{ id?: string; service?: string; path?: string; method?: string }>
}

/** Who is asking, as the token says: roles default to the token's, and the project to the token's. */
export interface CallerScope {
  project_id?: string
  role_ids: readonly string[]
  application_credential_id?: string
}

export class ApplicationCredentials {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly users: Users,
    private readonly roles: Roles,
    private readonly assignments: Assignments,
    private readonly hasher: Hasher,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  private async view(row: Row<'identity_app_cred'>): Promise<ApplicationCredential> {
    const roleRows = await this.repos.identity_app_cred_role.list({ application_credential_id: row.id })
    const roles = await this.roles.byIds(roleRows.map((r) => r.role_id))
    const links = await this.repos.identity_app_cred_access_rule.list({ application_credential_id: row.id })
    const rules = await this.repos.identity_access_rule.list({ id: links.map((l) => l.access_rule_id) })
    return {
      id: row.id,
      name: row.name,
      user_id: row.user_id,
      project_id: row.project_id,
      description: row.description,
      expires_at: row.expires_at,
      unrestricted: toBool(row.unrestricted),
      roles: [...roles.values()].map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id })),
      access_rules: rules.map((r) => ({ id: r.id, service: r.service, path: r.path, method: r.method })),
    }
  }

  async get(userId: string, id: string): Promise<ApplicationCredential> {
    const row = await this.repos.identity_app_cred.get({ id, user_id: userId })
    if (!row) throw new ResourceNotFound('application credential', id)
    return this.view(row)
  }

  /** The user an application credential belongs to, whoever's path it was asked under. */
  async ownerOf(id: string): Promise<string | undefined> {
    return (await this.repos.identity_app_cred.get({ id }))?.user_id
  }

  async list(userId: string, f: { name?: string }): Promise<ApplicationCredential[]> {
    await this.users.get(userId)
    const rows = await this.repos.identity_app_cred.list(
      { user_id: userId, name: f.name },
      { orderBy: 'name' },
    )
    return Promise.all(rows.map((r) => this.view(r)))
  }

  async create(
    userId: string,
    caller: CallerScope,
    input: ApplicationCredentialInput,
  ): Promise<ApplicationCredential> {
    await this.users.get(userId)
    if (caller.application_credential_id) {
      const parent = await this.repos.identity_app_cred.get({ id: caller.application_credential_id })
      if (!parent || !toBool(parent.unrestricted)) {
        throw new ActionForbidden(
          notAuthorized(
            "Using method 'application_credential' is not allowed for managing additional application credentials.",
          ),
        )
      }
    }
    const projectId = caller.project_id
    if (!projectId) throw new ValidationFailed('Application credentials require a project-scoped token.')
    const held = await this.assignments.effectiveRoles(userId, { projectId })
    let wanted: Role[]
    if (input.roles && input.roles.length > 0) {
      wanted = []
      for (const ref of input.roles) {
        const r = ref.id
          ? await this.roles.find(ref.id)
          : await this.roles.findByName(ref.name ?? '', ref.domain_id ?? null)
        if (!r || !held.some((h) => h.id === r.id)) {
          throw new ActionForbidden(
            `Cannot create an application credential with a role the user does not hold: ${ref.id ?? ref.name}.`,
          )
        }
        wanted.push(r)
      }
    } else {
      const tokenRoles = new Set(caller.role_ids)
      wanted = held.filter((h) => tokenRoles.size === 0 || tokenRoles.has(h.id))
    }
    if (input.expires_at && Date.parse(input.expires_at) <= Date.now()) {
      throw new ValidationFailed("The 'expires_at' must not be before now.")
    }
    const secret = input.secret ?? randomBytes(48).toString('base64url')
    const id = newId()
    const secretHash = await this.hasher.hash(secret)
    await this.repos.transaction(async (tx) => {
      try {
        await tx.identity_app_cred.insert({
          id,
          name: input.name,
          user_id: userId,
          project_id: projectId,
          secret_hash: secretHash,
          description: input.description ?? null,
          expires_at: input.expires_at ?? null,
          unrestricted: fromBool(input.unrestricted ?? false),
          created_at: nowIso(),
        })
      } catch (e) {
        if (e instanceof DuplicateRow) {
          throw new ResourceConflict(
            'application_credential',
            `Duplicate entry found with name ${input.name}.`,
          )
        }
        throw e
      }
      for (const r of new Set(wanted.map((w) => w.id))) {
        await tx.identity_app_cred_role.insert({ application_credential_id: id, role_id: r })
      }
      for (const rule of input.access_rules ?? []) {
        let ruleId = rule.id
        if (ruleId) {
          if (!(await tx.identity_access_rule.get({ id: ruleId, user_id: userId }))) {
            throw new ResourceNotFound('access rule', ruleId)
          }
        } else {
          const key = { user_id: userId, service: rule.service!, path: rule.path!, method: rule.method! }
          const existing = await tx.identity_access_rule.get(key)
          ruleId = existing?.id ?? newId()
          if (!existing) await tx.identity_access_rule.insert({ id: ruleId, ...key })
        }
        await tx.identity_app_cred_access_rule.insertIgnoringDuplicate({
          application_credential_id: id,
          access_rule_id: ruleId,
        })
      }
    })
    return { ...(await this.get(userId, id)), secret }
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.get(userId, id)
    await this.repos.transaction((tx) => deleteApplicationCredentials(tx, [id]))
    await revoke(this.deps, { application_credential_id: id })
  }

  // Access rules
  async listAccessRules(
    userId: string,
    f: { service?: string; path?: string; method?: string },
  ): Promise<AccessRule[]> {
    await this.users.get(userId)
    const rows = await this.repos.identity_access_rule.list({ user_id: userId, ...f })
    return rows.map((r) => ({ id: r.id, service: r.service, path: r.path, method: r.method }))
  }

  async getAccessRule(userId: string, id: string): Promise<AccessRule> {
    const r = await this.repos.identity_access_rule.get({ id, user_id: userId })
    if (!r) throw new ResourceNotFound('access rule', id)
    return { id: r.id, service: r.service, path: r.path, method: r.method }
  }

  async deleteAccessRule(userId: string, id: string): Promise<void> {
    await this.getAccessRule(userId, id)
    if ((await this.repos.identity_app_cred_access_rule.count({ access_rule_id: id })) > 0) {
      throw new ActionForbidden(`Cannot delete access rule ${id}: it is used by an application credential.`)
    }
    await this.repos.identity_access_rule.delete({ id })
  }

  // For token issue
  async findRecord(ref: {
    id?: string
    name?: string
    userId?: string
  }): Promise<ApplicationCredentialRecord | undefined> {
    const row = ref.id
      ? await this.repos.identity_app_cred.get({ id: ref.id })
      : ref.name && ref.userId
        ? await this.repos.identity_app_cred.get({ name: ref.name, user_id: ref.userId })
        : undefined
    if (!row) return undefined
    const v = await this.view(row)
    return {
      id: v.id,
      name: v.name,
      user_id: v.user_id,
      project_id: v.project_id,
      roles: v.roles,
      unrestricted: v.unrestricted,
      expires_at: v.expires_at,
      access_rules: v.access_rules,
    }
  }

  async checkSecret(id: string, secret: string): Promise<void> {
    const row = await this.repos.identity_app_cred.get({ id })
    if (!row || !(await this.hasher.verify(secret, row.secret_hash))) throw new AuthenticationFailed()
    if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) throw new AuthenticationFailed()
  }
}

/**
 * Deletes application credentials with their role and access-rule links, inside the
 * caller's transaction. Used on delete, and where Keystone deletes a user's
 * credentials for them: the user deleted or disabled, a role they rely on deleted.
 */
export async function deleteApplicationCredentials(tx: Repos, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await tx.identity_app_cred_role.delete({ application_credential_id: ids })
  await tx.identity_app_cred_access_rule.delete({ application_credential_id: ids })
  await tx.identity_app_cred.delete({ id: ids })
}
