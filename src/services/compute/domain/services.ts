/**
 * os-services and os-hypervisors over the kernel's service registry and placement: the
 * compute module's worker processes (conductor, scheduler, agents) with their state,
 * disable/enable with a reason, forced down, delete; and each compute host as a
 * hypervisor, its resources and usage read from its provider in placement.
 */
import type { ServiceRecord, ServiceRegistry } from '../../../kernel/registry/index.js'
import type { PlacementApi } from '../clients/placement.js'
import { HypervisorNotFound, ServiceInvalid, ServiceNotFound } from '../errors.js'
import type { ServerRepo } from '../storage/server.repo.js'

export interface ComputeServiceView extends ServiceRecord {
  up: boolean
  zone: string
}

export interface Hypervisor {
  service: ComputeServiceView
  /** The compute node provider, when placement has it. */
  providerUuid?: string
  vcpus: number
  vcpusUsed: number
  memoryMb: number
  memoryMbUsed: number
  localGb: number
  localGbUsed: number
  runningVms: number
  servers: { uuid: string; name: string }[]
}

export class ComputeServices {
  constructor(
    private readonly registry: ServiceRegistry | undefined,
    private readonly downTime: number,
    private readonly zoneOf: (host: string, binary: string) => Promise<string>,
    private readonly placement: PlacementApi,
    private readonly servers: ServerRepo,
    /**
     * Tells a compute host its service was enabled or disabled, so its provider gains or
     * loses COMPUTE_STATUS_DISABLED now rather than at its next periodic update (upstream
     * calls set_host_enabled on the host the same way; a host that does not answer is
     * logged, not an error, and catches up by itself).
     */
    private readonly tellHost?: (host: string, enabled: boolean) => Promise<void>,
  ) {}

  async list(filter: { host?: string; binary?: string } = {}): Promise<ComputeServiceView[]> {
    if (!this.registry) return []
    const rows = await this.registry.list(filter)
    return Promise.all(rows.map((r) => this.view(r)))
  }

  private async view(r: ServiceRecord): Promise<ComputeServiceView> {
    return { ...r, up: this.registry!.isUp(r, this.downTime), zone: await this.zoneOf(r.host, r.binary) }
  }

  async get(id: string): Promise<ComputeServiceView> {
    const r = await this.registry?.get(id)
    if (!r) throw new ServiceNotFound(id)
    return this.view(r)
  }

  async find(host: string, binary: string): Promise<ComputeServiceView> {
    const r = await this.registry?.find(host, binary)
    if (!r) throw new ServiceNotFound(`${binary} on host ${host}`)
    return this.view(r)
  }

  async setDisabled(id: string, disabled: boolean, reason?: string | null): Promise<ComputeServiceView> {
    const s = await this.get(id)
    if (reason !== undefined && reason !== null && reason.length > 255)
      throw new ServiceInvalid('Invalid input for field/attribute disabled_reason.')
    await this.registry!.setDisabled(s.id, disabled, reason)
    if (s.binary === 'nova-compute' && s.disabled !== disabled) await this.tellHost?.(s.host, !disabled)
    return this.get(id)
  }

  async setForcedDown(id: string, forced: boolean): Promise<ComputeServiceView> {
    const s = await this.get(id)
    await this.registry!.setForcedDown(s.id, forced)
    return this.get(id)
  }

  /** Deletes a service record; a compute service with servers on its host may not go. */
  async delete(id: string): Promise<void> {
    const s = await this.get(id)
    if (s.binary === 'nova-compute' && (await this.servers.onHosts([s.host])).length > 0)
      throw new ServiceInvalid(
        `Unable to delete compute service that is hosting instances. Migrate or delete the instances first.`,
        'conflict',
      )
    await this.registry!.delete(s.id)
  }

  /** Every compute host as a hypervisor. */
  async hypervisors(opts: { withServers?: boolean } = {}): Promise<Hypervisor[]> {
    const computes = await this.list({ binary: 'nova-compute' })
    const providers = await this.placement.providers().catch(() => [])
    const byName = new Map(
      providers.filter((p) => p.uuid === p.root_provider_uuid).map((p) => [p.name, p.uuid]),
    )
    const onHosts = await this.servers.onHosts(computes.map((c) => c.host))
    const names = opts.withServers
      ? new Map((await this.servers.rows(onHosts.map((i) => i.uuid))).map((r) => [r.uuid, r.display_name]))
      : new Map<string, string>()
    return Promise.all(
      computes.map(async (service) => {
        const uuid = byName.get(service.host)
        const inv = uuid ? await this.placement.inventories(uuid).catch(() => ({})) : {}
        const used = uuid ? await this.placement.providerUsages(uuid).catch(() => ({})) : {}
        const total = (rc: string) => (inv as Record<string, { total: number }>)[rc]?.total ?? 0
        const mine = onHosts.filter((i) => i.host === service.host)
        return {
          service,
          ...(uuid ? { providerUuid: uuid } : {}),
          vcpus: total('VCPU'),
          vcpusUsed: (used as Record<string, number>).VCPU ?? 0,
          memoryMb: total('MEMORY_MB'),
          memoryMbUsed: (used as Record<string, number>).MEMORY_MB ?? 0,
          localGb: total('DISK_GB'),
          localGbUsed: (used as Record<string, number>).DISK_GB ?? 0,
          runningVms: mine.length,
          servers: mine.map((i) => ({ uuid: i.uuid, name: names.get(i.uuid) ?? '' })),
        }
      }),
    )
  }

  /** A hypervisor by its id (the provider uuid from 2.53, else the service id) or name. */
  async hypervisor(id: string): Promise<Hypervisor> {
    const all = await this.hypervisors({ withServers: true })
    const h = all.find((x) => x.providerUuid === id || x.service.id === id || x.service.host === id)
    if (!h) throw new HypervisorNotFound(id)
    return h
  }
}
