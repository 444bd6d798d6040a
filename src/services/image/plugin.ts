/**
 * The image service as a Fastify plugin: Glance's fault body, token authentication,
 * a pass-through parser so uploads stream straight to the store, and the routes.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TokenValidator } from '../../kernel/auth/index.js'
import { NotFound } from '../../kernel/errors/index.js'
import { serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import { glanceFault } from './errors.js'
import type { HandlerDeps } from './handlers/deps.js'
import { mountRoutes } from './routes.js'

export interface ImagePluginOptions {
  deps: HandlerDeps
  tokens?: TokenValidator
  enforcer: Enforcer
}

export function imagePlugin(opts: ImagePluginOptions): FastifyPluginAsync {
  return async (app) => {
    serviceScope(app, {
      serviceType: 'image',
      renderFault: glanceFault,
      tokens: opts.tokens,
      enforcer: opts.enforcer,
      unauthorizedHeaders: () => ({ 'www-authenticate': 'Keystone uri="/identity"' }),
    })
    await app.register(async (api) => {
      // NOTE: image data must never be buffered: the parser hands the raw request
      // stream to the handler, which pipes it through the hasher to disk. No body limit
      // applies to it (image_size_cap and quotas do).
      api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
      // `GET /v2/images/` names an image with an empty id: 404 as upstream, not the list.
      api.addHook('onRequest', async (req) => {
        if (/\/v2\/images\/$/.test(req.url.split('?')[0]!))
          throw new NotFound('No image found with an empty ID')
      })
      mountRoutes(api, opts.deps)
    })
  }
}
