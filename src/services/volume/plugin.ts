/**
 * The block storage API as a Fastify plugin: Cinder's fault body
 * (`{"itemNotFound": {"code", "message"}}`), microversion negotiation with
 * `OpenStack-API-Version: volume X.Y`, token authentication, and the route table.
 */
import type { FastifyPluginAsync } from 'fastify'
import { computeFault, NotFound } from '../../kernel/errors/index.js'
import type { ScopeAuth } from '../../kernel/host/index.js'
import { installCors, mountRoutes, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import type { VolumeDeps } from './handlers/common.js'
import { ROUTES } from './routes.js'
import { validateBody } from './schemas/validate.js'
import { VERSIONS } from './versions.js'

export function volumePlugin(deps: VolumeDeps, auth: ScopeAuth, enforcer: Enforcer): FastifyPluginAsync {
  return async (app) => {
    installCors(app, auth.cors)
    serviceScope(app, {
      serviceType: 'volume',
      renderFault: computeFault,
      versions: VERSIONS,
      tokens: auth.tokens,
      ...(auth.authenticate ? { authenticate: auth.authenticate } : {}),
      enforcer,
    })
    // `GET /volumes/` names a volume with an empty id: 404 as Cinder, not the list.
    app.addHook('onRequest', async (req) => {
      const path = req.url.split('?')[0] ?? ''
      if (/^\/volume\/v3\/.+\/$/.test(path)) throw new NotFound()
    })
    mountRoutes(app, ROUTES, {
      deps,
      versions: VERSIONS,
      validateBody: (req, schema) => validateBody(schema, req.body),
    })
  }
}
