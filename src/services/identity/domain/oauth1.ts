/**
 * OS-OAUTH1 delegation: a consumer asks for a request token on a project (signed with
 * its secret), a user holding roles there authorizes it for some of them (a verifier),
 * the consumer exchanges it for an access token (signed with both secrets), and the
 * access token, signed again, authenticates as the user on that project with at most
 * those roles (the `oauth1` auth method). Users list and revoke their access tokens.
 */
import { randomBytes } from 'node:crypto'
import { AuthenticationFailed, ResourceNotFound, ValidationFailed } from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import type { Assignments } from './assignments.js'
import type { OAuth1Grant } from './auth.js'
import { newId, parseJson, type ResourceDeps } from './common.js'
import { verifyHmacSha1 } from './oauth1-signature.js'
import type { Projects } from './projects.js'
import type { Roles } from './roles.js'

/** A request signed with OAuth1: its method, the URL the client signed, the header's oauth_* parameters. */
export interface SignedOAuthRequest {
  method: string
  url: string
  oauth: Record<string, string>
}

export interface AccessToken {
  id: string
  consumer_id: string
  project_id: string
  authorizing_user_id: string
  role_ids: string[]
  expires_at: string | null
}

export interface IssuedToken {
  id: string
  secret: string
  expires_at: string | null
}

const toAccessToken = (r: Row<'identity_oauth_access_token'>): AccessToken => ({
  id: r.id,
  consumer_id: r.consumer_id,
  project_id: r.project_id,
  authorizing_user_id: r.authorizing_user_id,
  role_ids: parseJson<string[]>(r.role_ids, []),
  expires_at: r.expires_at,
})

const secret = () => randomBytes(24).toString('base64url')

export class OAuth1 {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
    private readonly roles: Roles,
    private readonly assignments: Assignments,
    private readonly now: () => number = Date.now,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  private expiry(seconds: number): string | null {
    return seconds > 0 ? new Date(this.now() + seconds * 1000).toISOString() : null
  }

  private expired(at: string | null): boolean {
    return at !== null && Date.parse(at) <= this.now()
  }

  private async consumerSecret(consumerId: string | undefined): Promise<string> {
    if (!consumerId) throw new ValidationFailed(missing('oauth_consumer_key'))
    const c = await this.repos.identity_consumer.get({ id: consumerId })
    if (!c) throw new AuthenticationFailed('Provided consumer does not exist.')
    return c.secret
  }

  /** POST /v3/OS-OAUTH1/request_token */
  async createRequestToken(req: SignedOAuthRequest, projectId: string | undefined): Promise<IssuedToken> {
    if (!req.oauth.oauth_consumer_key) throw new ValidationFailed(missing('oauth_consumer_key'))
    if (!projectId) throw new ValidationFailed(missing('Requested-Project-Id'))
    await this.projects.get(projectId)
    const consumerSecret = await this.consumerSecret(req.oauth.oauth_consumer_key)
    if (!verifyHmacSha1(req.method, req.url, req.oauth, consumerSecret))
      throw new AuthenticationFailed('Invalid signature')
    const token = {
      id: newId(),
      secret: secret(),
      expires_at: this.expiry(this.deps.config.oauth1.request_token_duration),
    }
    await this.repos.identity_oauth_request_token.insert({
      id: token.id,
      secret: token.secret,
      consumer_id: req.oauth.oauth_consumer_key,
      requested_project_id: projectId,
      role_ids: null,
      verifier: null,
      authorizing_user_id: null,
      expires_at: token.expires_at,
    })
    return token
  }

  /**
   * PUT /v3/OS-OAUTH1/authorize/{id}: the user must hold every role named on the
   * requested project. Returns the verifier.
   */
  async authorize(
    requestTokenId: string,
    userId: string,
    roles: { id?: string; name?: string }[],
  ): Promise<string> {
    const rt = await this.repos.identity_oauth_request_token.get({ id: requestTokenId })
    if (!rt) throw new ResourceNotFound('request token', requestTokenId)
    if (this.expired(rt.expires_at)) throw new AuthenticationFailed('Request token is expired')
    const wanted = new Set<string>()
    for (const r of roles) {
      if (r.id) wanted.add(r.id)
      else {
        const found = await this.roles.findByName(r.name ?? '')
        if (!found) throw new ResourceNotFound('role', r.name ?? '')
        wanted.add(found.id)
      }
    }
    const held = await this.heldRoleIds(userId, rt.requested_project_id)
    if ([...wanted].some((id) => !held.has(id)))
      throw new AuthenticationFailed('authorizing user does not have role required')
    const verifier = randomBytes(6).toString('base64url')
    await this.repos.identity_oauth_request_token.update(
      { id: requestTokenId },
      { authorizing_user_id: userId, role_ids: JSON.stringify([...wanted]), verifier },
    )
    return verifier
  }

