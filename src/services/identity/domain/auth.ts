/**
 * Authentication for POST /v3/auth/tokens: runs the requested methods (password,
 * token, application_credential), settles the scope (explicit, the user's default
 * project, or none) and the roles on it, and hands a draft to the token service.
 *
 * Every failure to prove who the caller is gets the same 401 text, whether or not the
 * user exists; scope problems say which scope, as upstream.
 */
import {
  AuthenticationFailed,
  AuthMethodNotSupported,
  AuthValidationError,
  NoAccessToScope,
  RescopeForbidden,
} from '../errors.js'
import { type AssertedAttributes, federationPortsOf } from './auth-federation.js'
import { type TrustRecord, trustPortsOf } from './auth-trusts.js'
import type {
  ApplicationCredentialRecord,
  AuthnPorts,
  DomainRecord,
  NameOrId,
  ProjectRecord,
  RoleRef,
  UserRecord,
} from './ports.js'
import type { TokenDraft, TokenService } from './tokens.js'
import type { NamedRef, TokenModel } from './tokens-model.js'

export interface DomainRef {
  id?: string
  name?: string
}

/** The `auth` object of a token request, after schema validation. */
export interface AuthRequest {
  identity: {
    methods: string[]
    password?: { user: { id?: string; name?: string; password: string; domain?: DomainRef } }
    token?: { id: string }
    application_credential?: { id?: string; name?: string; secret: string; user?: NameOrId }
    mapped?: { identity_provider?: string; protocol?: string }
    oauth1?: Record<string, unknown>
  }
  scope?:
    | string
    | {
        project?: { id?: string; name?: string; domain?: DomainRef }
        domain?: DomainRef
        system?: { all?: boolean }
        'OS-TRUST:trust'?: { id?: string }
        unscoped?: unknown
      }
}

export const AUTH_METHODS = ['password', 'token', 'application_credential', 'mapped', 'oauth1'] as const

/**
 * What a request carries besides its body that some methods read: the attributes a
 * trusted front proxy asserted (mapped), the OAuth1-signed request (oauth1).
 */
export interface AuthEnvironment {
  /** Undefined when the request did not come through a trusted proxy. */
  assertion?: AssertedAttributes
  /** Resolves an OAuth1-signed request to its access token (the oauth1 method). */
  oauth1?: () => Promise<OAuth1Grant>
}

/** What a verified OAuth1 access token delegates. */
export interface OAuth1Grant {
  accessTokenId: string
  consumerId: string
  userId: string
  projectId: string
  roleIds: string[]
  expiresAtMs?: number
}

export interface AuthenticatorOptions {
  ports: AuthnPorts
  tokens: TokenService
  /** `[token] allow_rescope_scoped_token`. @default true */
  allowRescopeScopedToken: boolean
  now?: () => number
}

interface Proven {
  user: UserRecord
  methods: string[]
  expiresAtMs?: number
  parentAuditId?: string
  appCred?: ApplicationCredentialRecord
  /** The scope a rescoped token had, for the allow_rescope_scoped_token rule. */
  rescopedFrom?: TokenModel
  federation?: NonNullable<TokenModel['claims']['federation']>
  oauth1?: OAuth1Grant
}

type Scope =
  | { kind: 'unscoped' }
  | { kind: 'project'; project: ProjectRecord; domain: DomainRecord }
  | { kind: 'domain'; domain: DomainRecord }
  | { kind: 'system' }
  | { kind: 'trust'; trust: TrustRecord; project: ProjectRecord; domain: DomainRecord }

export class Authenticator {
  private readonly now: () => number

  constructor(private readonly opts: AuthenticatorOptions) {
    this.now = opts.now ?? Date.now
  }

