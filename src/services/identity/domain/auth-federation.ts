/**
 * OS-FEDERATION for token issue: an optional extension of AuthnPorts, as trusts are.
 * When the resource half's ports implement `FederationPorts`, the `mapped` method works
 * (asserted attributes, as a front proxy passed them, through a protocol's mapping) and
 * federated tokens may be rescoped while their identity provider stays enabled.
 */
import type { AuthnPorts } from './ports.js'

/** Attributes an identity provider asserted, as the trusted front proxy passed them. */
export type AssertedAttributes = Record<string, string>

export interface FederatedIdentity {
  userId: string
  groupIds: string[]
  identityProvider: string
  protocol: string
}

export interface FederationPorts {
  /** Maps an assertion to a local user (shadowing it on first login); 401/403/404 as upstream. */
  federatedLogin(idpId: string, protocolId: string, assertion: AssertedAttributes): Promise<FederatedIdentity>
  /** Throws 403 when the provider is disabled. */
  assertIdpEnabled(idpId: string): Promise<void>
}

export function federationPortsOf(ports: AuthnPorts): FederationPorts | undefined {
  const p = ports as AuthnPorts & Partial<FederationPorts>
  return typeof p.federatedLogin === 'function' ? (p as unknown as FederationPorts) : undefined
}
