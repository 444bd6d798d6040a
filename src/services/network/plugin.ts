/**
 * The network API as a Fastify plugin: CORS, Neutron's fault body, authentication as the
 * host configured it (no microversions: Neutron has none), and the route table.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { ScopeAuth } from '../../kernel/host/index.js'
import { installCors, mountRoutes, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import { badRequest, neutronFault, policyNotAuthorized } from './errors.js'
import type { NetworkDeps } from './handlers/common.js'
import { ROUTES } from './routes.js'

export function networkPlugin(deps: NetworkDeps, auth: ScopeAuth, enforcer: Enforcer): FastifyPluginAsync {
  return async (app) => {
    installCors(app, auth.cors)
    // NOTE: Neutron reads every body as JSON whatever its Content-Type, and tempest's
    // plugin client sends its PUTs with none; a missing or other type is parsed the same.
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body)
      if (!text.trim()) return done(null, undefined)
      try {
        done(null, JSON.parse(text))
      } catch {
        done(badRequest('Malformed request body'), undefined)
      }
    })
    serviceScope(app, {
      serviceType: 'network',
      renderFault: neutronFault,
      tokens: auth.tokens,
      ...(auth.authenticate ? { authenticate: auth.authenticate } : {}),
      enforcer,
    })
    mountRoutes(app, ROUTES, {
      deps,
      authorize: (req, rule, target) => {
        if (!req.ctx.allows(rule, target)) throw policyNotAuthorized(rule)
      },
    })
  }
}
