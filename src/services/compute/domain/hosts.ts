/**
 * The seam to the service registry: which compute services (hosts) exist, whether each
 * is enabled and up. Availability zones and aggregate host checks read it. Until the
 * registry lands, `NO_COMPUTE_HOSTS` answers that none exist, which is the truth of a
 * cloud without compute agents.
 */

export interface ComputeService {
  host: string
  /** `nova-compute`, `nova-conductor`, `nova-scheduler`, ... */
  binary: string
  disabled: boolean
  up: boolean
  updatedAt: string | null
}

export interface ComputeHosts {
  /** Every service the registry knows, API services excluded. */
  services(): Promise<readonly ComputeService[]>
  /**
   * Whether a host may be added to an aggregate. Undefined: the registry cannot tell yet,
   * and any host name is accepted.
   */
  exists?(host: string): Promise<boolean>
}

export const NO_COMPUTE_HOSTS: ComputeHosts = {
  services: async () => [],
}
