/**
 * Token validation for a process that does not run identity: it asks identity's API
 * (`GET /v3/auth/tokens`, the token validating itself, as a token subject may) and
 * keeps each answer for `[keystone_authtoken] token_cache_time`, as upstream's auth
 * middleware does. A revoked token is therefore refused at most that long after.
 */
import { Unauthorized } from '../errors/index.js'
import type { AuthenticatedIdentity, TokenValidator } from './context.js'

export interface RemoteTokenValidatorOptions {
  /** Identity's base URL, e.g. http://host:5000/identity (with or without /v3). */
  authUrl: string
  /** Seconds an answer is kept. @default 300 */
  cacheSeconds?: number
  fetch?: typeof fetch
  /** Entries kept at most; the oldest go first. @default 10000 */
  maxEntries?: number
}

interface Entry {
  identity: AuthenticatedIdentity
  until: number
}

export class RemoteTokenValidator implements TokenValidator {
  private readonly cache = new Map<string, Entry>()
  private readonly url: string

  constructor(private readonly opts: RemoteTokenValidatorOptions) {
    this.url = `${opts.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3/auth/tokens`
  }

  async validate(token: string): Promise<AuthenticatedIdentity> {
    const hit = this.cache.get(token)
    if (hit && hit.until > Date.now()) return hit.identity
    this.cache.delete(token)
    const res = await (this.opts.fetch ?? fetch)(this.url, {
      headers: { 'x-auth-token': token, 'x-subject-token': token, accept: 'application/json' },
    }).catch((cause: unknown) => {
      throw new Unauthorized('The identity service could not be reached to validate the token.', { cause })
    })
    if (res.status !== 200) throw new Unauthorized()
    const body = (await res.json()) as { token: RemoteToken }
    const identity = identityOf(body.token)
    const ttl = (this.opts.cacheSeconds ?? 300) * 1000
    const expires = body.token.expires_at ? Date.parse(body.token.expires_at) : Number.POSITIVE_INFINITY
    if (this.cache.size >= (this.opts.maxEntries ?? 10_000)) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
    this.cache.set(token, { identity, until: Math.min(Date.now() + ttl, expires) })
    return identity
  }
}

interface RemoteToken {
  user: { id: string; name?: string; domain?: { id: string; name?: string } }
  project?: { id: string; name?: string; domain?: { id: string; name?: string } }
  domain?: { id: string; name?: string }
  system?: Record<string, boolean>
  roles?: { id: string; name: string }[]
  audit_ids?: string[]
  expires_at?: string
  application_credential?: { id: string; access_rules?: { service: string; method: string; path: string }[] }
  is_admin_project?: boolean
  'OS-TRUST:trust'?: { id: string }
}

function identityOf(t: RemoteToken): AuthenticatedIdentity {
  return {
    user_id: t.user.id,
    user_name: t.user.name,
    user_domain_id: t.user.domain?.id,
    project_id: t.project?.id,
    project_name: t.project?.name,
    project_domain_id: t.project?.domain?.id,
    domain_id: t.domain?.id,
    domain_name: t.domain?.name,
    ...(t.system?.all ? { system_scope: 'all' } : {}),
    roles: (t.roles ?? []).map((r) => r.name.toLowerCase()),
    role_ids: (t.roles ?? []).map((r) => r.id),
    audit_ids: t.audit_ids,
    expires_at: t.expires_at,
    application_credential_id: t.application_credential?.id,
    ...(t.application_credential?.access_rules?.length
      ? { access_rules: t.application_credential.access_rules }
      : {}),
    trust_id: t['OS-TRUST:trust']?.id,
    // NOTE: as upstream's middleware, a token that does not say otherwise is of the admin project.
    is_admin_project: t.is_admin_project ?? true,
    token: {
      user: { id: t.user.id, domain: { id: t.user.domain?.id } },
      ...(t.project ? { project: { id: t.project.id, domain: { id: t.project.domain?.id } } } : {}),
      ...(t.domain ? { domain: { id: t.domain.id } } : {}),
    },
  } as AuthenticatedIdentity
}
