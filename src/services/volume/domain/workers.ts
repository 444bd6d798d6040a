/**
 * Workers cleanup (`POST /workers/cleanup`, 3.24): what a restart's recovery does
 * (`Volumes.cleanup`), asked for the resources of the services an admin selects.
 *
 *   filters (service_id, cluster_name, host, binary, is_up, disabled) ─▶ the services
 *     ├─ cinder-scheduler, or a cinder-volume this process runs (up) ─▶ cleaning:
 *     │    its volumes and snapshots in a transient state (creating, deleting, extending,
 *     │    reverting, uploading, a migration, managing, unmanaging...) that no work of
 *     │    this process is on are put back; the scheduler's: volumes creating on no host
 *     └─ down, or run by no process here ─▶ unavailable (no service alive to clean them)
 *   resource_type (Volume, Snapshot) and resource_id narrow the resources; a
 *   resource_id alone selects the service of that resource, which must be pending cleanup.
 *
 * As upstream, `is_up` is false unless given: a cleanup without it selects the services
 * that are down, which here are the ones no process runs, so it answers them unavailable.
 */
import { InvalidInput } from '../errors.js'
import { sectionOfHost } from '../files/backends.js'
import type { SnapshotRepo } from '../storage/snapshot.repo.js'
import type { VolumeRepo, VolumeRow } from '../storage/volume.repo.js'
import type { InFlight } from './in-flight.js'
import type { ServiceView, VolumeServices } from './services.js'
import { TRANSIENT_SNAPSHOT_STATES, TRANSIENT_VOLUME_STATES, type Volumes } from './volumes.js'

export interface CleanupFilter {
  serviceId?: number
  clusterName?: string | null
  host?: string
  binary?: 'cinder-volume' | 'cinder-scheduler'
  isUp: boolean
  disabled?: boolean
  resourceId?: string
  resourceType?: 'Volume' | 'Snapshot'
}

export interface CleanupService {
  id: number
  host: string
  binary: string
  cluster_name: string | null
}

export const CLEANABLE_TYPES = ['Volume', 'Snapshot'] as const

export class WorkersCleanup {
  constructor(
    private readonly services: VolumeServices,
    private readonly volumeRepo: VolumeRepo,
    private readonly snapshotRepo: SnapshotRepo,
    private readonly volumes: Volumes,
    private readonly inFlight: InFlight,
  ) {}

  /** The service (`host@backend`) a volume lives on; the scheduler's host for one on no host. */
  private serviceHostOf(v: VolumeRow): string {
    const at = sectionOfHost(v.host)
    return v.host && at ? v.host.split('#')[0]! : this.services.backend.host
  }

  async cleanup(
    filter: CleanupFilter,
  ): Promise<{ cleaning: CleanupService[]; unavailable: CleanupService[] }> {
    let f = filter
    if (f.resourceId && f.serviceId === undefined && f.clusterName === undefined && f.host === undefined)
      f = await this.locate(f)
    const all = await this.services.list({})
    const selected = all.filter(
      (s) =>
        (f.serviceId === undefined || s.id === f.serviceId) &&
        // NOTE: no service here is in a cluster
        (f.clusterName === undefined || f.clusterName === null) &&
        (f.host === undefined || s.host === f.host || s.host.startsWith(`${f.host}@`)) &&
        (f.binary === undefined || s.binary === f.binary) &&
        (f.binary !== undefined || ['cinder-volume', 'cinder-scheduler'].includes(s.binary)) &&
        s.up === f.isUp &&
        (f.disabled === undefined || (s.disabled === 1) === f.disabled),
    )
    const cleaning: ServiceView[] = []
    const unavailable: ServiceView[] = []
    for (const s of selected) {
      const ours =
        s.binary === 'cinder-scheduler'
          ? s.host === this.services.backend.host
          : this.services.servesHost(s.host)
      ;(s.up && ours ? cleaning : unavailable).push(s)
    }
    for (const s of cleaning) await this.clean(s, f)
    const view = (s: ServiceView): CleanupService => ({
      id: s.id,
      host: s.host,
      binary: s.binary,
      cluster_name: null,
    })
    return { cleaning: cleaning.map(view), unavailable: unavailable.map(view) }
  }

  /** A resource_id without a location: the service of that resource, which must be pending cleanup. */
  private async locate(f: CleanupFilter): Promise<CleanupFilter> {
    const id = f.resourceId!
    const found: { type: 'Volume' | 'Snapshot'; host: string; binary: string }[] = []
    if (f.resourceType !== 'Snapshot') {
      const v = await this.volumeRepo.getRow(id)
      if (v && TRANSIENT_VOLUME_STATES.includes(v.status))
        found.push({
          type: 'Volume',
          host: this.serviceHostOf(v),
          binary: v.host ? 'cinder-volume' : 'cinder-scheduler',
        })
    }
    if (f.resourceType !== 'Volume') {
      const s = await this.snapshotRepo.get(id)
      const v = s ? await this.volumeRepo.getRow(s.volume_id) : undefined
      if (s && v && TRANSIENT_SNAPSHOT_STATES.includes(s.status))
        found.push({ type: 'Snapshot', host: this.serviceHostOf(v), binary: 'cinder-volume' })
    }
    if (f.binary) found.splice(0, found.length, ...found.filter((r) => r.binary === f.binary))
    if (!found.length) throw new InvalidInput(`There is no resource with UUID ${id} pending cleanup.`)
    if (found.length > 1)
      throw new InvalidInput(
        `There are multiple resources with UUID ${id} pending cleanup. Please be more specific.`,
      )
    const r = found[0]!
    const service = (await this.services.list({ host: r.host, binary: r.binary })).find(
      (s) => s.host === r.host,
    )
    if (!service) throw new InvalidInput(`There is no resource with UUID ${id} pending cleanup.`)
    return { ...f, serviceId: service.id, resourceType: r.type }
  }

  /** The service's resources in a transient state that no work here is on, put back. */
  private async clean(s: ServiceView, f: CleanupFilter): Promise<void> {
    const onService = (v: VolumeRow) =>
      s.binary === 'cinder-scheduler' ? !v.host : !!v.host && v.host.split('#')[0] === s.host
    const wanted = (id: string) => (!f.resourceId || f.resourceId === id) && !this.inFlight.busy(id)
    const volumes =
      f.resourceType === 'Snapshot'
        ? []
        : (await this.volumeRepo.inTransientStates(TRANSIENT_VOLUME_STATES)).filter(
            (v) => onService(v) && wanted(v.id) && (s.binary === 'cinder-volume' || v.status === 'creating'),
          )
    const snapshots: { id: string; status: string }[] = []
    if (f.resourceType !== 'Volume' && s.binary === 'cinder-volume')
      for (const snap of await this.snapshotRepo.inStates(TRANSIENT_SNAPSHOT_STATES)) {
        const v = await this.volumeRepo.getRow(snap.volume_id)
        if (v && onService(v) && wanted(snap.id)) snapshots.push(snap)
      }
    await this.volumes.cleanup(volumes, snapshots)
  }
}
