/**
 * Kysely table types for the auth half of identity: JWS signing keys (public halves
 * only; private keys stay on the hosts that issue tokens) and revocation events.
 * Times are epoch milliseconds in BIGINT columns (read back through `Number()`, since
 * pg returns int8 as a string).
 */
import type { Generated } from 'kysely'

export interface TokenSigningKeyTable {
  /** The JWS `kid`. */
  kid: string
  algorithm: string
  /** The public key as a JSON Web Key. */
  public_jwk: string
  created_at: number | string
  /** Set when a newer key took over signing; deleted once no token it signed can still validate. */
  retired_at: number | string | null
}

export interface RevocationEventTable {
  id: Generated<number>
  user_id: string | null
  project_id: string | null
  domain_id: string | null
  role_id: string | null
  audit_id: string | null
  audit_chain_id: string | null
  trust_id: string | null
  application_credential_id: string | null
  issued_before: number | string
  revoked_at: number | string
}

export interface TokenDB {
  token_signing_key: TokenSigningKeyTable
  revocation_event: RevocationEventTable
}
