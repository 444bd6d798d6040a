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
  disabledReason?: string | null
  forcedDown?: boolean
  /** The registry record's id. */
  id?: string
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

/** What `registryHosts` reads of the kernel's service registry. */
export interface RegistryView {
  list(filter?: { host?: string; binary?: string }): Promise<
    readonly {
      id: string
      host: string
      binary: string
      disabled: boolean
      disabled_reason: string | null
      updated_at: string | null
      forced_down: boolean
      last_seen_up: string | null
    }[]
  >
  isUp(record: { forced_down: boolean; last_seen_up: string | null }, downTimeSeconds: number): boolean
}

/**
 * The hosts the kernel's service registry knows: the compute module's workers
 * (conductor, scheduler, agents) once it declares them. A host can join an aggregate
 * only when a `nova-compute` service runs on it, as upstream.
 */
export function registryHosts(registry: RegistryView, serviceDownTime: number): ComputeHosts {
  return {
    services: async () =>
      (await registry.list()).map((r) => ({
        host: r.host,
        binary: r.binary,
        disabled: r.disabled,
        up: registry.isUp(r, serviceDownTime),
        updatedAt: r.updated_at,
        disabledReason: r.disabled_reason,
        forcedDown: r.forced_down,
        id: r.id,
      })),
    exists: async (host) => (await registry.list({ host, binary: 'nova-compute' })).length > 0,
  }
}