  /** Roles the user holds on the project (directly, through groups or inherited). */
  private async heldRoleIds(userId: string, projectId: string): Promise<Set<string>> {
    return new Set((await this.assignments.effectiveRoles(userId, { projectId })).map((r) => r.id))
  }

  /** POST /v3/OS-OAUTH1/access_token */
  async createAccessToken(req: SignedOAuthRequest): Promise<IssuedToken> {
    const o = req.oauth
    if (!o.oauth_consumer_key) throw new ValidationFailed(missing('oauth_consumer_key'))
    if (!o.oauth_token) throw new ValidationFailed(missing('oauth_token'))
    if (!o.oauth_verifier) throw new ValidationFailed(missing('oauth_verifier'))
    const rt = await this.repos.identity_oauth_request_token.get({ id: o.oauth_token })
    if (!rt) throw new ResourceNotFound('request token', o.oauth_token)
    if (this.expired(rt.expires_at)) throw new AuthenticationFailed('Request token is expired')
    const consumerSecret = await this.consumerSecret(o.oauth_consumer_key)
    if (rt.consumer_id !== o.oauth_consumer_key)
      throw new AuthenticationFailed('Provided consumer key does not match stored consumer key.')
    if (rt.verifier !== o.oauth_verifier)
      throw new AuthenticationFailed('Provided verifier does not match stored verifier')
    if (!verifyHmacSha1(req.method, req.url, o, consumerSecret, rt.secret))
      throw new AuthenticationFailed('Invalid signature')
    if (!rt.authorizing_user_id)
      throw new AuthenticationFailed('Request Token does not have an authorizing user id.')
    const token = {
      id: newId(),
      secret: secret(),
      expires_at: this.expiry(this.deps.config.oauth1.access_token_duration),
    }
    await this.repos.transaction(async (tx) => {
      await tx.identity_oauth_access_token.insert({
        id: token.id,
        secret: token.secret,
        consumer_id: rt.consumer_id,
        project_id: rt.requested_project_id,
        role_ids: rt.role_ids ?? '[]',
        authorizing_user_id: rt.authorizing_user_id!,
        expires_at: token.expires_at,
      })
      // A request token is exchanged once.
      await tx.identity_oauth_request_token.delete({ id: rt.id })
    })
    return token
  }

  /** The `oauth1` auth method: a request signed with a live access token. */
  async authenticate(req: SignedOAuthRequest): Promise<OAuth1Grant> {
    const o = req.oauth
    if (!o.oauth_token) throw new AuthenticationFailed('Access token not found in the request.')
    const at = await this.repos.identity_oauth_access_token.get({ id: o.oauth_token })
    if (!at) throw new AuthenticationFailed('Could not validate the access token')
    if (this.expired(at.expires_at)) throw new AuthenticationFailed('Access token is expired')
    if (at.consumer_id !== o.oauth_consumer_key)
      throw new AuthenticationFailed('Could not validate the access token')
    const consumerSecret = await this.consumerSecret(o.oauth_consumer_key)
    if (!verifyHmacSha1(req.method, req.url, o, consumerSecret, at.secret))
      throw new AuthenticationFailed('Could not validate the access token')
    return {
      accessTokenId: at.id,
      consumerId: at.consumer_id,
      userId: at.authorizing_user_id,
      projectId: at.project_id,
      roleIds: parseJson<string[]>(at.role_ids, []),
      ...(at.expires_at ? { expiresAtMs: Date.parse(at.expires_at) } : {}),
    }
  }

  async findAccessToken(id: string): Promise<AccessToken | undefined> {
    const r = await this.repos.identity_oauth_access_token.get({ id })
    return r ? toAccessToken(r) : undefined
  }

  async listAccessTokens(userId: string): Promise<AccessToken[]> {
    return (await this.repos.identity_oauth_access_token.list({ authorizing_user_id: userId })).map(
      toAccessToken,
    )
  }

  async getAccessToken(userId: string, id: string): Promise<AccessToken> {
    const r = await this.repos.identity_oauth_access_token.get({ id, authorizing_user_id: userId })
    if (!r) throw new ResourceNotFound('access token', id)
    return toAccessToken(r)
  }

  /** The access token no longer authenticates; tokens it already gave live out their time (as upstream). */
  async deleteAccessToken(userId: string, id: string): Promise<void> {
    await this.getAccessToken(userId, id)
    await this.repos.identity_oauth_access_token.delete({ id })
  }
}

const missing = (attribute: string) =>
  `Expecting to find ${attribute} in request. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`
