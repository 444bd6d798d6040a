/**
 * The HTTP application factory: one Fastify instance that every service mounts on
 * under its path prefix. It owns what is common to every request: request ids,
 * logging, body parsing and the input guard, health and metrics. Service-specific concerns (fault format,
 * microversions, authentication) live in `serviceScope`.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Logger } from 'pino'
import { keystoneFault } from '../errors/index.js'
import { FaultFormats } from './client-errors.js'
import { installInputGuard } from './input-guard.js'
import { installMetrics, type MetricsOptions } from './metrics.js'
import { installFaultHandler } from './service-scope.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Which fault format answers requests the HTTP parser refuses, by path prefix. */
    faultFormats: FaultFormats
  }
}

export interface AppOptions {
  /** A pino logger or pino options; false logs nothing (tests). */
  logger?: Logger | FastifyServerOptions['logger']
  /** Largest JSON body accepted, in bytes. @default 1 MiB (upstream's max_request_body_size is 112 KiB) */
  bodyLimit?: number
  /** Deepest JSON nesting a body may have. @default DEFAULT_MAX_JSON_DEPTH (64) */
  maxJsonDepth?: number
  /**
   * Collect Prometheus metrics and serve them at /metrics, to admins by default (see
   * MetricsOptions); false collects nothing. @default true (admin access)
   */
  metrics?: boolean | MetricsOptions
  /**
   * Answer unknown paths at the root in Keystone's format. Off when one service is
   * mounted at `/` itself (placement alone), since its scope then owns the root.
   * @default true
   */
  rootFaults?: boolean
}

export function createApp(options: AppOptions = {}): FastifyInstance {
  const logger = options.logger ?? false
  const faultFormats = new FaultFormats()
  const isInstance =
    typeof logger === 'object' && logger !== null && typeof (logger as Logger).child === 'function'
  const app = Fastify({
    ...(isInstance
      ? { loggerInstance: logger as unknown as FastifyBaseLogger }
      : { logger: logger as FastifyServerOptions['logger'] }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: () => `req-${randomUUID()}`,
    // Query strings like `?name=a&name=b` arrive as arrays, as upstream's parsers see them.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // NOTE: Python clients reuse keep-alive connections; a server that silently closes
    // an idle one makes them fail at random. Keep idle connections open for long.
    keepAliveTimeout: 600_000,
    forceCloseConnections: 'idle',
    clientErrorHandler: (error, socket) => faultFormats.handle(error, socket),
  })
  app.decorate('faultFormats', faultFormats)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id)
  })
  // NOTE: Fastify appends `; charset=utf-8` to JSON; upstream services send plain
  // `application/json` (JSON is UTF-8 by definition) and some client tests compare it.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8')
      reply.header('content-type', 'application/json')
    return payload
  })

  // JSON of any flavour (application/json, application/*+json, Glance's json-patch types),
  // and the URL, pass the input guard before any handler runs. An empty JSON body
  // parses as undefined rather than failing, as upstream's parsers do.
  installInputGuard(app, { maxJsonDepth: options.maxJsonDepth })

  app.get('/healthcheck', async (_req, reply) => reply.type('text/plain').send('OK'))
  // Paths outside every service still answer in an OpenStack error format.
  if (options.rootFaults !== false) installFaultHandler(app, keystoneFault)
  if (options.metrics !== false)
    installMetrics(app, typeof options.metrics === 'object' ? options.metrics : {})
  return app
}
