/**
 * Clients for calling another service's API. Each module keeps a small typed client per
 * upstream API it calls (compute's placement client, network's compute events client);
 * all of them send through one `ServiceClient`, which adds the service token, the
 * request id and the API version header, over one transport:
 *
 *   module ─▶ ServiceClient('placement', '1.39') ─▶ transport
 *                                                   ├─ inject: the service runs in this
 *                                                   │  process; no socket (Fastify inject)
 *                                                   └─ http: another process, by endpoint
 *
 * The transport is resolved at the first call, not when the client is made, so two
 * modules can hold clients of each other whatever their start order.
 */
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { FastifyInstance } from 'fastify'
import { DomainError } from '../errors/index.js'

export interface ServiceRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Relative to the service's endpoint, e.g. `/resource_providers`. */
  path: string
  headers?: Record<string, string>
  /** Sent as JSON; a Buffer is sent as it is (`application/octet-stream` unless a content type is given), for data such as image files. */
  body?: unknown
  /** Answer the body as bytes (a Buffer), for data such as image files. */
  binary?: boolean
  /** Bytes sent as the body instead of JSON (`application/octet-stream`), e.g. a volume uploaded to an image. */
  data?: Buffer | Readable
  /**
   * Answer a 2xx body as a byte stream (a Readable) that the caller must consume or
   * destroy: data too big to hold in memory, such as a 1 GiB image copied into a volume.
   */
  stream?: boolean
}

export interface ServiceResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** Parsed JSON when the answer is JSON, else the text (undefined when empty); bytes or a stream when asked. */
  body: unknown
}

/** How requests reach a service. */
export interface ClientTransport {
  send(serviceType: string, req: ServiceRequest): Promise<ServiceResponse>
}

/** A service answered with an error status (`answered`), or could not be reached (undefined). */
export class ServiceCallFailed extends DomainError {
  constructor(
    readonly serviceType: string,
    readonly request: ServiceRequest,
    readonly answered: number | undefined,
    readonly body: unknown,
  ) {
    super(
      'service_unavailable',
      'cloudlet.service_call_failed',
      answered === undefined
        ? `The ${serviceType} service could not be reached (${request.method} ${request.path}).`
        : `The ${serviceType} service answered ${answered} to ${request.method} ${request.path}.`,
    )
  }
}

export interface CallOptions {
  /** Forwarded as X-OpenStack-Request-ID, so one request can be followed across services. */
  requestId?: string
  /** Statuses the caller handles itself instead of a ServiceCallFailed. @default 2xx only */
  accept?: readonly number[]
  headers?: Record<string, string>
  /**
   * Call as the user: their token as X-Auth-Token (the callee applies its policies to
   * them, as upstream services call each other for users) and the service token as
   * X-Service-Token.
   */
  userToken?: string
}

export interface ServiceClientDeps {
  transport: () => ClientTransport
  /** The token this process calls other services with (undefined: none). */
  token?: () => Promise<string | undefined>
}

export class ServiceClient {
  constructor(
    readonly serviceType: string,
    private readonly deps: ServiceClientDeps,
    /** Sent as `OpenStack-API-Version: <service-type> <version>`. */
    readonly version?: string,
  ) {}

  /** The same client at another microversion. */
  at(version: string): ServiceClient {
    return new ServiceClient(this.serviceType, this.deps, version)
  }