  async authenticate(auth: AuthRequest, env: AuthEnvironment = {}): Promise<TokenModel> {
    const methods = [...new Set(auth.identity.methods)]
    if (methods.length === 0) throw new AuthValidationError('methods', 'identity')
    for (const m of methods) {
      if (!(m in auth.identity)) throw new AuthValidationError(m, 'identity')
      if (!(AUTH_METHODS as readonly string[]).includes(m)) throw new AuthMethodNotSupported()
    }
    const proven = await this.prove(auth, methods, env)
    const scope = await this.settleScope(auth, proven)
    const roles = await this.rolesFor(proven, scope)
    const user = proven.user
    const userDomain = await this.enabledDomain(user.domain_id)
    const draft: TokenDraft = {
      sub: user.id,
      methods: proven.methods,
      user: { name: user.name, domain: ref(userDomain), password_expires_at: user.password_expires_at },
      ...(proven.expiresAtMs !== undefined ? { expiresAtMs: proven.expiresAtMs } : {}),
      ...(proven.parentAuditId ? { parentAuditId: proven.parentAuditId } : {}),
      ...(proven.federation ? { federation: proven.federation } : {}),
    }
    if (proven.oauth1) {
      draft.oauth1 = { access_token_id: proven.oauth1.accessTokenId, consumer_id: proven.oauth1.consumerId }
      if (proven.oauth1.expiresAtMs !== undefined) draft.expiresAtMs = proven.oauth1.expiresAtMs
    }
    switch (scope.kind) {
      case 'project':
      case 'trust':
        draft.project = {
          id: scope.project.id,
          name: scope.project.name,
          domain: ref(scope.domain),
          is_domain: scope.project.is_domain,
        }
        draft.roles = roles
        break
      case 'domain':
        draft.domain = ref(scope.domain)
        draft.roles = roles
        break
      case 'system':
        draft.system = 'all'
        draft.roles = roles
        break
    }
    if (scope.kind === 'trust') {
      const t = scope.trust
      draft.trust = {
        id: t.id,
        trustor_user_id: t.trustor_user_id,
        trustee_user_id: t.trustee_user_id,
        impersonation: t.impersonation,
      }
      if (t.expires_at)
        draft.expiresAtMs = Math.min(draft.expiresAtMs ?? Number.POSITIVE_INFINITY, Date.parse(t.expires_at))
      if (t.impersonation) {
        const trustor = await this.enabledUser({ id: t.trustor_user_id })
        const trustorDomain = await this.enabledDomain(trustor.domain_id)
        draft.sub = trustor.id
        draft.user = {
          name: trustor.name,
          domain: ref(trustorDomain),
          password_expires_at: trustor.password_expires_at,
        }
      }
    }
    if (proven.appCred) {
      const ac = proven.appCred
      draft.application_credential = {
        id: ac.id,
        name: ac.name,
        restricted: !ac.unrestricted,
        // NOTE: the rules travel in the token, so every service enforces them without
        // asking identity (the token names them, as upstream's token body does).
        ...(ac.access_rules.length
          ? {
              access_rules: ac.access_rules.map((r) => ({
                id: r.id,
                service: r.service,
                path: r.path,
                method: r.method,
              })),
            }
          : {}),
      }
      if (ac.expires_at)
        draft.expiresAtMs = Math.min(draft.expiresAtMs ?? Number.POSITIVE_INFINITY, Date.parse(ac.expires_at))
    }
    const token = await this.opts.tokens.issue(draft)
    if (scope.kind === 'trust') await trustPortsOf(this.opts.ports)?.consumeTrustUse?.(scope.trust.id)
    return token
  }

