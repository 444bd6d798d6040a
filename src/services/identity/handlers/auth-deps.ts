/**
 * What the auth handlers need, handed over by the plugin (no globals).
 */
import type { FastifyRequest } from 'fastify'
import type { Authenticator } from '../domain/auth.js'
import type { AuthnPorts } from '../domain/ports.js'
import type { TokenService } from '../domain/tokens.js'
import type { RevocationList } from '../domain/tokens-revocations.js'

export interface AuthHandlerDeps {
  ports: AuthnPorts
  tokens: TokenService
  authenticator: Authenticator
  revocations: RevocationList
  /** `[token] revoke_by_id`. */
  revokeById: boolean
  /** http://host:port/identity/v3 for this request (public_endpoint when set). */
  baseUrl(req: FastifyRequest): string
}
