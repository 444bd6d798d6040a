/**
 * Placement's Fastify plugin: its own fault renderer, microversion negotiation, JSON
 * content negotiation, authentication (keystone tokens or noauth2), CORS, and the
 * route table.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { TokenValidator } from '../../kernel/auth/index.js'
import { Unauthorized } from '../../kernel/errors/index.js'
import { parseGuardedJson, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import type { PlacementConfig } from './config.js'
import type { CandidateOptions } from './domain/candidates.js'
import type { Placement } from './domain/placement.js'
import { PlacementBadRequest } from './errors.js'
import { negotiateVersion, noauth2, placementFault } from './http-support.js'
import { registerRoutes } from './routes.js'

export interface PluginOptions {
  placement: Placement
  config: PlacementConfig
  enforcer: Enforcer
  tokens?: TokenValidator
}

/** The `[placement]` options of the candidate search. */
export function candidateOptions(config: PlacementConfig): CandidateOptions {
  return {
    maxCandidates: config.placement.max_allocation_candidates,
    randomize: config.placement.randomize_allocation_candidates,
  }
}

export function placementPlugin(opts: PluginOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const noauth = opts.config.api.auth_strategy === 'noauth2'
    const cors = opts.config.cors
    app.addHook('onRequest', async (req, reply) => {
      const origin = req.headers.origin
      if (typeof origin === 'string' && cors.allowed_origin.includes(origin)) {
        reply.header('access-control-allow-origin', origin)
        if (cors.allow_credentials) reply.header('access-control-allow-credentials', 'true')
        if (cors.expose_headers.length)
          reply.header('access-control-expose-headers', cors.expose_headers.join(','))
        if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
          reply.header('access-control-allow-methods', cors.allow_methods.join(','))
          const want = req.headers['access-control-request-headers']
          if (typeof want === 'string' && want) reply.header('access-control-allow-headers', want)
          reply.header('access-control-max-age', String(cors.max_age))
          return reply.code(200).send()
        }
      }
      // With CORS configured, oslo.middleware answers every OPTIONS with a bare 200
      // (a refused origin just gets no CORS headers).
      if (req.method === 'OPTIONS' && cors.allowed_origin.length) return reply.code(200).send()
    })
    serviceScope(app, {
      serviceType: 'placement',
      renderFault: placementFault,
      enforcer: opts.enforcer,
      tokens: opts.tokens,
      authenticate: noauth
        ? async (req) => {
            const path = req.url.split('?')[0]!.slice(app.prefix.length)
            if (path === '' || path === '/') return undefined
            const who = await noauth2(req)
            if (!who) throw new Unauthorized()
            return who
          }
        : undefined,
    })
    // Version and Accept negotiation run before authentication's hook result is used,
    // so every response (errors included) carries the version headers.
    app.addHook('onRequest', async (req, reply) => {
      reply.header('vary', 'openstack-api-version')
      req.version = negotiateVersion(req)
      reply.header('openstack-api-version', `placement ${req.version}`)
      // NOTE: the Accept check (406) is the route's: upstream checks it per GET handler.
    })
    // JSON bodies: parsed here so a syntax error is upstream's 400 "Malformed JSON: ..."
    // in placement's own error format; an empty body is left for the handler to judge.
    // The kernel's input guard (encoding, depth, storable strings) applies as everywhere.
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
      try {
        done(null, parseGuardedJson(body, { parse: parseOrRefuse }))
      } catch (e) {
        done(e as Error, undefined)
      }
    })
    // Any other body reaches the handler as text: upstream judges the content type per
    // route (400 for a missing one, 405 before 415 for a method the route lacks).
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
    // NOTE: upstream (webob) sends Location as an absolute URL, completed from the Host
    // header, and clients such as osc-placement GET it as given: a bare path would be
    // joined to the endpoint twice.
    app.addHook('onSend', async (req, reply, payload) => {
      const loc = reply.getHeader('location')
      if (typeof loc === 'string' && loc.startsWith('/') && req.headers.host)
        reply.header('location', `${req.protocol}://${req.headers.host}${loc}`)
      return payload
    })
    registerRoutes(app, opts.placement, {
      prefix: app.prefix,
      candidates: candidateOptions(opts.config),
    })
  }
}

function parseOrRefuse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new PlacementBadRequest(`Malformed JSON: ${(e as Error).message}`)
  }
}
