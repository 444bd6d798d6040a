/**
 * /v3/auth/tokens: issue (POST, anonymous), validate (GET), check (HEAD), revoke
 * (DELETE). The caller's token comes in X-Auth-Token, the token acted on in
 * X-Subject-Token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { headerValue } from '../../../kernel/http/index.js'
import { renderToken, type TokenModel } from '../domain/tokens-model.js'
import * as policies from '../policies/auth.js'
import { parseAuthRequest } from '../schemas/auth.js'
import type { AuthHandlerDeps } from './auth-deps.js'

type Query = Record<string, string | string[] | undefined>

function wantsCatalog(req: FastifyRequest): boolean {
  return !('nocatalog' in ((req.query ?? {}) as Query))
}

function truthy(v: string | string[] | undefined): boolean {
  const s = (Array.isArray(v) ? v[0] : v)?.toLowerCase()
  return s === '1' || s === 'true' || s === 'yes' || s === 'on' || s === 'y' || s === 't'
}

async function body(deps: AuthHandlerDeps, token: TokenModel, req: FastifyRequest) {
  const scoped =
    token.claims.project !== undefined ||
    token.claims.domain !== undefined ||
    token.claims.system !== undefined
  const catalog = scoped && wantsCatalog(req) ? await deps.ports.catalog(token.claims.project?.id) : undefined
  return renderToken(token, catalog)
}

function subjectTarget(token: TokenModel) {
  return { target: { token: { user_id: token.claims.sub } } }
}

export function authTokenHandlers(deps: AuthHandlerDeps) {
  return {
    /** POST /v3/auth/tokens */
    async issue(req: FastifyRequest, reply: FastifyReply) {
      const auth = parseAuthRequest(req.body)
      const token = await deps.authenticator.authenticate(auth)
      reply.code(201).header('x-subject-token', token.id)
      return body(deps, token, req)
    },

    /** GET and HEAD /v3/auth/tokens */
    async validate(req: FastifyRequest, reply: FastifyReply) {
      const head = req.method === 'HEAD'
      const subject = await deps.tokens.check(headerValue(req, 'x-subject-token'), {
        allowExpired: truthy((req.query as Query | undefined)?.allow_expired),
      })
      req.ctx.can(head ? policies.CHECK_TOKEN : policies.VALIDATE_TOKEN, subjectTarget(subject))
      reply.code(200).header('x-subject-token', subject.id)
      if (head) return reply.send()
      return body(deps, subject, req)
    },

    /** DELETE /v3/auth/tokens */
    async revoke(req: FastifyRequest, reply: FastifyReply) {
      const subject = await deps.tokens.check(headerValue(req, 'x-subject-token'))
      req.ctx.can(policies.REVOKE_TOKEN, subjectTarget(subject))
      if (deps.revokeById) {
        await deps.revocations.record({
          audit_id: subject.claims.audit_ids[0],
          issued_before: new Date(subject.issuedAtMs).toISOString(),
        })
      }
      return reply.code(204).send()
    },
  }
}
