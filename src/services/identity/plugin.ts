/**
 * Identity's Fastify plugin, mounted at /identity: Keystone's fault format with
 * `WWW-Authenticate: Keystone uri="<auth url>"` on 401, token authentication, the
 * policy enforcer, then the auth routes and the resource half's routes.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TokenValidator } from '../../kernel/auth/index.js'
import { keystoneFault } from '../../kernel/errors/index.js'
import { serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import type { AuthHandlerDeps } from './handlers/auth-deps.js'
import { registerAuthRoutes } from './routes.js'

export interface IdentityPluginOptions {
  tokens: TokenValidator
  enforcer: Enforcer
  auth: AuthHandlerDeps
  /** The resource half's routes (users, projects, roles, catalog...). */
  registerResourceRoutes(app: Parameters<FastifyPluginAsync>[0]): void
}

/** http://host[:port]<prefix>/v3, from `[DEFAULT] public_endpoint` or the request. */
export function authUrlResolver(
  prefix: string,
  publicEndpoint: string | undefined,
): (req: FastifyRequest) => string {
  const fixed = publicEndpoint ? `${publicEndpoint.replace(/\/+$/, '')}${prefix}/v3` : undefined
  return (req) => fixed ?? `${req.protocol}://${req.host}${prefix}/v3`
}

export function identityPlugin(opts: IdentityPluginOptions): FastifyPluginAsync {
  return async (app) => {
    serviceScope(app, {
      serviceType: 'identity',
      renderFault: keystoneFault,
      tokens: opts.tokens,
      enforcer: opts.enforcer,
      unauthorizedHeaders: (req) => ({ 'www-authenticate': `Keystone uri="${opts.auth.baseUrl(req)}"` }),
    })
    registerAuthRoutes(app, opts.auth)
    opts.registerResourceRoutes(app)
  }
}
