/**
 * The request context: who is calling (credentials from a validated token), in which
 * scope, and the request id. Handlers ask `ctx.can(rule, target)` before acting.
 */
import { Unauthorized } from '../errors/index.js'
import type { Credentials, Enforcer, Residual } from '../policy/index.js'
import type { AccessRule } from './access-rules.js'

/** What a validated token says about its bearer, independent of the token format. */
export interface AuthenticatedIdentity extends Credentials {
  user_id: string
  user_name?: string
  project_name?: string
  domain_name?: string
  /** Role ids, parallel to `roles` (names). */
  role_ids?: readonly string[]
  audit_ids?: readonly string[]
  expires_at?: string
  /** Set when the token came from an application credential. */
  application_credential_id?: string
  /** The application credential's access rules: the only calls the token may make. */
  access_rules?: readonly AccessRule[]
}

/** Validates a token string locally (signature, expiry, revocation). Throws Unauthorized. */
export interface TokenValidator {
  validate(token: string): Promise<AuthenticatedIdentity>
}

export class RequestContext {
  /**
   * The policy rules this request has checked so far, in order. The route table uses it
   * to prove that a handler enforced the policy its route declares.
   */
  readonly checked: string[] = []

  constructor(
    readonly requestId: string,
    private readonly enforcer: Enforcer | undefined,
    readonly identity: AuthenticatedIdentity | undefined,
    readonly token: string | undefined,
  ) {}

  get authenticated(): boolean {
    return this.identity !== undefined
  }

  /** The identity, or 401 when the request carried no valid token. */
  get who(): AuthenticatedIdentity {
    if (!this.identity) throw new Unauthorized()
    return this.identity
  }

  /** Throws Forbidden (403) unless the rule allows it; 401 when unauthenticated. */
  can(rule: string, target: Record<string, unknown> = {}): void {
    const creds = this.who
    if (!this.enforcer) throw new Error('no policy enforcer configured for this service')
    this.checked.push(rule)
    this.enforcer.authorize(rule, target, creds)
  }

  /** Like `can`, but answers instead of throwing. */
  allows(rule: string, target: Record<string, unknown> = {}): boolean {
    this.checked.push(rule)
    if (!this.identity || !this.enforcer) return false
    return this.enforcer.check(rule, target, this.identity)
  }

  /**
   * What the rule asks of a target for this caller (`Enforcer.residual`): lists use it to
   * select only what the rule lets through. `never` when unauthenticated.
   */
  residual(rule: string): Residual {
    this.checked.push(rule)
    if (!this.identity || !this.enforcer) return { kind: 'never' }
    return this.enforcer.residual(rule, this.identity)
  }
}
