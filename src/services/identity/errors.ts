/**
 * Every identity error: resources (not found, conflict, validation), authentication,
 * tokens and scopes, with Keystone's messages and stable codes (`identity.<what>.<problem>`).
 * No HTTP here beyond the kind; the keystoneFault renderer shapes the body and the
 * plugin adds `WWW-Authenticate` to every 401.
 */
import { DomainError, type DomainErrorOptions, Unauthorized } from '../../kernel/errors/index.js'

// Authentication and tokens

/** 401 with Keystone's generic text: never says whether the user exists. */
export const AUTH_REQUIRED = 'The request you have made requires authentication.'

/**
 * 401 from password, secret, token and scope checks; the message never tells whether
 * the user exists. An Unauthorized, as TokenValidator promises.
 */
export class AuthenticationFailed extends Unauthorized {
  constructor(message = AUTH_REQUIRED, options?: DomainErrorOptions) {
    super(message, { code: 'identity.auth.failed', ...options })
  }
}

/** The token request body does not satisfy its schema (the auth API's wording). */
export class AuthSchemaError extends DomainError {
  constructor(path: string, problem: string, options?: DomainErrorOptions) {
    super(
      'bad_request',
      'identity.auth.schema',
      `Invalid input for field '${path}': ${problem}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
      options,
    )
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

// Resources

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

/** 404 for unified limits: "Could not find registered limit for <id>." (Keystone's wording differs from other resources). */
export class LimitNotFound extends DomainError {
  constructor(kind: 'registered limit' | 'limit', id: string, options?: DomainErrorOptions) {
    super(
      'not_found',
      `identity.${kind.replace(/ /g, '_')}.not_found`,
      `Could not find ${kind} for ${id}.`,
      options,
    )
  }
}

/** OS-ENDPOINT-POLICY: the policy is not associated with the endpoint, service or region named. */
export class PolicyAssociationNotFound extends DomainError {
  constructor(options?: DomainErrorOptions) {
    super('not_found', 'identity.policy_association.not_found', 'Could not find policy association.', options)
  }
}

/** OS-ENDPOINT-POLICY: no association reaches the endpoint. */
export class NoEndpointPolicy extends DomainError {
  constructor(endpointId: string, options?: DomainErrorOptions) {
    super(
      'not_found',
      'identity.endpoint_policy.not_found',
      `No policy is associated with endpoint ${endpointId}.`,
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

/** Keystone's ForbiddenAction text: "You are not authorized to perform the requested action: <action>" */
export function notAuthorized(action: string): string {
  return `You are not authorized to perform the requested action: ${action}`
}

// The service token

/** The service token was asked for before `cloudlet bootstrap` made an admin. */
export class ServiceTokenUnavailable extends DomainError {
  constructor(options?: DomainErrorOptions) {
    super(
      'service_unavailable',
      'identity.service_token.not_bootstrapped',
      'No service token: identity has not been bootstrapped (no user holds the admin role on the system); run `cloudlet bootstrap`.',
      options,
    )
  }
}
