/**
 * A token validator for tests: a token is a persona's name (or any identity registered
 * under a token string). Nothing is signed; services see the identity as if identity
 * had validated a real token.
 */
import type { AuthenticatedIdentity, TokenValidator } from '../auth/index.js'
import { Unauthorized } from '../errors/index.js'
import { PERSONAS } from './personas.js'

export class FakeTokens implements TokenValidator {
  private readonly byToken = new Map<string, AuthenticatedIdentity>(Object.entries(PERSONAS))

  /** Registers an identity; returns its token. */
  add(token: string, identity: AuthenticatedIdentity): string {
    this.byToken.set(token, identity)
    return token
  }

  /** Makes a token stop working, as revocation would. */
  revoke(token: string): void {
    this.byToken.delete(token)
  }

  async validate(token: string): Promise<AuthenticatedIdentity> {
    const identity = this.byToken.get(token)
    if (!identity) throw new Unauthorized()
    return identity
  }
}
