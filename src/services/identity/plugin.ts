/**
 * Identity's Fastify plugin, mounted at /identity: Keystone's fault format with
 * `WWW-Authenticate: Keystone uri="<auth url>"` on 401, token authentication, the
 * policy enforcer, then the route table (routes.ts) through the kernel's mountRoutes.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TokenValidator } from '../../kernel/auth/index.js'
import { keystoneFault } from '../../kernel/errors/index.js'
import { mountRoutes, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import { can } from './handlers/common.js'
import type { IdentityDeps } from './handlers/deps.js'
import { type IdentityRoute, ROUTES } from './routes.js'
import { validateBody } from './schemas/validation.js'

export interface IdentityPluginOptions {
  tokens: TokenValidator
  enforcer: Enforcer
  deps: IdentityDeps
  /** @default every route (routes.ts) */
  routes?: readonly IdentityRoute[]
}

/** http://host[:port]<prefix>/v3, from `[DEFAULT] public_endpoint` or the request. */
/**
 * The calls on which Keystone hides a missing object from a caller its policy refuses
 * (its target builder swallows the lookup's 404, so the policy answers 403 first). Others
 * look the object up first and answer 404 to everyone: deleting a group, updating a
 * domain, an endpoint, an EC2 credential; an application credential's handler builds
 * its target itself.
 */
const PROBE_SAFE = [
  /^[A-Z]+ \/v3\/(users|projects|credentials)\/:id$/,
  /^(GET|HEAD|PATCH) \/v3\/groups\/:id$/,
  /^(GET|HEAD) \/v3\/domains\/:id$/,
  /^[A-Z]+ \/v3\/groups\/:id\/users\/:user$/,
  /^GET \/v3\/users\/:id\/groups$/,
]

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
      unauthorizedHeaders: (req) => ({ 'www-authenticate': `Keystone uri="${opts.deps.auth.baseUrl(req)}"` }),
    })
    mountRoutes(app, opts.routes ?? ROUTES, {
      deps: opts.deps,
      validateBody: (req, schema) => validateBody(req, schema),
      // Keystone's target layout: attributes bare and under `target.` (handlers/common.ts).
      authorize: (req, rule, target) => can(req, rule, target),
      // Keystone's target builders for these swallow a missing object (a trust or a
      // token does not: those stay 404s, as tempest checks).
      enforceOnNotFound: (route) => PROBE_SAFE.some((re) => re.test(`${route.method} ${route.path}`)),
    })
  }
}
