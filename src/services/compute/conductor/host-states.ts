/**
 * The scheduler's picture of the cloud, built for each decision from what compute can
 * see: the compute services of the service registry (enabled, up, forced down), the
 * root providers placement knows by name (a compute node's provider is named after its
 * node), the host aggregates of compute's own tables, and the instances on each host.
 * Resources and traits come from the allocation candidates' provider summaries, so a
 * decision costs one placement round trip beyond the candidates.
 */
import type { Aggregate, HostState, Snapshot } from '../../../scheduler/host-state.js'
import type { PlacementApi, ProviderSummary } from '../clients/placement.js'
import type { Aggregates } from '../domain/aggregates.js'
import type { ComputeHosts } from '../domain/hosts.js'
import type { ServerRepo } from '../storage/server.repo.js'

/** Task states upstream counts as I/O-heavy (IoOpsFilter, IoOpsWeigher). */
const IO_TASKS = new Set([
  'spawning',
  'resize_migrating',
  'rebuilding',
  'resize_prep',
  'image_snapshot',
  'image_backup',
  'rescuing',
  'unshelving',
])

export interface HostStateSources {
  hosts: ComputeHosts
  aggregates: Aggregates
  placement: PlacementApi
  servers: ServerRepo
  defaultZone: string
}

export class HostStates {
  /** Root provider uuid by name, refreshed when a name or uuid is missing. */
  private providers = new Map<string, string>()

  constructor(private readonly s: HostStateSources) {}

  private async providerUuids(names: readonly string[], refresh: boolean): Promise<Map<string, string>> {
    if (refresh || names.some((n) => !this.providers.has(n))) {
      const all = await this.s.placement.providers()
      this.providers = new Map(
        all.filter((p) => p.uuid === p.root_provider_uuid).map((p) => [p.name, p.uuid]),
      )
    }
    return this.providers
  }

  /**
   * The compute hosts with their service state, aggregates and instances, and no
   * resources yet: what the request filters read before placement is asked.
   */
  async outline(now: number): Promise<Snapshot> {
    const services = (await this.s.hosts.services()).filter((x) => x.binary === 'nova-compute')
    const names = services.map((x) => x.host)
    const uuids = await this.providerUuids(names, false)
    const aggregates = await this.s.aggregates.ofHosts(names)
    const instances = await this.s.servers.onHosts(names)
    const hosts: HostState[] = []
    for (const svc of services) {
      const uuid = uuids.get(svc.host)
      if (!uuid) continue
      const mine = instances.filter((i) => i.host === svc.host)
      hosts.push({
        host: svc.host,
        nodename: svc.host,
        uuid,
        cell: 'cell1',
        resources: {},
        traits: [],
        aggregates: aggregates.get(svc.host) ?? [],
        instances: mine.map((i) => i.uuid),
        numIoOps: mine.filter((i) => i.task_state !== null && IO_TASKS.has(i.task_state)).length,
        metrics: [],
        pciPools: [],
        failedBuilds: 0,
        hypervisorType: 'fake',
        hypervisorVersion: 1000,
        hypervisorHostname: svc.host,
        supportedInstances: [
          ['x86_64', 'fake', 'hvm'],
          ['x86_64', 'qemu', 'hvm'],
          ['x86_64', 'kvm', 'hvm'],
        ],
        service: {
          disabled: svc.disabled,
          ...(svc.disabledReason ? { disabledReason: svc.disabledReason } : {}),
          forcedDown: svc.forcedDown ?? false,
          up: svc.up,
        },
      })
    }
    return { hosts, now, defaultAvailabilityZone: this.s.defaultZone }
  }

  /**
   * The outline with each candidate host's resources and traits from placement's
   * provider summaries.
   *
   * NOTE: a summary gives capacity ((total - reserved) x ratio) and usage, not the
   * three apart; the host state carries capacity as its total with ratio 1, which is
   * what placement itself enforces.
   */
  complete(outline: Snapshot, summaries: Readonly<Record<string, ProviderSummary>>): Snapshot {
    const hosts = outline.hosts.map((h) => {
      const s = summaries[h.uuid]
      if (!s) return h
      const resources: Record<string, HostState['resources'][string]> = {}
      for (const [rc, r] of Object.entries(s.resources))
        resources[rc] = { total: r.capacity, reserved: 0, used: r.used, allocationRatio: 1 }
      return { ...h, resources, traits: s.traits ?? [] }
    })
    return { ...outline, hosts }
  }

  /** Forgets the provider names (a provider appeared or went away). */
  invalidate(): void {
    this.providers.clear()
  }
}

export type { Aggregate }
