/**
 * Token issue and validation. Issue signs a claims object with the key ring; validation
 * checks the signature (cached per token string), expiry and the in-memory revocation
 * events, so the hot path never touches the database.
 *
 * `TokenService` is also the kernel's `TokenValidator`: `validate(token)` gives the
 * policy credentials for X-Auth-Token, or throws Unauthorized (401).
 */
import { randomBytes } from 'node:crypto'
import type { AuthenticatedIdentity, TokenValidator } from '../../../kernel/auth/index.js'
import { AuthenticationFailed, TokenNotFound } from '../errors.js'
import type { KeyRing } from './tokens-keys.js'
import { claimToMs, identityOf, msToClaim, type TokenClaims, type TokenModel } from './tokens-model.js'
import type { RevocationList } from './tokens-revocations.js'

/** What authentication decided; the token service adds times, audit ids and a signature. */
export type TokenDraft = Omit<TokenClaims, 'iat' | 'exp' | 'audit_ids'> & {
  /** Rescoped tokens keep the original expiry. */
  expiresAtMs?: number
  /** The audit id of the token this one was rescoped from (the chain's root). */
  parentAuditId?: string
}

export interface TokenServiceOptions {
  keys: KeyRing
  revocations: RevocationList
  /** `[token] expiration`, seconds. */
  expirationSeconds: number
  /** `[token] allow_expired_window`, seconds. */
  allowExpiredWindowSeconds: number
  /** Validated tokens kept in memory (signature and decode skipped on a hit). @default 20000 */
  cacheSize?: number
  now?: () => number
}

interface Cached {
  model: TokenModel
  identity: AuthenticatedIdentity
}

/** 22 url-safe characters, as Keystone's audit ids. */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22)
}

export class TokenService implements TokenValidator {
  private readonly cache = new Map<string, Cached>()
  private readonly cacheSize: number
  private readonly now: () => number

  constructor(private readonly opts: TokenServiceOptions) {
    this.cacheSize = opts.cacheSize ?? 20_000
    this.now = opts.now ?? Date.now
  }

  async issue(draft: TokenDraft): Promise<TokenModel> {
    const { expiresAtMs, parentAuditId, ...rest } = draft
    // NOTE: whole milliseconds keep the claims, the rendered times and the revocation
    // comparisons exact.
    const issuedAtMs = this.now()
    const exp = Math.min(
      expiresAtMs ?? Number.POSITIVE_INFINITY,
      issuedAtMs + this.opts.expirationSeconds * 1000,
    )
    const claims: TokenClaims = {
      ...rest,
      iat: msToClaim(issuedAtMs),
      exp: msToClaim(exp),
      audit_ids: parentAuditId ? [newAuditId(), parentAuditId] : [newAuditId()],
    }
    const id = await this.opts.keys.sign(claims)
    return { id, claims, issuedAtMs, expiresAtMs: exp }
  }

  /**
   * Validates a subject token; throws TokenNotFound (404) for anything bad, expired or
   * revoked. `allowExpired` accepts tokens expired within `[token] allow_expired_window`.
   */
  async check(token: string | undefined, options: { allowExpired?: boolean } = {}): Promise<TokenModel> {
    if (!token) throw new TokenNotFound('No token in the request')
    const hit = await this.lookup(token)
    if (!hit) throw new TokenNotFound()
    const window = options.allowExpired ? this.opts.allowExpiredWindowSeconds * 1000 : 0
    if (this.now() >= hit.model.expiresAtMs + window) throw new TokenNotFound()
    await this.opts.revocations.refresh()
    if (this.opts.revocations.isRevoked(hit.model)) throw new TokenNotFound()
    return hit.model
  }

  /** TokenValidator: X-Auth-Token to policy credentials; 401 when not valid. */
  async validate(token: string): Promise<AuthenticatedIdentity> {
    const hit = await this.lookup(token)
    if (!hit || this.now() >= hit.model.expiresAtMs) throw new AuthenticationFailed()
    await this.opts.revocations.refresh()
    if (this.opts.revocations.isRevoked(hit.model)) throw new AuthenticationFailed()
    return hit.identity
  }

  /** The token's model when its signature is good (expiry and revocation not checked). */
  private async lookup(token: string): Promise<Cached | undefined> {
    const cached = this.cache.get(token)
    if (cached) return cached
    if (token.length > 8192) return undefined
    const payload = await this.opts.keys.verify(token)
    if (!payload) return undefined
    const claims = parseClaims(payload)
    if (!claims) return undefined
    const model: TokenModel = {
      id: token,
      claims,
      issuedAtMs: claimToMs(claims.iat),
      expiresAtMs: claimToMs(claims.exp),
    }
    const entry = { model, identity: Object.freeze(identityOf(model)) as AuthenticatedIdentity }
    if (this.cache.size >= this.cacheSize) this.evict()
    this.cache.set(token, entry)
    return entry
  }

  private evict(): void {
    const now = this.now()
    for (const [k, v] of this.cache)
      if (v.model.expiresAtMs + this.opts.allowExpiredWindowSeconds * 1000 < now) this.cache.delete(k)
    // Still full: drop the oldest quarter (Map keeps insertion order).
    if (this.cache.size >= this.cacheSize) {
      let n = Math.ceil(this.cacheSize / 4)
      for (const k of this.cache.keys()) {
        if (n-- <= 0) break
        this.cache.delete(k)
      }
    }
  }
}

function parseClaims(payload: Uint8Array): TokenClaims | undefined {
  try {
    const c = JSON.parse(new TextDecoder().decode(payload)) as TokenClaims
    if (typeof c.sub !== 'string' || typeof c.iat !== 'number' || typeof c.exp !== 'number') return undefined
    if (
      !Array.isArray(c.methods) ||
      !Array.isArray(c.audit_ids) ||
      typeof c.user !== 'object' ||
      c.user === null
    ) {
      return undefined
    }
    return c
  } catch {
    return undefined
  }
}
