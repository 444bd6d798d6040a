/**
 * OS-OAUTH1's delegation flow (request token, authorize, access token), a user's
 * access tokens, and the signed request the `oauth1` auth method and the flow read.
 * Consumers are in extras.ts.
 */
import type { FastifyRequest } from 'fastify'
import { headerValue } from '../../../kernel/http/index.js'
import { wireTime } from '../domain/common.js'
import type { AccessToken, IssuedToken, SignedOAuthRequest } from '../domain/oauth1.js'
import { parseOAuthHeader } from '../domain/oauth1-signature.js'
import { ActionForbidden, AuthenticationFailed } from '../errors.js'
import { collection, noContent, params, selfLink, v3Base } from './common.js'
import type { Handler } from './deps.js'
import { roleView } from './roles.js'

/** The request as its client signed it: the URL under the public base, the OAuth header's parameters. */
export function signedRequest(req: FastifyRequest): SignedOAuthRequest | undefined {
  const oauth = parseOAuthHeader(headerValue(req, 'authorization'))
  if (!oauth) return undefined
  const rest = req.url.slice(req.url.indexOf('/v3') + 3)
  return { method: req.method, url: `${v3Base(req)}${rest}`, oauth }
}

function formReply(t: IssuedToken): string {
  const body = `oauth_token=${t.id}&oauth_token_secret=${t.secret}`
  return t.expires_at ? `${body}&oauth_expires_at=${wireTime(t.expires_at)}` : body
}

const accessTokenView = (req: FastifyRequest, t: AccessToken) => ({
  id: t.id,
  consumer_id: t.consumer_id,
  project_id: t.project_id,
  authorizing_user_id: t.authorizing_user_id,
  expires_at: wireTime(t.expires_at),
  links: {
    ...selfLink(req, `users/${t.authorizing_user_id}/OS-OAUTH1/access_tokens/${t.id}`),
    roles: `${v3Base(req)}/users/${t.authorizing_user_id}/OS-OAUTH1/access_tokens/${t.id}/roles`,
  },
})

const unsigned = () => new AuthenticationFailed('Invalid signature')

/** POST /v3/OS-OAUTH1/request_token (signed with the consumer secret; Requested-Project-Id header) */
export const createRequestToken: Handler = async (req, reply, d) => {
  const signed = signedRequest(req)
  if (!signed) throw unsigned()
  const t = await d.oauth1.createRequestToken(signed, headerValue(req, 'requested-project-id'))
  return reply.code(201).header('content-type', 'application/x-www-form-urlencoded').send(formReply(t))
}

/** POST /v3/OS-OAUTH1/access_token (signed with the consumer and request token secrets) */
export const createAccessToken: Handler = async (req, reply, d) => {
  const signed = signedRequest(req)
  if (!signed) throw unsigned()
  const t = await d.oauth1.createAccessToken(signed)
  return reply.code(201).header('content-type', 'application/x-www-form-urlencoded').send(formReply(t))
}

/** PUT /v3/OS-OAUTH1/authorize/:id {"roles": [...]}: the verifier. */
export const authorizeRequestToken: Handler = async (req, _reply, d) => {
  const who = req.ctx.who
  // NOTE: a delegated token (trust, application credential, OAuth1) may not mint a new delegation.
  if (who.trust_id || who.application_credential_id || who.oauth_access_token_id)
    throw new ActionForbidden('Cannot authorize a request token with a token issued via delegation.')
  const roles = (req.body as { roles: { id?: string; name?: string }[] }).roles
  const verifier = await d.oauth1.authorize(params(req).id, who.user_id, roles)
  return { token: { oauth_verifier: verifier } }
}

/** GET /v3/users/:user/OS-OAUTH1/access_tokens */
export const listAccessTokens: Handler = async (req, _reply, d) => {
  const list = await d.oauth1.listAccessTokens(params(req).user)
  return collection(
    req,
    'access_tokens',
    list.map((t) => accessTokenView(req, t)),
  )
}

/** GET /v3/users/:user/OS-OAUTH1/access_tokens/:id */
export const getAccessToken: Handler = async (req, _reply, d) => {
  const { user, id } = params(req)
  return { access_token: accessTokenView(req, await d.oauth1.getAccessToken(user, id)) }
}

/** DELETE /v3/users/:user/OS-OAUTH1/access_tokens/:id */
export const deleteAccessToken: Handler = async (req, reply, d) => {
  const { user, id } = params(req)
  await d.oauth1.deleteAccessToken(user, id)
  return noContent(reply)
}

/** GET /v3/users/:user/OS-OAUTH1/access_tokens/:id/roles */
export const listAccessTokenRoles: Handler = async (req, _reply, d) => {
  const { user, id } = params(req)
  const t = await d.oauth1.getAccessToken(user, id)
  const roles = await d.roles.byIds(t.role_ids)
  return collection(
    req,
    'roles',
    [...roles.values()].map((r) => roleView(req, r)),
  )
}

/** GET /v3/users/:user/OS-OAUTH1/access_tokens/:id/roles/:role */
export const getAccessTokenRole: Handler = async (req, _reply, d) => {
  const { user, id, role } = params(req)
  const t = await d.oauth1.getAccessToken(user, id)
  if (!t.role_ids.includes(role)) throw new AuthenticationFailed('Role not found in the access token.')
  return { role: roleView(req, await d.roles.get(role)) }
}
