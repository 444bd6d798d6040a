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

  /** `host@backend#pool` of a backend, as a volume's os-vol-host-attr:host. */
  poolOf(section?: string): string {
    const b = this.backends.of(section)
    return `${this.backend.host}@${b.section}#${b.backendName}`
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
      ...this.backends.list.map((b) => ({ host: this.hostOf(b.section), binary: 'cinder-volume' })),
    ]
  }

  async register(): Promise<void> {
    await this.repo.register(this.backend.host, 'cinder-scheduler', 'cinder-scheduler', this.backend.zone)
    for (const b of this.backends.list)
      await this.repo.register(this.hostOf(b.section), 'cinder-volume', 'cinder-volume', this.backend.zone)
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

  /** One pool per backend, with its capabilities (what the scheduler's filters read). */
  async pools() {
    const provisionedBy = await this.volumes.sizeByHost()
    return Promise.all(this.backends.list.map((b) => this.poolView(b, provisionedBy)))
  }

  private async poolView(b: Backend, provisionedBy: ReadonlyMap<string, number>) {
    const { total, free } = await this.backends.capacity(b.section)
    const name = this.poolOf(b.section)
    const provisioned = provisionedBy.get(name) ?? 0
    return {
      name,
      section: b.section,
      capabilities: {
        pool_name: b.backendName,
        volume_backend_name: b.backendName,
        total_capacity_gb: total,
        free_capacity_gb: free,
        allocated_capacity_gb: provisioned,
        provisioned_capacity_gb: provisioned,
        reserved_percentage: b.reservedPercentage,
        max_over_subscription_ratio: String(b.maxOverSubscriptionRatio),
        thin_provisioning_support: true,
        thick_provisioning_support: false,
        multiattach: true,
        QoS_support: false,
        driver_version: '1.0.0',
        storage_protocol: 'local',
        vendor_name: 'Open Source',
        timestamp: new Date().toISOString(),
        updated: new Date().toISOString(),
      },
    }
  }

  zones() {
    return [{ zoneName: this.backend.zone, zoneState: { available: true } }]
  }
}
