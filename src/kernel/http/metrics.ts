/**
 * Prometheus metrics: request counts and latencies per route and status, plus the
 * process's own (memory, event loop lag, GC) from prom-client.
 *
 * Where they are read is the operator's choice (`[metrics]` in the host configuration):
 *
 *   API port  GET /metrics ── api_access = admin    ─▶ X-Auth-Token with the admin role
 *                          ── api_access = public   ─▶ anyone
 *                          ── api_access = disabled ─▶ 404
 *   own port  GET /metrics ── bind_port set         ─▶ anyone who can reach bind_host
 *
 * The figures name every route and how busy the process is, so the API port answers
 * admins only unless told otherwise; a scraper that cannot fetch tokens gets a listener
 * of its own, bound to a management address.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'
import type { TokenValidator } from '../auth/index.js'
import { Forbidden, Unauthorized } from '../errors/index.js'

/** Who may read /metrics on the API port. */
export type MetricsAccess = 'admin' | 'public' | 'disabled'

export interface MetricsOptions {
  /** @default 'admin' */
  access?: MetricsAccess
  /** Validates the token of an admin request; without one, `admin` access refuses everyone. */
  tokens?: TokenValidator
  /** A listener of its own that serves only /metrics, without authentication. @default none */
  listen?: { host: string; port: number }
}

/** What the app knows of its metrics: the registry and the optional own listener. */
export interface AppMetrics {
  registry: Registry
  /** Starts the own listener when one is configured; its URL, or undefined. */
  listen(): Promise<string | undefined>
  /** The own listener's /metrics URL once it listens. */
  url?: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when the app collects metrics. */
    metrics?: AppMetrics
  }
}

export function installMetrics(app: FastifyInstance, options: MetricsOptions = {}): AppMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'cloudlet_' })
  const requests = new Counter({
    name: 'cloudlet_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'cloudlet_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    requests.inc({ method: req.method, route, status: String(reply.statusCode) })
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000)
  })

  const access = options.access ?? 'admin'
  if (access !== 'disabled') {
    const tokens = options.tokens
    app.get(
      '/metrics',
      { onRequest: access === 'admin' ? async (req) => requireAdmin(req, tokens) : [] },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    )
  }

  let server: Server | undefined
  const metrics: AppMetrics = {
    registry,
    async listen() {
      if (!options.listen || server) return metrics.url
      server = await serveMetrics(registry, options.listen.host, options.listen.port)
      const { address, port, family } = server.address() as AddressInfo
      metrics.url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/metrics`
      return metrics.url
    },
  }
  app.addHook('onClose', async () => {
    const s = server
    if (!s) return
    const closed = new Promise<void>((done) => s.close(() => done()))
    s.closeAllConnections()
    await closed
  })
  app.decorate('metrics', metrics)
  return metrics
}

async function requireAdmin(req: FastifyRequest, tokens: TokenValidator | undefined): Promise<void> {
  const raw = req.headers['x-auth-token']
  const token = Array.isArray(raw) ? raw[0] : raw
  if (!token || !tokens) throw new Unauthorized('The request you have made requires authentication.')
  const identity = await tokens.validate(token)
  if (!identity.roles.includes('admin'))
    throw new Forbidden('Reading /metrics on the API port requires the admin role.')
}

/** A plain HTTP server answering GET /metrics from `registry`, and 404 to anything else. */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n')
      return
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
