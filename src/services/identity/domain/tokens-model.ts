/**
 * What a token says, and how it is shown. The JWS payload carries everything a
 * service needs to authorize a request (user, scope, role names and ids, audit ids),
 * so any process can validate it without asking identity. The same payload renders
 * the Keystone token body, so POST and GET /v3/auth/tokens agree exactly.
 */
import type { AuthenticatedIdentity } from '../../../kernel/auth/index.js'
import type { CatalogService } from './ports.js'

export interface NamedRef {
  id: string
  name: string
}

/** The JWS payload (claims). Times are epoch seconds with millisecond fractions. */
export interface TokenClaims {
  /** The user id (JWT subject). */
  sub: string
  iat: number
  exp: number
  /** Authentication methods, in Keystone's order. */
  methods: string[]
  /** [this token's audit id, the audit id of the chain it was rescoped from]. */
  audit_ids: string[]
  user: { name: string; domain: NamedRef; password_expires_at: string | null }
  roles?: NamedRef[]
  project?: { id: string; name: string; domain: NamedRef; is_domain: boolean }
  domain?: NamedRef
  system?: 'all'
  application_credential?: {
    id: string
    name: string
    restricted: boolean
    /** The calls the token may make; absent: any the roles allow. */
    access_rules?: { id?: string; service: string; path: string; method: string }[]
  }
  trust?: { id: string; trustor_user_id: string; trustee_user_id: string; impersonation: boolean }
  /** A federated login's provider, protocol and the groups its mapping gave. */
  federation?: { identity_provider: string; protocol: string; groups: string[] }
  /** An OAuth1 access token's consumer and id (Keystone's OS-OAUTH1 token part). */
  oauth1?: { access_token_id: string; consumer_id: string }
}

/** A validated token: its claims plus the string and its times in milliseconds. */
export interface TokenModel {
  id: string
  claims: TokenClaims
  issuedAtMs: number
  expiresAtMs: number
}

export type TokenScope = 'unscoped' | 'project' | 'domain' | 'system'

export function scopeOfClaims(c: TokenClaims): TokenScope {
  if (c.system) return 'system'
  if (c.project) return 'project'
  if (c.domain) return 'domain'
  return 'unscoped'
}

/** Keystone's time format: microseconds and a Z. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

export function msToClaim(ms: number): number {
  return ms / 1000
}

export function claimToMs(seconds: number): number {
  return Math.round(seconds * 1000)
}

/** The Keystone token body (`{"token": {...}}`) for a token. */
export function renderToken(
  model: TokenModel,
  catalog: CatalogService[] | undefined,
  serviceProviders: readonly { id: string; auth_url: string; sp_url: string }[] = [],
): { token: Record<string, unknown> } {
  const c = model.claims
  const token: Record<string, unknown> = {
    methods: c.methods,
    user: {
      domain: { id: c.user.domain.id, name: c.user.domain.name },
      id: c.sub,
      name: c.user.name,
      password_expires_at: c.user.password_expires_at,
      ...(c.federation
        ? {
            'OS-FEDERATION': {
              identity_provider: { id: c.federation.identity_provider },
              protocol: { id: c.federation.protocol },
              groups: c.federation.groups.map((id) => ({ id })),
            },
          }
        : {}),
    },
    audit_ids: c.audit_ids,
    expires_at: keystoneTime(model.expiresAtMs),
    issued_at: keystoneTime(model.issuedAtMs),
  }
  if (c.system) {
    token.roles = c.roles ?? []
    token.system = { all: true }
  } else if (c.domain) {
    token.domain = { id: c.domain.id, name: c.domain.name }
    token.roles = c.roles ?? []
  } else if (c.project) {
    if (c.trust) {
      token['OS-TRUST:trust'] = {
        id: c.trust.id,
        trustor_user: { id: c.trust.trustor_user_id },
        trustee_user: { id: c.trust.trustee_user_id },
        impersonation: c.trust.impersonation,
      }
    }
    token.project = {
      domain: { id: c.project.domain.id, name: c.project.domain.name },
      id: c.project.id,
      name: c.project.name,
    }
    token.is_domain = c.project.is_domain
    token.roles = c.roles ?? []
  }
  if (catalog && scopeOfClaims(c) !== 'unscoped') token.catalog = catalog
  if (c.application_credential) token.application_credential = { ...c.application_credential }
  if (c.oauth1) token['OS-OAUTH1'] = { ...c.oauth1 }
  if (serviceProviders.length) token.service_providers = serviceProviders
  return { token }
}

/** The policy credentials a token grants (what `req.ctx.who` holds). */
export function identityOf(model: TokenModel): AuthenticatedIdentity {
  const c = model.claims
  const roles = c.roles ?? []
  const identity: AuthenticatedIdentity = {
    user_id: c.sub,
    user_name: c.user.name,
    user_domain_id: c.user.domain.id,
    roles: roles.map((r) => r.name.toLowerCase()),
    role_ids: roles.map((r) => r.id),
    audit_ids: c.audit_ids,
    expires_at: keystoneTime(model.expiresAtMs),
    // NOTE: Keystone leaves is_admin_project true unless [resource] admin_project_name is set.
    is_admin_project: true,
    token: {
      user: { id: c.sub, domain: { id: c.user.domain.id } },
      ...(c.project ? { project: { id: c.project.id, domain: { id: c.project.domain.id } } } : {}),
      ...(c.domain ? { domain: { id: c.domain.id } } : {}),
    },
  }
  if (c.project) {
    identity.project_id = c.project.id
    identity.project_name = c.project.name
    identity.project_domain_id = c.project.domain.id
  }
  if (c.domain) {
    identity.domain_id = c.domain.id
    identity.domain_name = c.domain.name
  }
  if (c.system) identity.system_scope = 'all'
  if (c.application_credential) identity.application_credential_id = c.application_credential.id
  if (c.application_credential?.access_rules?.length)
    identity.access_rules = c.application_credential.access_rules
  if (c.trust) identity.trust_id = c.trust.id
  if (c.oauth1) identity.oauth_access_token_id = c.oauth1.access_token_id
  return identity
}
