/**
 * Placement's Fastify plugin: CORS and authentication as the host configured them,
 * placement's fault renderer, microversion negotiation, JSON body parsing, absolute
 * Location headers, and the route table.
 *
 *   request ─▶ CORS ─▶ authenticate (token | noauth2; 401) ─▶ negotiate version (400/406)
 *           ─▶ parse JSON (400 "Malformed JSON") ─▶ route table (routes.ts) ─▶ handler
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ScopeAuth } from '../../kernel/host/index.js'
import { installCors, parseGuardedJson, serviceScope } from '../../kernel/http/index.js'
import type { Enforcer } from '../../kernel/policy/index.js'
import type { CandidateOptions } from './domain/candidates.js'
import type { Placement } from './domain/placement.js'
import { PlacementBadRequest } from './errors.js'
import { negotiateVersion, placementFault } from './http-support.js'
import { registerRoutes } from './routes.js'

export interface PluginOptions {
  placement: Placement
  candidates: CandidateOptions
  enforcer: Enforcer
  auth: ScopeAuth
}

export function placementPlugin(opts: PluginOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    installCors(app, opts.auth.cors)
    // NOTE: the version is negotiated after authentication (its own hook, not
    // serviceScope's), as upstream's middleware stack orders them: an anonymous
    // request with a bad version is a 401.
    serviceScope(app, {
      serviceType: 'placement',
      renderFault: placementFault,
      enforcer: opts.enforcer,
      tokens: opts.auth.tokens,
      authenticate: opts.auth.authenticate,
    })
    app.addHook('onRequest', async (req, reply) => {
      reply.header('vary', 'openstack-api-version')
      req.version = negotiateVersion(req)
      reply.header('openstack-api-version', `placement ${req.version}`)
      // NOTE: the Accept check (406) is the route table's: upstream checks it per GET handler.
    })
    // JSON bodies: parsed here so a syntax error is upstream's 400 "Malformed JSON: ..."
    // in placement's own error format; an empty body is left for the route to judge.
    // The kernel's input guard (encoding, depth, storable strings) applies as everywhere.
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
      try {
        done(null, parseGuardedJson(body, { parse: parseOrRefuse }))
      } catch (e) {
        done(e as Error, undefined)
      }
    })
    // Any other body reaches the route as text: upstream judges the content type per
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
    registerRoutes(app, { pl: opts.placement, prefix: app.prefix, candidates: opts.candidates })
  }
}

function parseOrRefuse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new PlacementBadRequest(`Malformed JSON: ${(e as Error).message}`)
  }
}