  /**
   * The token of the user this process acts as when it calls other services (its
   * service token): scoped to `projectId`, or to the system without one. No proof is
   * asked: no request asked for it. The user, its domain and the project must be enabled
   * and the user must hold a role there.
   */
  async issueServiceToken(userId: string, projectId?: string): Promise<TokenModel> {
    const user = await this.enabledUser({ id: userId })
    const userDomain = await this.enabledDomain(user.domain_id)
    const proven = { user, methods: ['password'] }
    if (!projectId) {
      const roles = await this.rolesFor(proven, { kind: 'system' })
      return this.opts.tokens.issue({
        sub: user.id,
        methods: ['password'],
        user: { name: user.name, domain: ref(userDomain), password_expires_at: user.password_expires_at },
        system: 'all',
        ...(roles ? { roles } : {}),
      })
    }
    const { project, domain } = await this.enabledProject({ id: projectId })
    const roles = await this.rolesFor(proven, { kind: 'project', project, domain })
    return this.opts.tokens.issue({
      sub: user.id,
      methods: ['password'],
      user: { name: user.name, domain: ref(userDomain), password_expires_at: user.password_expires_at },
      project: { id: project.id, name: project.name, domain: ref(domain), is_domain: false },
      ...(roles ? { roles } : {}),
    })
  }

  /**
   * The token of an EC2 / S3 request whose signature was checked against the user's
   * EC2 credential: scoped to the credential's project, methods ["ec2credential"], with
   * the user's roles there (at most `onlyRoleIds`, when the credential came from an
   * application credential or an OAuth1 access token). 401 when the user, the project
   * or the roles are gone.
   */
  async issueEc2Token(
    userId: string,
    projectId: string,
    onlyRoleIds?: readonly string[],
  ): Promise<TokenModel> {
    const user = await this.enabledUser({ id: userId })
    const userDomain = await this.enabledDomain(user.domain_id)
    const { project, domain } = await this.enabledProject({ id: projectId })
    let roles = await this.opts.ports.effectiveRoles(user.id, { projectId: project.id })
    if (onlyRoleIds) roles = roles.filter((r) => onlyRoleIds.includes(r.id))
    if (roles.length === 0) throw new AuthenticationFailed('User not valid for project.')
    return this.opts.tokens.issue({
      sub: user.id,
      methods: ['ec2credential'],
      user: { name: user.name, domain: ref(userDomain), password_expires_at: user.password_expires_at },
      project: { id: project.id, name: project.name, domain: ref(domain), is_domain: project.is_domain },
      roles: named(roles),
    })
  }

  /** Runs each method; they must all name the same user. */
  private async prove(auth: AuthRequest, methods: string[], env: AuthEnvironment): Promise<Proven> {
    let proven: Proven | undefined
    const same = (p: Proven) => {
      if (proven && proven.user.id !== p.user.id)
        throw new AuthenticationFailed('Authentication methods name different users.')
      proven = proven ? { ...proven, ...p, methods: proven.methods } : p
    }
    for (const method of methods) {
      if (method === 'password') same(await this.password(auth.identity.password!))
      else if (method === 'token') same(await this.token(auth.identity.token!))
      else if (method === 'mapped') same(await this.mapped(auth.identity.mapped!, env))
      else if (method === 'oauth1') same(await this.oauth1(env))
      else same(await this.applicationCredential(auth.identity.application_credential!, auth.scope))
    }
    // NOTE: a rescoped token lists the original methods too; keep each once, in order.
    const all = [...methods, ...(proven!.rescopedFrom?.claims.methods ?? [])]
    proven!.methods = [...new Set(all)]
    return proven!
  }

  private async password(data: NonNullable<AuthRequest['identity']['password']>): Promise<Proven> {
    const u = data.user
    if (!u.id && !u.name) throw new AuthValidationError('id or name', 'user')
    if (!u.id && !u.domain) throw new AuthValidationError('domain', 'user')
    if (!u.id && u.domain && !u.domain.id && !u.domain.name)
      throw new AuthValidationError('id or name', 'domain')
    const user = await this.opts.ports.findUser(u.id ? { id: u.id } : { name: u.name, domain: u.domain! })
    if (!user) throw new AuthenticationFailed()
    await this.opts.ports.checkPassword(user, u.password)
    if (!user.enabled) throw new AuthenticationFailed(`The account is disabled for user: ${user.id}.`)
    await this.enabledDomain(user.domain_id)
    return { user, methods: ['password'] }
  }