  async request(req: ServiceRequest, options: CallOptions = {}): Promise<ServiceResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers, ...options.headers }
    const token = await this.deps.token?.()
    if (options.userToken) {
      headers['x-auth-token'] = options.userToken
      if (token) headers['x-service-token'] = token
    } else if (token) headers['x-auth-token'] = token
    if (options.requestId) headers['x-openstack-request-id'] = options.requestId
    if (this.version) headers['openstack-api-version'] = `${this.serviceType} ${this.version}`
    if (req.data !== undefined) headers['content-type'] ??= 'application/octet-stream'
    else if (req.body !== undefined) headers['content-type'] ??= 'application/json'
    const sent = { ...req, headers }
    // NOTE: errors are logged; the tokens they would carry stay out of the logs.
    const { 'x-auth-token': _a, 'x-service-token': _s, ...shown } = headers
    const described = { ...req, headers: shown }
    let res: ServiceResponse
    try {
      res = await this.deps.transport().send(this.serviceType, sent)
    } catch (cause) {
      if (cause instanceof ServiceCallFailed) throw cause
      throw new ServiceCallFailed(this.serviceType, described, undefined, String(cause))
    }
    const ok = res.status >= 200 && res.status < 300
    if (!ok && !options.accept?.includes(res.status))
      throw new ServiceCallFailed(this.serviceType, described, res.status, res.body)
    return res
  }

  async get<T = unknown>(path: string, options?: CallOptions): Promise<T> {
    return (await this.request({ method: 'GET', path }, options)).body as T
  }

  async post<T = unknown>(path: string, body: unknown, options?: CallOptions): Promise<T> {
    return (await this.request({ method: 'POST', path, body }, options)).body as T
  }

  async put<T = unknown>(path: string, body: unknown, options?: CallOptions): Promise<T> {
    return (await this.request({ method: 'PUT', path, body }, options)).body as T
  }

  async delete(path: string, options?: CallOptions): Promise<void> {
    await this.request({ method: 'DELETE', path }, options)
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/** Calls a service mounted in this process through Fastify's inject: no socket. */
export class InjectTransport implements ClientTransport {
  constructor(
    private readonly app: () => FastifyInstance,
    private readonly prefixOf: (serviceType: string) => string | undefined,
  ) {}

  handles(serviceType: string): boolean {
    return this.prefixOf(serviceType) !== undefined
  }

  async send(serviceType: string, req: ServiceRequest): Promise<ServiceResponse> {
    const prefix = this.prefixOf(serviceType)
    if (prefix === undefined) throw new Error(`${serviceType} is not served by this process`)
    const res = await this.app().inject({
      method: req.method,
      url: `${prefix}${req.path}`,
      headers: req.headers,
      ...(req.data !== undefined
        ? { payload: req.data }
        : req.body === undefined
          ? {}
          : { payload: JSON.stringify(req.body) }),
      // NOTE: as a stream, so bytes (an image's file) are never made into one string,
      // which fails past 512 MiB.
      payloadAsStream: true,
    })
    const headers = res.headers as ServiceResponse['headers']
    if (req.stream && res.statusCode < 300) return { status: res.statusCode, headers, body: res.stream() }
    const chunks: Buffer[] = []
    for await (const chunk of res.stream()) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    const raw = Buffer.concat(chunks)
    return {
      status: res.statusCode,
      headers: res.headers as ServiceResponse['headers'],
      body:
        req.binary && res.statusCode < 300
          ? raw
          : parseBody(raw.toString(), res.headers['content-type'] as string | undefined),
    }
  }
}

/** Calls a service in another process over HTTP, at its configured endpoint. */
export class HttpTransport implements ClientTransport {
  constructor(
    private readonly endpointOf: (serviceType: string) => string | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  handles(serviceType: string): boolean {
    return this.endpointOf(serviceType) !== undefined
  }

  async send(serviceType: string, req: ServiceRequest): Promise<ServiceResponse> {
    const base = this.endpointOf(serviceType)
    if (base === undefined) throw new Error(`no endpoint is configured for ${serviceType}`)
    const res = await this.fetchImpl(`${base.replace(/\/+$/, '')}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.data !== undefined
        ? {
            body: Buffer.isBuffer(req.data) ? req.data : (Readable.toWeb(req.data) as ReadableStream),
            // a stream body is sent as it is read
            duplex: 'half',
          }
        : req.body === undefined
          ? {}
          : { body: JSON.stringify(req.body) }),
    } as RequestInit)
    const headers: Record<string, string> = {}
    res.headers.forEach((value, key) => {
      headers[key] = value
    })
    if (req.binary && res.ok)
      return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) }
    if (req.stream && res.ok && res.body)
      return { status: res.status, headers, body: Readable.fromWeb(res.body as WebReadableStream) }
    return { status: res.status, headers, body: parseBody(await res.text(), headers['content-type']) }
  }
}

/** Picks inject for the services of this process, HTTP for the rest. */
export class RoutingTransport implements ClientTransport {
  constructor(
    private readonly local: InjectTransport,
    private readonly remote: HttpTransport,
  ) {}

  send(serviceType: string, req: ServiceRequest): Promise<ServiceResponse> {
    if (this.local.handles(serviceType)) return this.local.send(serviceType, req)
    if (this.remote.handles(serviceType)) return this.remote.send(serviceType, req)
    return Promise.reject(
      new ServiceCallFailed(
        serviceType,
        req,
        undefined,
        `no ${serviceType} service in this process and no endpoint configured`,
      ),
    )
  }
}
