/**
 * What identity's handlers are given (the route table's deps; no globals): every
 * domain object of the resource half, and the auth half's token machinery.
 */
import type { FastifyRequest } from 'fastify'
import type { RouteHandler } from '../../../kernel/http/index.js'
import type { Authenticator } from '../domain/auth.js'
import type { AuthnPorts } from '../domain/ports.js'
import type { TokenService } from '../domain/tokens.js'
import type { RevocationList } from '../domain/tokens-revocations.js'
import type { PolicyModel } from '../policies/strict.js'
import type { IdentityDomain } from '../resources.js'

/** The auth half, for /v3/auth/* and version discovery. */
export interface AuthDeps {
  ports: AuthnPorts
  tokens: TokenService
  authenticator: Authenticator
  revocations: RevocationList
  /** `[token] revoke_by_id`. */
  revokeById: boolean
  /** http://host:port/identity/v3 for this request (public_endpoint when set). */
  baseUrl(req: FastifyRequest): string
}

export interface IdentityDeps extends IdentityDomain {
  auth: AuthDeps
  /** Which persona model the policies follow (policies/strict.ts); a few lists obey it too. */
  policyModel: PolicyModel
}

export type Handler = RouteHandler<IdentityDeps>
