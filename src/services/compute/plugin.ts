/**
 * The compute API as a Fastify plugin: Nova's fault body, microversion negotiation with
 * both headers (`OpenStack-API-Version: compute X.Y` and `X-OpenStack-Nova-API-Version`),
 * token authentication, and the route table.
 */
import type { FastifyPluginAsync } from 'fastify'
import { computeFault } from '../../kernel/errors/index.js'
import type { ScopeAuth } from '../../kernel/host/index.js'
import { mountRoutes, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import { ComputeNotFound } from './errors.js'
import type { ComputeDeps } from './handlers/common.js'
import { ROUTES } from './routes.js'
import { validateBody } from './schemas/validate.js'
import { VERSIONS } from './versions.js'

export const LEGACY_VERSION_HEADER = 'x-openstack-nova-api-version'

export function computePlugin(deps: ComputeDeps, auth: ScopeAuth, enforcer: Enforcer): FastifyPluginAsync {
  return async (app) => {
    // NOTE: Nova answers every request with its request id under its own name too;
    // clients and tempest read `x-compute-request-id` (instance actions are keyed by it).
    app.addHook('onRequest', async (req, reply) => {
      reply.header('x-compute-request-id', req.id)
      // NOTE: `/os-volumes/` names a volume with an empty id (404 upstream), not the list
      // the router's trailing-slash folding would find.
      if (/\/v2\.1\/(os-volumes|os-snapshots|images)\/$/.test(req.url.split('?')[0] ?? ''))
        throw new ComputeNotFound()
    })
    serviceScope(app, {
      serviceType: 'compute',
      renderFault: computeFault,
      versions: VERSIONS,
      legacyVersionHeader: LEGACY_VERSION_HEADER,
      tokens: auth.tokens,
      ...(auth.authenticate ? { authenticate: auth.authenticate } : {}),
      enforcer,
    })
    mountRoutes(app, ROUTES, {
      deps,
      versions: VERSIONS,
      validateBody: (req, schema) => validateBody(schema, req.body),
    })
  }
}
