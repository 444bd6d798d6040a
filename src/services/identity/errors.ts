/**
 * Identity's domain errors for the auth half: token issue, validation and revocation.
 * Codes are stable (`identity.token.not_found`); the keystoneFault renderer shapes the
 * body and the plugin adds `WWW-Authenticate` to every 401.
 */
import { DomainError, type DomainErrorOptions } from '../../kernel/errors/index.js'

/** 401 with Keystone's generic text: never says whether the user exists. */
export const AUTH_REQUIRED = 'The request you have made requires authentication.'

export class AuthenticationFailed extends DomainError {
  constructor(message = AUTH_REQUIRED, options?: DomainErrorOptions) {
    super('unauthorized', 'identity.auth.failed', message, options)
  }
}

/** A subject token (X-Subject-Token, or a token being rescoped) that is bad, expired or revoked: 404 as upstream. */
export class TokenNotFound extends DomainError {
  constructor(message = 'Failed to validate token', options?: DomainErrorOptions) {
    super('not_found', 'identity.token.not_found', message, options)
  }
}

/** The auth request is malformed (Keystone's ValidationError). */
export class AuthValidationError extends DomainError {
  constructor(attribute: string, target: string, options?: DomainErrorOptions) {
    super(
      'bad_request',
      'identity.auth.invalid_request',
      `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
      options,
    )
  }
}

export class AuthMethodNotSupported extends DomainError {
  constructor(options?: DomainErrorOptions) {
    super(
      'unauthorized',
      'identity.auth.method_not_supported',
      'Attempted to authenticate with an unsupported method.',
      options,
    )
  }
}

/** A valid user asked for a scope they hold no role on. */
export class NoAccessToScope extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('unauthorized', 'identity.auth.no_access_to_scope', message, options)
  }
}

/** /v3/auth/catalog without a project-scoped token. */
export class CatalogNeedsProjectScope extends DomainError {
  constructor(options?: DomainErrorOptions) {
    super(
      'forbidden',
      'identity.auth.catalog_needs_project',
      'A project-scoped token is required to produce a service catalog.',
      options,
    )
  }
}

/** Rescoping that upstream forbids (application credential or trust tokens, scoped tokens when disallowed). */
export class RescopeForbidden extends DomainError {
  constructor(message: string, options?: DomainErrorOptions) {
    super('forbidden', 'identity.auth.rescope_forbidden', message, options)
  }
}
