/**
 * Availability zones as upstream derives them: each compute service's host is in the
 * zone its aggregates give it, else `[DEFAULT] default_availability_zone`; other
 * services are in the internal zone, which is never listed. A zone is available when
 * an enabled service is in it.
 */
import type { Aggregates } from './aggregates.js'
import type { ComputeHosts, ComputeService } from './hosts.js'

export interface ZoneInfo {
  zoneName: string
  zoneState: { available: boolean }
  hosts: Record<
    string,
    Record<string, { available: boolean; active: boolean; updated_at: string | null }>
  > | null
}

export class AvailabilityZones {
  constructor(
    private readonly hosts: ComputeHosts,
    private readonly aggregates: Aggregates,
    private readonly names: { defaultZone: string; internalZone: string },
  ) {}

  async list(detail: boolean): Promise<ZoneInfo[]> {
    const services = await this.hosts.services()
    const zoneOf = await this.aggregates.zonesOfHosts(services.map((s) => s.host))
    const zone = (s: ComputeService) =>
      s.binary === 'nova-compute' ? (zoneOf.get(s.host) ?? this.names.defaultZone) : this.names.internalZone
    const available = new Set(services.filter((s) => !s.disabled).map(zone))
    const unavailable = new Set(
      services
        .filter((s) => s.disabled)
        .map(zone)
        .filter((z) => !available.has(z)),
    )
    const out: ZoneInfo[] = []
    for (const name of available) {
      if (!detail && name === this.names.internalZone) continue
      const hosts: NonNullable<ZoneInfo['hosts']> = {}
      if (detail)
        for (const s of services.filter((x) => !x.disabled && zone(x) === name)) {
          hosts[s.host] ??= {}
          hosts[s.host]![s.binary] = { available: s.up, active: !s.disabled, updated_at: s.updatedAt }
        }
      out.push({ zoneName: name, zoneState: { available: true }, hosts: detail ? hosts : null })
    }
    for (const name of unavailable) {
      if (!detail && name === this.names.internalZone) continue
      out.push({ zoneName: name, zoneState: { available: false }, hosts: null })
    }
    return out
  }
}
