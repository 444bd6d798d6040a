/**
 * os-hosts, the deprecated host view (gone at 2.43): the hosts of the service registry
 * with their services and zones, a compute host's resources (its provider's totals and
 * usage, then what its servers' flavors add up to, in all and per project), and
 * enabling or disabling a host, which is its compute service's disabled flag.
 * Maintenance mode and host power actions are hypervisor features the simulated hosts
 * do not have: 501, as upstream answers for a driver without them (libvirt's).
 */
import { ComputeHostNotFound, HostFeatureNotSupported, ServiceInvalid } from '../errors.js'
import type { ServerRepo } from '../storage/server.repo.js'
import type { ComputeServices, ComputeServiceView } from './services.js'

export interface HostEntry {
  host_name: string
  /** The service's bus topic: `compute`, `conductor`, `scheduler`. */
  service: string
  zone: string
}

export interface HostResource {
  host: string
  /** `(total)`, `(used_now)`, `(used_max)` or a project id. */
  project: string
  cpu: number
  memory_mb: number
  disk_gb: number
}

/** Services that are API processes, never listed as hosts. */
const API_BINARIES = new Set(['nova-osapi_compute', 'nova-metadata'])

export class HostAdmin {
  constructor(
    private readonly services: ComputeServices,
    private readonly servers: ServerRepo,
  ) {}

  /** Enabled services' hosts, optionally of one zone (an empty zone means all). */
  async list(zone?: string): Promise<HostEntry[]> {
    const all = await this.services.list()
    return all
      .filter((s) => !s.disabled && !API_BINARIES.has(s.binary))
      .filter((s) => !zone || s.zone === zone)
      .map((s) => ({ host_name: s.host, service: s.topic, zone: s.zone }))
  }

  /** The host's resources: totals, used now, its servers' sum and each project's share. */
  async show(host: string): Promise<HostResource[]> {
    const h = (await this.services.hypervisors()).find((x) => x.service.host === host)
    if (!h) throw new ComputeHostNotFound(host)
    const onHost = await this.servers.onHosts([host])
    const rows = await this.servers.rows(onHost.map((i) => i.uuid))
    const out: HostResource[] = [
      { host, project: '(total)', cpu: h.vcpus, memory_mb: h.memoryMb, disk_gb: h.localGb },
      { host, project: '(used_now)', cpu: h.vcpusUsed, memory_mb: h.memoryMbUsed, disk_gb: h.localGbUsed },
    ]
    const max: HostResource = { host, project: '(used_max)', cpu: 0, memory_mb: 0, disk_gb: 0 }
    const byProject = new Map<string, HostResource>()
    for (const r of rows) {
      if (r.deleted !== 0) continue
      const p = byProject.get(r.project_id) ?? {
        host,
        project: r.project_id,
        cpu: 0,
        memory_mb: 0,
        disk_gb: 0,
      }
      byProject.set(r.project_id, p)
      for (const sum of [max, p]) {
        sum.cpu += r.vcpus
        sum.memory_mb += r.memory_mb
        sum.disk_gb += r.root_gb + r.ephemeral_gb
      }
    }
    return [...out, max, ...byProject.values()]
  }

  /** Enables or disables the host's compute service; answers `enabled` or `disabled`. */
  async setEnabled(host: string, enabled: boolean): Promise<'enabled' | 'disabled'> {
    const s = await this.computeService(host)
    await this.services.setDisabled(s.id, !enabled, null)
    return enabled ? 'enabled' : 'disabled'
  }

  /** Maintenance mode: the host must exist and be up; the simulated driver has no such mode. */
  async setMaintenance(host: string): Promise<never> {
    await this.computeService(host)
    throw new HostFeatureNotSupported()
  }

  /** startup, shutdown, reboot: the host must exist and be up; the driver cannot do them. */
  async powerAction(host: string): Promise<never> {
    await this.computeService(host)
    throw new HostFeatureNotSupported()
  }

  /** The host's compute service, which must be up to be asked anything (upstream's 400). */
  private async computeService(host: string): Promise<ComputeServiceView> {
    const [s] = await this.services.list({ host, binary: 'nova-compute' })
    if (!s) throw new ComputeHostNotFound(host)
    if (!s.up) throw new ServiceInvalid(`Compute service of ${host} is unavailable at this time.`)
    return s
  }
}
