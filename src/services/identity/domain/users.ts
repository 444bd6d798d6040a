/**
 * Users, their passwords (history, expiry, lockout: Keystone's PCI-DSS
 * `[security_compliance]` rules), groups and group membership.
 */

import { AuthenticationFailed, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import { deleteApplicationCredentials } from './application-credentials.js'
import {
  fromBool,
  newId,
  nowIso,
  parseJson,
  type ResourceDeps,
  revoke,
  toBool,
  uniqueName,
} from './common.js'
import { createHasher, type Hasher } from './passwords.js'
import type { Projects } from './projects.js'
import { deleteTrusts } from './trusts.js'

export const USER_OPTIONS = [
  'ignore_change_password_upon_first_use',
  'ignore_password_expiry',
  'ignore_lockout_failure_attempts',
  'lock_password',
  'ignore_user_inactivity',
  'multi_factor_auth_rules',
  'multi_factor_auth_enabled',
] as const

export interface User {
  id: string
  name: string
  domain_id: string
  enabled: boolean
  default_project_id: string | null
  description: string | null
  password_expires_at: string | null
  options: Record<string, unknown>
  extra: Record<string, unknown>
  created_at: string
  has_password: boolean
}

export interface Group {
  id: string
  name: string
  domain_id: string
  description: string
  extra: Record<string, unknown>
}

const DAY = 86_400_000

export class Users {
  readonly hasher: Hasher

  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
  ) {
    this.hasher = createHasher(
      deps.config.identity.password_hash_algorithm,
      deps.config.identity.password_hash_rounds,
    )
  }

  private get repos() {
    return this.deps.repos
  }

  /** The user's current password hash (bootstrap compares it instead of re-running bcrypt). */
  async passwordHash(userId: string): Promise<string | undefined> {
    return (await this.currentPassword(userId))?.password_hash ?? undefined
  }

  private async currentPassword(userId: string): Promise<Row<'identity_password'> | undefined> {
    const rows = await this.repos.identity_password.list({ user_id: userId }, { orderBy: 'created_at' })
    return rows.at(-1)
  }

  private async toUser(row: Row<'identity_user'>): Promise<User> {
    const pw = await this.currentPassword(row.id)
    return {
      id: row.id,
      name: row.name,
      domain_id: row.domain_id,
      enabled: toBool(row.enabled),
      default_project_id: row.default_project_id,
      description: row.description,
      password_expires_at: pw?.expires_at ?? null,
      options: parseJson(row.options, {}),
      extra: parseJson(row.extra, {}),
      created_at: row.created_at,
      has_password: pw !== undefined,
    }
  }

  async find(id: string): Promise<User | undefined> {
    const row = await this.repos.identity_user.get({ id })
    return row ? this.toUser(row) : undefined
  }

  async get(id: string): Promise<User> {
    const u = await this.find(id)
    if (!u) throw new ResourceNotFound('user', id)
    return u
  }

  async findByName(name: string, domainId: string): Promise<User | undefined> {
    const row = await this.repos.identity_user.get({ name, domain_id: domainId })
    return row ? this.toUser(row) : undefined
  }

  async list(f: { name?: string; domain_id?: string; enabled?: boolean; ids?: string[] }): Promise<User[]> {
    const rows = await this.repos.identity_user.list(
      {
        name: f.name,
        domain_id: f.domain_id,
        enabled: f.enabled === undefined ? undefined : fromBool(f.enabled),
        id: f.ids,
      },
      { orderBy: 'name' },
    )
    return Promise.all(rows.map((r) => this.toUser(r)))
  }

  private checkPasswordRules(password: string): void {
    const sc = this.deps.config.security_compliance
    if (password.length > this.deps.config.identity.max_password_length) {
      throw new ValidationFailed("Invalid input for field 'password': the password is too long.")
    }
    if (sc.password_regex && !new RegExp(sc.password_regex).test(password)) {
      const why = sc.password_regex_description ?? 'The password does not meet the requirements.'
      throw new ValidationFailed(`The password does not match the requirements: ${why}`)
    }
  }

  private expiryFor(options: Record<string, unknown>, selfService: boolean): string | null {
    const sc = this.deps.config.security_compliance
    // An administrator-set password must be changed at first use (PCI-DSS 8.2.6).
    if (
      !selfService &&
      sc.change_password_upon_first_use &&
      options.ignore_change_password_upon_first_use !== true
    ) {
      return nowIso()
    }
    if (sc.password_expires_days !== undefined && options.ignore_password_expiry !== true) {
      return new Date(Date.now() + sc.password_expires_days * DAY).toISOString()
    }
    return null
  }

  async create(input: {
    name: string
    domain_id: string
    password?: string | null
    enabled?: boolean
    default_project_id?: string | null
    description?: string | null
    options?: Record<string, unknown>
    extra?: Record<string, unknown>
    id?: string
  }): Promise<User> {
    await this.projects.getDomain(input.domain_id)
    if (input.password) this.checkPasswordRules(input.password)
    const id = input.id ?? newId()
    const options = cleanOptions(input.options ?? {})
    const now = nowIso()
    const hash = input.password ? await this.hasher.hash(input.password) : undefined
    await this.repos.transaction(async (tx) => {
      await uniqueName('user', input.name, input.domain_id, async () => {
        await tx.identity_user.insert({
          id,
          name: input.name,
          domain_id: input.domain_id,
          enabled: fromBool(input.enabled ?? true),
          default_project_id: input.default_project_id ?? null,
          description: input.description ?? null,
          extra: JSON.stringify(input.extra ?? {}),
          options: JSON.stringify(options),
          created_at: now,
          last_active_at: null,
          failed_auth_count: 0,
          failed_auth_at: null,
        })
      })
      if (hash) {
        await tx.identity_password.insert({
          id: newId(),
          user_id: id,
          password_hash: hash,
          created_at: now,
          expires_at: this.expiryFor(options, false),
          self_service: 0,
        })
      }
    })
    return this.get(id)
  }

  async update(
    id: string,
    patch: {
      name?: string
      enabled?: boolean
      password?: string | null
      default_project_id?: string | null
      description?: string | null
      domain_id?: string
      options?: Record<string, unknown>
      extra?: Record<string, unknown>
    },
  ): Promise<User> {
    const cur = await this.get(id)
    if (patch.domain_id !== undefined && patch.domain_id !== cur.domain_id) {
      throw new ValidationFailed('Update of `domain_id` is not allowed.')
    }
    const set: Partial<Row<'identity_user'>> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.enabled !== undefined) {
      set.enabled = fromBool(patch.enabled)
      if (patch.enabled) {
        set.failed_auth_count = 0
        set.failed_auth_at = null
      }
    }
    if (patch.default_project_id !== undefined) set.default_project_id = patch.default_project_id
    if (patch.description !== undefined) set.description = patch.description
    const options = cleanOptions({ ...cur.options, ...(patch.options ?? {}) })
    if (patch.options !== undefined) set.options = JSON.stringify(options)
    if (patch.extra !== undefined) {
      const extra = { ...cur.extra, ...patch.extra }
      for (const [k, v] of Object.entries(extra)) if (v === null && k !== 'email') delete extra[k]
      set.extra = JSON.stringify(extra)
    }
    if (patch.password) this.checkPasswordRules(patch.password)
    const hash = patch.password ? await this.hasher.hash(patch.password) : undefined
    await this.repos.transaction(async (tx) => {
      await uniqueName('user', patch.name, cur.domain_id, async () => {
        await tx.identity_user.update({ id }, set)
      })
      // NOTE: an administrator's reset is not checked against the password history.
      if (hash) await this.storePassword(tx, id, hash, this.expiryFor(options, false), false)
      else if (patch.password === null) await tx.identity_password.delete({ user_id: id })
      // NOTE: as Keystone, disabling a user deletes their application credentials and
      // access rules: re-enabling the user must not bring old delegated secrets back.
      if (patch.enabled === false && cur.enabled) {
        const appCreds = (await tx.identity_app_cred.list({ user_id: id })).map((a) => a.id)
        await deleteApplicationCredentials(tx, appCreds)
        await tx.identity_access_rule.delete({ user_id: id })
      }
    })
    if ((patch.enabled === false && cur.enabled) || patch.password !== undefined) {
      await revoke(this.deps, { user_id: id })
    }
    return this.get(id)
  }

  private async storePassword(
    tx: ResourceDeps['repos'],
    userId: string,
    hash: string,
    expiresAt: string | null,
    selfService: boolean,
  ): Promise<void> {
    // Every password except the current one expires now. As Keystone, the history keeps
    // the new password plus the last unique_last_password_count (at least one) before it.
    const keep = Math.max(this.deps.config.security_compliance.unique_last_password_count, 1) + 1
    const rows = await tx.identity_password.list({ user_id: userId }, { orderBy: 'created_at' })
    const now = nowIso()
    await tx.identity_password.insert({
      id: newId(),
      user_id: userId,
      password_hash: hash,
      // NOTE: the new row must sort last even when the clock did not move.
      created_at: rows.length > 0 && rows.at(-1)!.created_at >= now ? bump(rows.at(-1)!.created_at) : now,
      expires_at: expiresAt,
      self_service: fromBool(selfService),
    })
    const drop = rows.slice(0, Math.max(0, rows.length + 1 - keep)).map((r) => r.id)
    await tx.identity_password.delete({ id: drop })
  }

  async delete(id: string): Promise<void> {
    await this.get(id)
    const trusts = await this.repos.transaction(async (tx) => {
      await tx.identity_membership.delete({ user_id: id })
      await tx.identity_assignment.delete({ actor_id: id })
      await tx.identity_password.delete({ user_id: id })
      const appCreds = (await tx.identity_app_cred.list({ user_id: id })).map((a) => a.id)
      await deleteApplicationCredentials(tx, appCreds)
      await tx.identity_access_rule.delete({ user_id: id })
      await tx.identity_credential.delete({ user_id: id })
      // Trusts where the user is trustor or trustee go with them (and what was
      // redelegated from those).
      const deleted = await deleteTrusts(tx, [
        ...(await tx.identity_trust.list({ trustor_user_id: id })),
        ...(await tx.identity_trust.list({ trustee_user_id: id })),
      ])
      await tx.identity_user.delete({ id })
      return deleted
    })
    await revoke(this.deps, { user_id: id })
    for (const t of trusts) await revoke(this.deps, { trust_id: t })
  }

  /**
   * Authenticates a password and applies lockout and expiry. Every failure says the
   * same thing, whether or not the user exists; lockout and expiry are told only once the
   * password has been checked against a real user (Keystone does the same).
   */
  async checkPassword(userId: string, password: string): Promise<void> {
    const sc = this.deps.config.security_compliance
    const row = await this.repos.identity_user.get({ id: userId })
    if (!row) throw new AuthenticationFailed()
    const options = parseJson<Record<string, unknown>>(row.options, {})
    const lockoutOn =
      sc.lockout_failure_attempts !== undefined && options.ignore_lockout_failure_attempts !== true
    if (lockoutOn && row.failed_auth_count >= sc.lockout_failure_attempts! && row.failed_auth_at) {
      const until = Date.parse(row.failed_auth_at) + sc.lockout_duration * 1000
      if (Date.now() < until) throw new AuthenticationFailed(`The account is locked for user: ${userId}.`)
      await this.repos.identity_user.update({ id: userId }, { failed_auth_count: 0, failed_auth_at: null })
      row.failed_auth_count = 0
    }
    const pw = await this.currentPassword(userId)
    const ok = pw ? await this.hasher.verify(password, pw.password_hash) : false
    if (!ok) {
      if (lockoutOn) {
        await this.repos.identity_user.update(
          { id: userId },
          { failed_auth_count: row.failed_auth_count + 1, failed_auth_at: nowIso() },
        )
      }
      throw new AuthenticationFailed()
    }
    if (!toBool(row.enabled)) throw new AuthenticationFailed(`User ${userId} is disabled.`)
    if (
      pw?.expires_at &&
      Date.parse(pw.expires_at) <= Date.now() &&
      options.ignore_password_expiry !== true
    ) {
      throw new AuthenticationFailed(`The password is expired and needs to be changed for user: ${userId}.`)
    }
    const set: Partial<Row<'identity_user'>> = { last_active_at: nowIso().slice(0, 10) }
    if (row.failed_auth_count > 0 || row.failed_auth_at) {
      set.failed_auth_count = 0
      set.failed_auth_at = null
    }
    await this.repos.identity_user.update({ id: userId }, set)
  }

  /** Self-service change (POST /v3/users/{id}/password): original password, history, age. */
  async changePassword(userId: string, original: string, password: string): Promise<void> {
    const sc = this.deps.config.security_compliance
    const user = await this.find(userId)
    if (!user) throw new AuthenticationFailed()
    if (user.options.lock_password === true) {
      throw new ValidationFailed(
        `You cannot change your password at this time due to the lock password option: ${userId}.`,
      )
    }
    // NOTE: an expired password may still be used to change it.
    const pw = await this.currentPassword(userId)
    const ok = pw ? await this.hasher.verify(original, pw.password_hash) : false
    if (!ok || !user.enabled) throw new AuthenticationFailed()
    if (sc.minimum_password_age > 0 && pw && pw.self_service === 1) {
      const allowed = Date.parse(pw.created_at) + sc.minimum_password_age * DAY
      if (Date.now() < allowed) {
        throw new ValidationFailed(
          `You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for ${sc.minimum_password_age} day(s) before it can be changed. Please try again in ${Math.ceil((allowed - Date.now()) / DAY)} day(s) or contact your administrator to reset your password.`,
        )
      }
    }
    this.checkPasswordRules(password)
    // As Keystone: the new password must differ from the last unique_last_password_count
    // passwords stored, the current one included.
    const history = await this.repos.identity_password.list({ user_id: userId }, { orderBy: 'created_at' })
    const recent = sc.unique_last_password_count > 0 ? history.slice(-sc.unique_last_password_count) : []
    for (const h of recent) {
      if (await this.hasher.verify(password, h.password_hash)) {
        throw new ValidationFailed(
          `The new password cannot be identical to a previous password. The total number which includes the new password must be unique is ${sc.unique_last_password_count}.`,
        )
      }
    }
    const hash = await this.hasher.hash(password)
    const expires =
      sc.password_expires_days !== undefined && user.options.ignore_password_expiry !== true
        ? new Date(Date.now() + sc.password_expires_days * DAY).toISOString()
        : null
    await this.repos.transaction((tx) => this.storePassword(tx, userId, hash, expires, true))
    await revoke(this.deps, { user_id: userId })
  }

  // Groups
  private toGroup(row: Row<'identity_group'>): Group {
    return {
      id: row.id,
      name: row.name,
      domain_id: row.domain_id,
      description: row.description ?? '',
      extra: parseJson(row.extra, {}),
    }
  }

  async getGroup(id: string): Promise<Group> {
    const row = await this.repos.identity_group.get({ id })
    if (!row) throw new ResourceNotFound('group', id)
    return this.toGroup(row)
  }

  async listGroups(f: { name?: string; domain_id?: string; ids?: string[] }): Promise<Group[]> {
    const rows = await this.repos.identity_group.list(
      { name: f.name, domain_id: f.domain_id, id: f.ids },
      { orderBy: 'name' },
    )
    return rows.map((r) => this.toGroup(r))
  }

  async createGroup(input: {
    name: string
    domain_id: string
    description?: string | null
    extra?: Record<string, unknown>
  }): Promise<Group> {
    await this.projects.getDomain(input.domain_id)
    const id = newId()
    await uniqueName('group', input.name, input.domain_id, async () => {
      await this.repos.identity_group.insert({
        id,
        name: input.name,
        domain_id: input.domain_id,
        description: input.description ?? '',
        extra: JSON.stringify(input.extra ?? {}),
      })
    })
    return this.getGroup(id)
  }

  async updateGroup(
    id: string,
    patch: {
      name?: string
      description?: string | null
      domain_id?: string
      extra?: Record<string, unknown>
    },
  ): Promise<Group> {
    const cur = await this.getGroup(id)
    if (patch.domain_id !== undefined && patch.domain_id !== cur.domain_id) {
      throw new ValidationFailed('Update of `domain_id` is not allowed.')
    }
    const set: Partial<Row<'identity_group'>> = {}
    if (patch.name !== undefined) set.name = patch.name
    if (patch.description !== undefined) set.description = patch.description ?? ''
    if (patch.extra !== undefined) set.extra = JSON.stringify({ ...cur.extra, ...patch.extra })
    await uniqueName('group', patch.name, cur.domain_id, async () => {
      await this.repos.identity_group.update({ id }, set)
    })
    return this.getGroup(id)
  }

  async deleteGroup(id: string): Promise<void> {
    await this.getGroup(id)
    const members = await this.repos.identity_membership.list({ group_id: id })
    await this.repos.transaction(async (tx) => {
      await tx.identity_membership.delete({ group_id: id })
      await tx.identity_assignment.delete({ actor_id: id })
      await tx.identity_group.delete({ id })
    })
    for (const m of members) await revoke(this.deps, { user_id: m.user_id })
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    await this.getGroup(groupId)
    await this.get(userId)
    await this.repos.identity_membership.insertIgnoringDuplicate({ user_id: userId, group_id: groupId })
  }

  async checkMember(groupId: string, userId: string): Promise<void> {
    await this.getGroup(groupId)
    await this.get(userId)
    const m = await this.repos.identity_membership.get({ user_id: userId, group_id: groupId })
    if (!m) throw new ResourceNotFound('membership', `${userId} in group ${groupId}`)
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    await this.getGroup(groupId)
    await this.get(userId)
    const n = await this.repos.identity_membership.delete({ user_id: userId, group_id: groupId })
    if (n === 0) throw new ResourceNotFound('membership', `${userId} in group ${groupId}`)
    await revoke(this.deps, { user_id: userId })
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    return (await this.repos.identity_membership.list({ user_id: userId })).map((m) => m.group_id)
  }

  async groupsOf(userId: string): Promise<Group[]> {
    await this.get(userId)
    return this.listGroups({ ids: await this.groupIdsOf(userId) })
  }

  async membersOf(groupId: string): Promise<User[]> {
    await this.getGroup(groupId)
    const ids = (await this.repos.identity_membership.list({ group_id: groupId })).map((m) => m.user_id)
    return this.list({ ids })
  }
}

function cleanOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(options)) {
    if (v === null || v === undefined) continue
    if (!(USER_OPTIONS as readonly string[]).includes(k)) {
      throw new ValidationFailed(`Invalid input for field 'options': unknown user option ${k}`)
    }
    out[k] = v
  }
  return out
}

function bump(iso: string): string {
  return new Date(Date.parse(iso) + 1).toISOString()
}