  private async token(data: { id: string }): Promise<Proven> {
    if (!data.id) throw new AuthValidationError('id', 'token')
    const original = await this.opts.tokens.check(data.id)
    const c = original.claims
    if (c.application_credential)
      throw new RescopeForbidden('Cannot rescope a token created with an application credential.')
    if (c.trust) throw new RescopeForbidden('Cannot rescope a trust-scoped token.')
    if (c.oauth1) throw new RescopeForbidden('Cannot rescope a token created with an OAuth1 access token.')
    if (c.federation) {
      const federation = federationPortsOf(this.opts.ports)
      if (!federation) throw new AuthMethodNotSupported()
      await federation.assertIdpEnabled(c.federation.identity_provider)
    }
    const user = await this.enabledUser({ id: c.sub })
    return {
      user,
      methods: ['token'],
      expiresAtMs: original.expiresAtMs,
      parentAuditId: c.audit_ids[1] ?? c.audit_ids[0],
      rescopedFrom: original,
      ...(c.federation ? { federation: c.federation } : {}),
    }
  }

  /** Asserted attributes through the protocol's mapping (OS-FEDERATION). */
  private async mapped(
    data: NonNullable<AuthRequest['identity']['mapped']>,
    env: AuthEnvironment,
  ): Promise<Proven> {
    const federation = federationPortsOf(this.opts.ports)
    if (!federation) throw new AuthMethodNotSupported()
    if (!data.identity_provider) throw new AuthValidationError('identity_provider', 'mapped')
    if (!data.protocol) throw new AuthValidationError('protocol', 'mapped')
    // NOTE: without a trusted proxy nothing was asserted: the mapping cannot apply.
    if (!env.assertion) throw new AuthenticationFailed()
    const who = await federation.federatedLogin(data.identity_provider, data.protocol, env.assertion)
    const user = await this.enabledUser({ id: who.userId })
    return {
      user,
      methods: ['mapped'],
      federation: { identity_provider: who.identityProvider, protocol: who.protocol, groups: who.groupIds },
    }
  }

  /** An OAuth1 access token, verified by the caller's resolver: scoped to its project and roles. */
  private async oauth1(env: AuthEnvironment): Promise<Proven> {
    if (!env.oauth1) throw new AuthMethodNotSupported()
    const grant = await env.oauth1()
    const user = await this.enabledUser({ id: grant.userId })
    return { user, methods: ['oauth1'], oauth1: grant }
  }

  private async applicationCredential(
    data: NonNullable<AuthRequest['identity']['application_credential']>,
    scope: AuthRequest['scope'],
  ): Promise<Proven> {
    if (scope !== undefined) throw new AuthenticationFailed('Application credentials cannot request a scope.')
    if (!data.id) {
      if (!data.name) throw new AuthValidationError('name or ID', 'application credential')
      if (!data.user) throw new AuthValidationError('user', 'application credential')
      if (!data.user.id && !data.user.domain) throw new AuthValidationError('domain', 'user')
    }
    const ac = await this.opts.ports.findApplicationCredential(
      data.id ? { id: data.id } : { name: data.name!, user: data.user! },
    )
    if (!ac) throw new AuthenticationFailed()
    await this.opts.ports.checkApplicationCredentialSecret(ac, data.secret)
    if (ac.expires_at && Date.parse(ac.expires_at) <= this.now()) throw new AuthenticationFailed()
    const user = await this.enabledUser({ id: ac.user_id })
    return { user, methods: ['application_credential'], appCred: ac }
  }

