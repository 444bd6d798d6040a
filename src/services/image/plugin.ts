/**
 * The image service as a Fastify plugin: CORS, Glance's fault body, authentication as
 * the host configured it, a pass-through parser so uploads stream straight to the
 * files, and the route table (policy, body schemas and 405s from the kernel's table).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { NotFound } from '../../kernel/errors/index.js'
import type { ScopeAuth } from '../../kernel/host/index.js'
import { installCors, mountRoutes, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import { glanceFault, UnsupportedPatchMedia } from './errors.js'
import type { HandlerDeps } from './handlers/deps.js'
import { mediaTypeOf } from './handlers/images.js'
import { forbidden } from './policies/index.js'
import { type ImageRoute, ROUTES } from './routes.js'
import { validateBody } from './schemas/validate-body.js'

export interface ImagePluginOptions {
  deps: HandlerDeps
  auth: ScopeAuth
  enforcer: Enforcer
}

export function imagePlugin(opts: ImagePluginOptions): FastifyPluginAsync {
  return async (app) => {
    installCors(app, opts.auth.cors)
    serviceScope(app, {
      serviceType: 'image',
      renderFault: glanceFault,
      tokens: opts.auth.tokens,
      authenticate: opts.auth.authenticate,
      enforcer: opts.enforcer,
      unauthorizedHeaders: () => ({ 'www-authenticate': 'Keystone uri="/identity"' }),
    })
    // `GET /v2/images/` names an image with an empty id: 404 as upstream, not the list
    // (in this scope, not the routes' child, so that a method the list lacks is a 404 too).
    app.addHook('onRequest', async (req) => {
      if (/\/v2\/images\/$/.test(req.url.split('?')[0]!))
        throw new NotFound('No image found with an empty ID')
    })
    await app.register(async (api) => {
      // NOTE: image data must never be buffered: the parser hands the raw request
      // stream to the handler, which pipes it through the hasher to disk. No body limit
      // applies to it (image_size_cap and quotas do).
      api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
      mountRoutes<HandlerDeps, ImageRoute>(api, ROUTES, {
        deps: opts.deps,
        guard: checkMediaType,
        validateBody: (req, schema) => validateBody(schema, req.body),
        // Route-enforced rules are the metadef and cache ones, worded as Glance words them.
        authorize: (req, rule, target) => {
          if (!req.ctx.allows(rule, target)) throw forbidden(rule)
        },
      })
    })
  }
}

/** A route that names its media types answers any other with 415 (the PATCH dialects). */
function checkMediaType(req: FastifyRequest, route: ImageRoute): void {
  if (!route.mediaTypes) return
  const type = mediaTypeOf(req.headers)
  if (!route.mediaTypes.includes(type)) throw new UnsupportedPatchMedia(type)
}
