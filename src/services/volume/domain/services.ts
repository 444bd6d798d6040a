/**
 * The services this volume service runs (cinder-scheduler on the host, cinder-volume per
 * backend as `host@backend`), their enable/disable state, the pools the scheduler sees
 * and the availability zones. Services are up while the process that recorded them beats
 * (every `report_interval`), as Cinder's service_down_time reads it.
 */
import { createHash } from 'node:crypto'
import { InvalidInput, ServiceNotFound, VolumeBadRequest } from '../errors.js'
import type { FileDriver } from '../files/file-driver.js'
import type { ServiceRepo, ServiceRow } from '../storage/service.repo.js'
import type { VolumeRepo } from '../storage/volume.repo.js'

export interface BackendInfo {
  /** The process's host name. */
  host: string
  /** The backend section, e.g. `file`. */
  backend: string
  /** volume_backend_name, also the pool name. */
  backendName: string
  zone: string
  reservedPercentage: number
  maxOverSubscriptionRatio: number
  totalCapacityGb?: number
}

export interface ServiceView extends ServiceRow {
  up: boolean
}

export class VolumeServices {
  constructor(
    private readonly repo: ServiceRepo,
    private readonly volumes: VolumeRepo,
    private readonly driver: FileDriver,
    readonly backend: BackendInfo,
    private readonly downAfterMs: number,
  ) {}

  /** A stable id of the volume service (service_uuid in volume views, 3.48). */
  get serviceUuid(): string {
    const h = createHash('sha1').update(this.volumeHost).digest('hex')
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
  }

  /** `host@backend` */
  get volumeHost(): string {
    return `${this.backend.host}@${this.backend.backend}`
  }

  /** `host@backend#pool`, as a volume's os-vol-host-attr:host. */
  get poolHost(): string {
    return `${this.volumeHost}#${this.backend.backendName}`
  }

  private get recorded() {
    return [
      { host: this.backend.host, binary: 'cinder-scheduler' },
      { host: this.volumeHost, binary: 'cinder-volume' },
    ]
  }

  async register(): Promise<void> {
    await this.repo.register(this.backend.host, 'cinder-scheduler', 'cinder-scheduler', this.backend.zone)
    await this.repo.register(this.volumeHost, 'cinder-volume', 'cinder-volume', this.backend.zone)
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

  /** The backend's pools with capabilities (one pool per file backend). */
  async pools() {
    const { total, free } = await this.driver.capacity(this.backend.totalCapacityGb)
    const provisioned = (await this.volumes.count({})).size
    return [
      {
        name: this.poolHost,
        capabilities: {
          pool_name: this.backend.backendName,
          volume_backend_name: this.backend.backendName,
          total_capacity_gb: total,
          free_capacity_gb: free,
          allocated_capacity_gb: provisioned,
          provisioned_capacity_gb: provisioned,
          reserved_percentage: this.backend.reservedPercentage,
          max_over_subscription_ratio: String(this.backend.maxOverSubscriptionRatio),
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
      },
    ]
  }

  zones() {
    return [{ zoneName: this.backend.zone, zoneState: { available: true } }]
  }
}