  private async settleScope(auth: AuthRequest, proven: Proven): Promise<Scope> {
    if (proven.oauth1) {
      const { project, domain } = await this.enabledProject({ id: proven.oauth1.projectId })
      return { kind: 'project', project, domain }
    }
    if (proven.appCred) {
      const { project, domain } = await this.enabledProject({ id: proven.appCred.project_id })
      return { kind: 'project', project, domain }
    }
    const scope = auth.scope
    let result: Scope
    if (scope === undefined) {
      result = await this.defaultScope(proven.user)
    } else if (typeof scope === 'string') {
      if (scope !== 'unscoped')
        throw new AuthValidationError('system, project, domain, OS-TRUST:trust or unscoped', 'scope')
      result = { kind: 'unscoped' }
    } else {
      const keys = (['project', 'domain', 'unscoped', 'system', 'OS-TRUST:trust'] as const).filter(
        (k) => k in scope,
      )
      if (keys.length !== 1)
        throw new AuthValidationError('system, project, domain, OS-TRUST:trust or unscoped', 'scope')
      if (scope.system) {
        if (scope.system.all !== true) throw new AuthValidationError('all', 'system')
        result = { kind: 'system' }
      } else if ('unscoped' in scope) {
        result = { kind: 'unscoped' }
      } else if (scope.project) {
        const p = scope.project
        if (!p.id && !p.name) throw new AuthValidationError('id or name', 'project')
        if (!p.id && !p.domain) throw new AuthValidationError('domain', 'project')
        const { project, domain } = await this.enabledProject(
          p.id ? { id: p.id } : { name: p.name, domain: p.domain! },
        )
        result = { kind: 'project', project, domain }
      } else if (scope.domain) {
        if (!scope.domain.id && !scope.domain.name) throw new AuthValidationError('id or name', 'domain')
        result = { kind: 'domain', domain: await this.enabledDomain(scope.domain) }
      } else {
        result = await this.trustScope(scope['OS-TRUST:trust'] ?? {}, proven)
      }
    }
    const from = proven.rescopedFrom
    if (
      from &&
      !this.opts.allowRescopeScopedToken &&
      (from.claims.project || from.claims.domain || from.claims.system)
    ) {
      throw new RescopeForbidden('Rescoping a scoped token is not allowed.')
    }
    return result
  }

  /** The user's default project when it is enabled and they hold a role there; else unscoped. */
  private async defaultScope(user: UserRecord): Promise<Scope> {
    if (!user.default_project_id) return { kind: 'unscoped' }
    const project = await this.opts.ports.findProject({ id: user.default_project_id })
    if (!project?.enabled) return { kind: 'unscoped' }
    const domain = await this.opts.ports.findDomain({ id: project.domain_id })
    if (!domain?.enabled) return { kind: 'unscoped' }
    const roles = await this.opts.ports.effectiveRoles(user.id, { projectId: project.id })
    return roles.length > 0 ? { kind: 'project', project, domain } : { kind: 'unscoped' }
  }

  private async trustScope(data: { id?: string }, proven: Proven): Promise<Scope> {
    if (!data.id) throw new AuthValidationError('trust_id', 'trust')
    const trusts = trustPortsOf(this.opts.ports)
    const trust = await trusts?.findTrust(data.id)
    if (!trust) throw new AuthenticationFailed(`Could not find trust: ${data.id}.`)
    if (trust.trustee_user_id !== proven.user.id) throw new RescopeForbidden('User is not a trustee.')
    if (trust.expires_at && Date.parse(trust.expires_at) <= this.now())
      throw new AuthenticationFailed(`Could not find trust: ${data.id}.`)
    if (trust.remaining_uses !== null && trust.remaining_uses <= 0)
      throw new RescopeForbidden('Trust has no remaining uses.')
    await this.enabledUser({ id: trust.trustor_user_id })
    if (!trust.project_id)
      throw new AuthenticationFailed('Trusts without a project are not supported for token scope.')
    const { project, domain } = await this.enabledProject({ id: trust.project_id })
    return { kind: 'trust', trust, project, domain }
  }

