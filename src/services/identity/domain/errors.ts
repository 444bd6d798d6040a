/**
 * Domain errors of the resource half, with Keystone's messages and stable codes
 * (`identity.<resource>.<problem>`). The keystoneFault renderer shapes the body.
 */
import { DomainError, type DomainErrorOptions, Unauthorized } from '../../../kernel/errors/index.js'

/** 404: "Could not find <resource>: <id>." */
export class ResourceNotFound extends DomainError {
  constructor(resource: string, id: string, options?: DomainErrorOptions) {
    super(
      'not_found',
      `identity.${resource.replace(/ /g, '_')}.not_found`,
      `Could not find ${resource}: ${id}.`,
      options,
    )
  }
}

/** 409: a name or key is taken. */
export class ResourceConflict extends DomainError {
  constructor(resource: string, detail: string, options?: DomainErrorOptions) {
    super(
      'conflict',
      `identity.${resource.replace(/ /g, '_')}.conflict`,
      `Conflict occurred attempting to store ${resource} - ${detail}`,
      options,
    )
  }
}

/** 400: the request body or query does not satisfy the API's schema or rules. */
export class ValidationFailed extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('bad_request', 'identity.validation', message, options)
  }
}

/** 403: the action is understood but not permitted for a reason other than policy. */
export class ActionForbidden extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('forbidden', 'identity.forbidden', message, options)
  }
}

/** 401 raised by password and secret checks; the message never tells whether the user exists. */
export class AuthenticationFailed extends Unauthorized {
  constructor(message = 'The request you have made requires authentication.', options?: DomainErrorOptions) {
    super(message, { code: 'identity.auth.failed', ...options })
  }
}
