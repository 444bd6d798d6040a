/**
 * What makes a Fastify scope an OpenStack service: its fault format, its microversion
 * negotiation, and token authentication. Call `serviceScope` first thing inside a
 * service's plugin; because Fastify encapsulates error handlers and hooks, every service
 * mounted in the same process keeps its own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  type AuthenticatedIdentity,
  permittedByAccessRules,
  RequestContext,
  type TokenValidator,
} from '../auth/index.js'
import { type FaultRenderer, NotFound, toFault, Unauthorized } from '../errors/index.js'
import { negotiate, type Version, type VersionList } from '../microversion/index.js'
import type { Enforcer } from '../policy/index.js'
import { UnroutedMethods } from './unrouted-methods.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by serviceScope for every request inside a service. */
    ctx: RequestContext
    /** The negotiated microversion (services that declare versions). */
    version: Version
  }
  interface FastifyContextConfig {
    /** Route needs no token (version documents, token issue). */
    public?: boolean
  }
}

export interface ServiceScopeOptions {
  serviceType: string
  renderFault: FaultRenderer
  versions?: VersionList
  legacyVersionHeader?: string
  /** Validates X-Auth-Token; without one, every request is anonymous. */
  tokens?: TokenValidator
  /**
   * Resolves the identity for a request when the service authenticates another way
   * (placement's noauth2). Returns undefined for anonymous.
   */
  authenticate?: (req: FastifyRequest) => Promise<AuthenticatedIdentity | undefined>
  enforcer?: Enforcer
  /** Extra headers for 401 responses (Keystone's WWW-Authenticate). */
  unauthorizedHeaders?: (req: FastifyRequest) => Record<string, string>
}

export function installFaultHandler(
  app: FastifyInstance,
  render: FaultRenderer,
  extraHeaders?: (req: FastifyRequest, status: number) => Record<string, string>,
  /** The 405 of a known path whose method has no route (route tables' unrouted methods). */
  unroutedMethod?: (req: FastifyRequest) => Error | undefined,
): void {
  app.setErrorHandler(async (error, req, reply) => sendFault(error, req, reply, render, extraHeaders))
  app.setNotFoundHandler(async (req, reply) =>
    sendFault(unroutedMethod?.(req) ?? new NotFound(), req, reply, render, extraHeaders),
  )
}

export function sendFault(
  error: unknown,
  req: FastifyRequest,
  reply: FastifyReply,
  render: FaultRenderer,
  extraHeaders?: (req: FastifyRequest, status: number) => Record<string, string>,
) {
  const fault = toFault(error)
  if (fault.unexpected) req.log.error({ err: error, request_id: req.id }, 'unexpected error')
  else if (fault.status >= 500) req.log.warn({ err: error }, fault.message)
  const rendered = render(fault, req)
  reply.code(fault.status)
  reply.headers({
    ...fault.headers,
    ...(rendered.headers ?? {}),
    ...(extraHeaders?.(req, fault.status) ?? {}),
  })
  // A HEAD request gets the status and headers, never a body.
  if (req.method === 'HEAD') return reply.send()
  reply.type(rendered.contentType ?? 'application/json')
  return reply.send(rendered.body)
}

export function serviceScope(app: FastifyInstance, opts: ServiceScopeOptions): void {
  app.faultFormats?.register(app.prefix, opts.renderFault)
  const unrouted = UnroutedMethods.attach(app)
  installFaultHandler(
    app,
    opts.renderFault,
    (req, status) => (status === 401 && opts.unauthorizedHeaders ? opts.unauthorizedHeaders(req) : {}),
    (req) => unrouted.fault(req),
  )

  if (opts.versions) {
    const versions = opts.versions
    const headerName = 'openstack-api-version'
    app.addHook('onRequest', async (req, reply) => {
      reply.header(
        'vary',
        opts.legacyVersionHeader ? `${headerName}, ${opts.legacyVersionHeader}` : headerName,
      )
      req.version = negotiate(req.headers, {
        serviceType: opts.serviceType,
        versions,
        legacyHeader: opts.legacyVersionHeader,
      })
      reply.header(headerName, `${opts.serviceType} ${req.version}`)
      if (opts.legacyVersionHeader) reply.header(opts.legacyVersionHeader, String(req.version))
    })
  }

  // NOTE: authentication runs at onRequest, before the body is parsed and validated,
  // so an anonymous caller gets 401 rather than a hint about the body's shape.
  app.addHook('onRequest', async (req) => {
    let identity: AuthenticatedIdentity | undefined
    const token = headerValue(req, 'x-auth-token')
    if (opts.authenticate) {
      identity = await opts.authenticate(req)
    } else if (token && opts.tokens) {
      identity = await opts.tokens.validate(token)
    }
    req.ctx = new RequestContext(req.id, opts.enforcer, identity, token)
    // NOTE: a method a known path lacks has no route (unrouted-methods.ts); its 405 is
    // answered before authentication where the table says so.
    const routed = req.routeOptions.url !== undefined
    if (!identity && !req.routeOptions.config?.public && (routed || !unrouted.match(req)?.table.public))
      throw new Unauthorized()
    if (
      identity?.access_rules?.length &&
      !accessRulesAdmit(req, app.prefix, opts.serviceType, identity, token)
    )
      throw new Unauthorized('The application credential used for this token does not permit this request.')
  })
}

/**
 * Whether an application credential's access rules admit the request. NOTE: a token
 * validating itself at identity (GET/HEAD /v3/auth/tokens with itself as subject) is
 * admitted: it reveals nothing but the token's own contents, and a process that does
 * not run identity validates tokens that way.
 */
function accessRulesAdmit(
  req: FastifyRequest,
  prefix: string,
  serviceType: string,
  identity: AuthenticatedIdentity,
  token: string | undefined,
): boolean {
  const path = (req.url.split('?')[0] ?? '').slice(prefix.length) || '/'
  if (
    serviceType === 'identity' &&
    (req.method === 'GET' || req.method === 'HEAD') &&
    path.replace(/\/+$/, '') === '/v3/auth/tokens' &&
    headerValue(req, 'x-subject-token') === token
  )
    return true
  return permittedByAccessRules(identity.access_rules ?? [], serviceType, req.method, path)
}

export function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}
