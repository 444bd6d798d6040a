/**
 * Domain errors: what went wrong, in the domain's words, with no HTTP in sight.
 *
 * Every error carries a stable namespaced `code` (e.g. `identity.user.not_found`) that
 * never changes, and a `kind`, the broad category a service's fault renderer turns into
 * an HTTP status. Services subclass these; handlers never build HTTP errors by hand.
 */

/** The broad categories of failure; each maps to one HTTP status. */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'conflict'
  | 'gone'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  | 'over_limit'
  | 'internal'
  | 'not_implemented'
  | 'service_unavailable'
  | 'insufficient_storage'

export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  over_limit: 413,
  internal: 500,
  not_implemented: 501,
  service_unavailable: 503,
  insufficient_storage: 507,
}

export interface DomainErrorOptions {
  /** Overrides the class's default code, for one-off codes such as `placement.inventory.inuse`. */
  code?: string
  /** Extra headers a renderer should send (e.g. `Retry-After`, `Allow`). */
  headers?: Record<string, string>
  cause?: unknown
}

export class DomainError extends Error {
  /** The category; subclasses set it once. */
  readonly kind: ErrorKind
  /** Stable machine-readable code. */
  readonly code: string
  readonly headers: Record<string, string>

  constructor(kind: ErrorKind, code: string, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.kind = kind
    this.code = options.code ?? code
    this.headers = options.headers ?? {}
  }

  get status(): number {
    return STATUS_OF_KIND[this.kind]
  }
}

/** Generic errors shared by every service; services add their own subclasses. */
export class BadRequest extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'cloudlet.bad_request', message, options)
  }
}

export class Unauthorized extends DomainError {
  constructor(message = 'The request you have made requires authentication.', options?: DomainErrorOptions) {
    super('unauthorized', 'cloudlet.unauthorized', message, options)
  }
}

export class Forbidden extends DomainError {
  constructor(
    message = 'You are not authorized to perform the requested action.',
    options?: DomainErrorOptions,
  ) {
    super('forbidden', 'cloudlet.forbidden', message, options)
  }
}

export class NotFound extends DomainError {
  constructor(message = 'The resource could not be found.', options?: DomainErrorOptions) {
    super('not_found', 'cloudlet.not_found', message, options)
  }
}

export class Conflict extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('conflict', 'cloudlet.conflict', message, options)
  }
}

export class MethodNotAllowed extends DomainError {
  constructor(message = 'The method is not allowed for this resource.', options?: DomainErrorOptions) {
    super('method_not_allowed', 'cloudlet.method_not_allowed', message, options)
  }
}

export class NotAcceptable extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('not_acceptable', 'cloudlet.not_acceptable', message, options)
  }
}

export class PayloadTooLarge extends DomainError {
  constructor(message = 'Request is too large.', options?: DomainErrorOptions) {
    super('payload_too_large', 'cloudlet.payload_too_large', message, options)
  }
}

export class UnsupportedMediaType extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('unsupported_media_type', 'cloudlet.unsupported_media_type', message, options)
  }
}

/** Raised by compare-and-swap writes when a generation moved underneath us. */
export class ConcurrentUpdateDetected extends DomainError {
  constructor(
    message = 'Another thread concurrently updated the data. Please retry your update',
    options?: DomainErrorOptions,
  ) {
    super('conflict', 'cloudlet.concurrent_update', message, options)
  }
}
