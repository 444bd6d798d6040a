/**
 * /v3/auth/tokens: issue (POST, anonymous), validate (GET), check (HEAD), revoke
 * (DELETE). The caller's token comes in X-Auth-Token, the token acted on in
 * X-Subject-Token.
 */
import type { FastifyRequest } from 'fastify'
import { headerValue } from '../../../kernel/http/index.js'
import type { AuthRequest } from '../domain/auth.js'
import { renderToken, type TokenModel } from '../domain/tokens-model.js'
import * as policies from '../policies/auth.js'
import type { Handler, IdentityDeps } from './deps.js'
import { assertionOf } from './federation.js'
import { signedRequest } from './oauth1.js'

type Query = Record<string, string | string[] | undefined>

function wantsCatalog(req: FastifyRequest): boolean {
  return !('nocatalog' in ((req.query ?? {}) as Query))
}

function truthy(v: string | string[] | undefined): boolean {
  const s = (Array.isArray(v) ? v[0] : v)?.toLowerCase()
  return s === '1' || s === 'true' || s === 'yes' || s === 'on' || s === 'y' || s === 't'
}

/**
 * A token's body as every token API renders it: the catalog when scoped (unless
 * `nocatalog`), and the enabled service providers (K2K federation), as upstream.
 */
export async function tokenBody(d: IdentityDeps, token: TokenModel, req: FastifyRequest, catalog = true) {
  const scoped =
    token.claims.project !== undefined ||
    token.claims.domain !== undefined ||
    token.claims.system !== undefined
  const cat =
    scoped && catalog && wantsCatalog(req) ? await d.auth.ports.catalog(token.claims.project?.id) : undefined
  // NOTE: the auth half alone (tests with fake ports) has no federation.
  const sps = (await d.federation?.enabledSps()) ?? []
  return renderToken(
    token,
    cat,
    sps.map((sp) => ({ id: sp.id, auth_url: sp.auth_url, sp_url: sp.sp_url })),
  )
}

function subjectTarget(token: TokenModel) {
  return { target: { token: { user_id: token.claims.sub } } }
}

/** POST /v3/auth/tokens */
export const issueToken: Handler = async (req, reply, d) => {
  const signed = signedRequest(req)
  const token = await d.auth.authenticator.authenticate((req.body as { auth: AuthRequest }).auth, {
    assertion: assertionOf(req, d.config),
    ...(signed ? { oauth1: () => d.oauth1.authenticate(signed) } : {}),
  })
  reply.code(201).header('x-subject-token', token.id)
  return tokenBody(d, token, req)
}

/** GET and HEAD /v3/auth/tokens */
export const validateToken: Handler = async (req, reply, d) => {
  const head = req.method === 'HEAD'
  const subject = await d.auth.tokens.check(headerValue(req, 'x-subject-token'), {
    allowExpired: truthy((req.query as Query | undefined)?.allow_expired),
  })
  req.ctx.can(head ? policies.CHECK_TOKEN : policies.VALIDATE_TOKEN, subjectTarget(subject))
  reply.code(200).header('x-subject-token', subject.id)
  if (head) return reply.send()
  return tokenBody(d, subject, req)
}

/** DELETE /v3/auth/tokens */
export const revokeToken: Handler = async (req, reply, d) => {
  const subject = await d.auth.tokens.check(headerValue(req, 'x-subject-token'))
  req.ctx.can(policies.REVOKE_TOKEN, subjectTarget(subject))
  if (d.auth.revokeById) {
    await d.auth.revocations.record({
      audit_id: subject.claims.audit_ids[0],
      issued_before: new Date(subject.issuedAtMs).toISOString(),
    })
  }
  return reply.code(204).send()
}
