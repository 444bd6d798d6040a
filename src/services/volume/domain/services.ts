/**
 * The services this volume service runs (cinder-scheduler on the host, cinder-volume per
 * backend as `host@backend`), their enable/disable state, the pools the scheduler sees
 * and the availability zones. Services are up while the process that recorded them beats
 * (every `report_interval`), as Cinder's service_down_time reads it.
 */
import { createHash } from 'node:crypto'
import { InvalidInput, ServiceNotFound, VolumeBadRequest } from '../errors.js'
import type { Backend, FileBackends } from '../files/backends.js'
import type { ServiceRepo, ServiceRow } from '../storage/service.repo.js'
import type { VolumeRepo } from '../storage/volume.repo.js'

export interface BackendInfo {
  /** The process's host name. */
  host: string
  zone: string
}

export interface PoolView {
  /** `host@backend#pool` */
  name: string
  /** The pool's key in FileBackends. */
  key: string
  section: string
  capabilities: Record<string, unknown> & {
    pool_name: string
    volume_backend_name: string
    total_capacity_gb: number
    free_capacity_gb: number
    vendor_name: string
    driver_version: string
    storage_protocol: string
  }
}

export interface ServiceView extends ServiceRow {
  up: boolean
}

export class VolumeServices {
  constructor(
    private readonly repo: ServiceRepo,
    private readonly volumes: VolumeRepo,
    readonly backends: FileBackends,
    readonly backend: BackendInfo,
    private readonly downAfterMs: number,
  ) {}

  /** A stable id of a volume service (service_uuid in volume views, 3.48). */
  serviceUuid(volumeHost: string = this.volumeHost): string {
    const h = createHash('sha1').update(volumeHost).digest('hex')
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
  }

  /** `host@backend` of a backend (the first one when none is named). */
  hostOf(section?: string): string {
    return `${this.backend.host}@${this.backends.of(section).section}`
  }

  /** `host@backend#pool` of a pool (a key or location), as a volume's os-vol-host-attr:host. */
  poolOf(section?: string): string {
    const b = this.backends.of(section)
    return `${this.backend.host}@${b.section}#${b.pool}`
  }

  /** `host@backend` of the first backend. */
  get volumeHost(): string {
    return this.hostOf()
  }

  /** `host@backend#pool` of the first backend. */
  get poolHost(): string {
    return this.poolOf()
  }

  /** Whether `host@backend` is one of this process's backends. */
  servesHost(volumeHost: string): boolean {
    return this.backends.list.some((b) => this.hostOf(b.section) === volumeHost)
  }

  private get recorded() {
    return [
      { host: this.backend.host, binary: 'cinder-scheduler' },
      ...this.backends.sections.map((section) => ({ host: this.hostOf(section), binary: 'cinder-volume' })),
    ]
  }

  async register(): Promise<void> {
    await this.repo.register(this.backend.host, 'cinder-scheduler', 'cinder-scheduler', this.backend.zone)
    for (const section of this.backends.sections)
      await this.repo.register(this.hostOf(section), 'cinder-volume', 'cinder-volume', this.backend.zone)
  }

  async heartbeat(): Promise<void> {
    await this.repo.heartbeat(this.recorded)
  }

  async list(filter: { host?: string; binary?: string }): Promise<ServiceView[]> {
    const now = Date.now()
    return (await this.repo.list(filter)).map((s) => ({
      ...s,
      up: s.updated_at !== null && now - Date.parse(s.updated_at) < this.downAfterMs,
    }))
  }

  /** enable, disable, disable-log-reason. */
  async setEnabled(host: string, binary: string, enabled: boolean, reason?: string | null) {
    if (!host) throw new VolumeBadRequest('Missing required element host in request body.')
    if (reason !== undefined && !enabled) {
      if (reason === null || !String(reason).trim() || String(reason).length > 255)
        throw new InvalidInput('Disabled reason contains invalid characters or is too long')
    }
    const services = (await this.repo.list({ host })).filter((s) => !binary || s.binary === binary)
    if (!services.length) throw new ServiceNotFound()
    for (const s of services)
      await this.repo.setDisabled(s.host, s.binary, !enabled, enabled ? null : (reason ?? null))
  }

  /** freeze and thaw: only a volume backend host, which here cannot be frozen. */
  async checkBackendHost(host: string): Promise<void> {
    const services = await this.repo.list({ host, binary: 'cinder-volume' })
    if (!services.length) throw new InvalidInput(`Host ${host} is not a volume backend host.`)
  }

  /** Every pool of every backend, with its capabilities (what the scheduler's filters read). */
  async pools(): Promise<PoolView[]> {
    const allocatedBy = await this.volumes.sizeByHost()
    return Promise.all(this.backends.list.map((b) => this.poolView(b, allocatedBy)))
  }

  /**
   * A pool as get_pools shows it. A file backend's pool: total from total_capacity_gb or
   * the file system, free from the file system, provisioned = allocated = the sizes of
   * its volumes. An RBD pool reports as Cinder's RBD driver does: total its configured
   * capacity (else the file system's), free what its files' blocks leave of it,
   * provisioned the sizes of its volume and snapshot files (Ceph's image sizes), and
   * allocated the volumes the database places there.
   */
  private async poolView(b: Backend, allocatedBy: ReadonlyMap<string, number>): Promise<PoolView> {
    const { total, free } = await this.backends.capacity(b.key)
    const name = this.poolOf(b.key)
    const allocated = allocatedBy.get(name) ?? 0
    const now = new Date().toISOString()
    const common = {
      pool_name: b.pool,
      volume_backend_name: b.backendName,
      reserved_percentage: b.reservedPercentage,
      max_over_subscription_ratio: Number.isInteger(b.maxOverSubscriptionRatio)
        ? b.maxOverSubscriptionRatio.toFixed(1)
        : String(b.maxOverSubscriptionRatio),
      thin_provisioning_support: true,
      multiattach: true,
      QoS_support: false,
      filter_function: b.filterFunction ?? null,
      goodness_function: b.goodnessFunction ?? null,
      timestamp: now,
      updated: now,
    }
    if (b.kind === 'rbd') {
      const use = await this.backends.usage(b.key)
      // as the RBD driver: GiB to two decimals
      const poolFree = Math.max(0, Math.round(Math.min(free, total - use.usedGb) * 100) / 100)
      return {
        name,
        key: b.key,
        section: b.section,
        capabilities: {
          ...common,
          total_capacity_gb: total,
          free_capacity_gb: poolFree,
          provisioned_capacity_gb: use.provisionedGb,
          allocated_capacity_gb: allocated,
          thick_provisioning_support: false,
          driver_version: '1.2.0',
          storage_protocol: 'ceph',
          vendor_name: 'Open Source',
          location_info: `cloudlet:${b.section}:${b.pool}`,
          backend_state: 'up',
        },
      }
    }
    return {
      name,
      key: b.key,
      section: b.section,
      capabilities: {
        ...common,
        total_capacity_gb: total,
        free_capacity_gb: free,
        allocated_capacity_gb: allocated,
        provisioned_capacity_gb: allocated,
        thick_provisioning_support: false,
        driver_version: '1.0.0',
        storage_protocol: 'local',
        vendor_name: 'Open Source',
      },
    }
  }

  zones() {
    return [{ zoneName: this.backend.zone, zoneState: { available: true } }]
  }
}
