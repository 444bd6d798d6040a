/**
 * OS-TRUST for token issue: an optional extension of AuthnPorts. When the resource
 * half's ports also implement `TrustPorts`, trust-scoped tokens work
 * (`{"scope": {"OS-TRUST:trust": {"id": ...}}}`); otherwise such a request gets 401.
 */
import type { AuthnPorts, RoleRef } from './ports.js'

export interface TrustRecord {
  id: string
  trustor_user_id: string
  trustee_user_id: string
  project_id: string | null
  impersonation: boolean
  /** The delegated roles and the roles they imply: what a token of this trust carries. */
  roles: RoleRef[]
  /** Whose current roles must still include every one of `roles` (the root trustor of a redelegation chain). */
  roles_holder_id: string
  expires_at: string | null
  /** null for unlimited uses. */
  remaining_uses: number | null
}

export interface TrustPorts {
  /** Undefined when there is no such live trust; throws 403-type errors for a broken redelegation chain. */
  findTrust(id: string): Promise<TrustRecord | undefined>
  /** Decrements remaining_uses (when limited); throws when none are left. */
  consumeTrustUse?(id: string): Promise<void>
}

export function trustPortsOf(ports: AuthnPorts): TrustPorts | undefined {
  const p = ports as AuthnPorts & Partial<TrustPorts>
  return typeof p.findTrust === 'function' ? (p as unknown as TrustPorts) : undefined
}
