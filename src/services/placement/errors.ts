/**
 * Placement's domain errors, each with upstream's stable error code
 * (placement/errors.py). The API-WG renderer shows the code from 1.23 on.
 */
import { DomainError, type DomainErrorOptions } from '../../kernel/errors/index.js'

export const CODES = {
  DEFAULT: 'placement.undefined_code',
  INVENTORY_INUSE: 'placement.inventory.inuse',
  CONCURRENT_UPDATE: 'placement.concurrent_update',
  DUPLICATE_NAME: 'placement.duplicate_name',
  PROVIDER_IN_USE: 'placement.resource_provider.inuse',
  PROVIDER_CANNOT_DELETE_PARENT: 'placement.resource_provider.cannot_delete_parent',
  RESOURCE_PROVIDER_NOT_FOUND: 'placement.resource_provider.not_found',
  ILLEGAL_DUPLICATE_QUERYPARAM: 'placement.query.duplicate_key',
  QUERYPARAM_BAD_VALUE: 'placement.query.bad_value',
  QUERYPARAM_MISSING_VALUE: 'placement.query.missing_value',
} as const

const opts = (code: string, o?: DomainErrorOptions): DomainErrorOptions => ({ code, ...o })

export class PlacementBadRequest extends DomainError {
  constructor(message: string, code: string = CODES.DEFAULT) {
    super('bad_request', CODES.DEFAULT, message, opts(code))
  }
}
export class PlacementNotFound extends DomainError {
  constructor(message: string, code: string = CODES.DEFAULT) {
    super('not_found', CODES.DEFAULT, message, opts(code))
  }
}
export class PlacementConflict extends DomainError {
  constructor(message: string, code: string = CODES.DEFAULT) {
    super('conflict', CODES.DEFAULT, message, opts(code))
  }
}
export class PlacementForbidden extends DomainError {
  constructor(message: string) {
    super('forbidden', CODES.DEFAULT, message)
  }
}
export class PlacementNotAcceptable extends DomainError {
  constructor(message: string) {
    super('not_acceptable', CODES.DEFAULT, message)
  }
}
export class PlacementUnsupportedMediaType extends DomainError {
  constructor(message: string) {
    super('unsupported_media_type', CODES.DEFAULT, message)
  }
}
export class PlacementMethodNotAllowed extends DomainError {
  constructor(method: string, allowed: readonly string[]) {
    // NOTE: upstream's body is webob's 405 template (naming the method) followed by
    // placement's own detail, with the HTML line breaks turned into newlines.
    const detail = `The method ${method} is not allowed for this resource. \n\n The method specified is not allowed for this resource.`
    super(
      'method_not_allowed',
      CODES.DEFAULT,
      detail,
      allowed.length ? { headers: { allow: allowed.join(', ') } } : {},
    )
  }
}

/** A generation compare-and-swap lost: someone else wrote first. */
export class ConcurrentUpdate extends PlacementConflict {
  constructor(message: string) {
    super(message, CODES.CONCURRENT_UPDATE)
  }
}
export class ResourceProviderNotFound extends PlacementNotFound {
  constructor(uuid: string) {
    // NOTE: upstream gives this 404 the default code; only the reshaper names
    // placement.resource_provider.not_found (explicitly, in domain/placement.ts).
    super(`No resource provider with uuid ${uuid} found`)
  }
}
export class InventoryInUse extends PlacementConflict {
  constructor(message: string) {
    super(message, CODES.INVENTORY_INUSE)
  }
}
export class QueryBadValue extends PlacementBadRequest {
  constructor(message: string) {
    super(message, CODES.QUERYPARAM_BAD_VALUE)
  }
}