  private async rolesFor(proven: Proven, scope: Scope): Promise<NamedRef[] | undefined> {
    const ports = this.opts.ports
    const uid = proven.user.id
    switch (scope.kind) {
      case 'unscoped':
        return undefined
      case 'system': {
        const roles = await ports.effectiveRoles(uid, { system: true })
        if (roles.length === 0) throw new NoAccessToScope(`User ${uid} has no access to the system`)
        return named(roles)
      }
      case 'domain': {
        const roles = await ports.effectiveRoles(uid, { domainId: scope.domain.id })
        if (roles.length === 0)
          throw new NoAccessToScope(`User ${uid} has no access to domain ${scope.domain.id}`)
        return named(roles)
      }
      case 'project': {
        let roles = await ports.effectiveRoles(uid, { projectId: scope.project.id })
        if (proven.appCred) {
          // NOTE: an application credential carries at most the roles its user still holds.
          const held = new Set(roles.map((r) => r.id))
          roles = proven.appCred.roles.filter((r) => held.has(r.id))
        }
        if (proven.oauth1) {
          // NOTE: as an application credential, an access token delegates the roles it names
          // that the authorizing user still holds.
          const delegated = new Set(proven.oauth1.roleIds)
          roles = roles.filter((r) => delegated.has(r.id))
        }
        if (roles.length === 0)
          throw new NoAccessToScope(`User ${uid} has no access to project ${scope.project.id}`)
        return named(roles)
      }
      case 'trust': {
        // NOTE: as Keystone, a trust token carries the delegated roles and what they
        // imply, and only while the trustor (the chain's root) still holds every one.
        const held = new Set(
          (await ports.effectiveRoles(scope.trust.roles_holder_id, { projectId: scope.project.id })).map(
            (r) => r.id,
          ),
        )
        const delegated = scope.trust.roles
        if (delegated.length === 0 || delegated.some((r) => !held.has(r.id)))
          throw new RescopeForbidden('Trustee has no delegated roles.')
        return named(delegated)
      }
    }
  }

  private async enabledUser(ref: NameOrId): Promise<UserRecord> {
    const user = await this.opts.ports.findUser(ref)
    if (!user) throw new AuthenticationFailed()
    if (!user.enabled) throw new AuthenticationFailed(`The account is disabled for user: ${user.id}.`)
    return user
  }

  private async enabledDomain(ref: string | DomainRef): Promise<DomainRecord> {
    const domain = await this.opts.ports.findDomain(typeof ref === 'string' ? { id: ref } : ref)
    if (!domain) {
      const what = typeof ref === 'string' ? ref : (ref.id ?? ref.name)
      throw new AuthenticationFailed(`Could not find domain: ${what}.`)
    }
    if (!domain.enabled) throw new AuthenticationFailed(`Domain is disabled: ${domain.id}.`)
    return domain
  }

  private async enabledProject(ref: NameOrId): Promise<{ project: ProjectRecord; domain: DomainRecord }> {
    let domainId: string | undefined
    if (!ref.id && ref.domain) domainId = (await this.enabledDomain(ref.domain)).id
    const project = await this.opts.ports.findProject(
      ref.id ? { id: ref.id } : { name: ref.name, domain: { id: domainId } },
    )
    if (!project) throw new AuthenticationFailed(`Could not find project: ${ref.id ?? ref.name}.`)
    const domain = await this.enabledDomain(project.domain_id)
    if (!project.enabled) throw new AuthenticationFailed(`Project is disabled: ${project.id}.`)
    return { project, domain }
  }
}

function ref(d: { id: string; name: string }): NamedRef {
  return { id: d.id, name: d.name }
}

function named(roles: RoleRef[]): NamedRef[] {
  const seen = new Set<string>()
  const out: NamedRef[] = []
  for (const r of roles) {
    if (seen.has(r.id)) continue
    seen.add(r.id)
    out.push({ id: r.id, name: r.name })
  }
  return out
}
