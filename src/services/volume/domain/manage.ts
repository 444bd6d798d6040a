/**
 * Manage and unmanage (admins): unmanaging a volume or snapshot forgets its rows and
 * releases its quota but leaves its file on the backend, recorded as unmanaged so that
 * start-up's sweep of unowned files keeps it. Managing adopts a file of a backend's
 * directory by reference (`source-name`: the file's name; `source-id`: the id in
 * `volume-<id>` / `snapshot-<id>`): a new row is recorded (`managing`, under the quota
 * lock), the file is renamed to the new volume's or snapshot's name (as upstream's LVM
 * driver renames the logical volume) and grown to whole GiB, then `available`. The
 * manageable lists show a backend's files, with those already managed not safe.
 *
 *   unmanage: available|error ─▶ unmanaging ─▶ (row gone, file recorded)
 *   manage:   (file) ─▶ managing ─(rename)─▶ available   (rename failed ─▶ error_managing)
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import {
  AvailabilityZoneInvalid,
  InvalidInput,
  InvalidSnapshot,
  InvalidVolume,
  ManageExistingAlreadyManaged,
  ManageExistingInvalidReference,
  ServiceNotFound,
} from '../errors.js'
import { type FileBackends, sectionOfHost } from '../files/backends.js'
import { GiB } from '../files/file-driver.js'
import type { ServiceRepo } from '../storage/service.repo.js'
import type { SnapshotRecord, SnapshotRepo, SnapshotRow } from '../storage/snapshot.repo.js'
import type { UnmanagedRepo } from '../storage/unmanaged.repo.js'
import type { VolumeRecord, VolumeRepo, VolumeRow } from '../storage/volume.repo.js'
import type { Caller } from './caller.js'
import { matchesCapabilities } from './capabilities-filter.js'
import type { Quotas } from './quotas.js'
import type { VolumeServices } from './services.js'
import type { VolumeTypes } from './types.js'

/** Statuses a volume may be unmanaged from (those it may be deleted from). */
const UNMANAGEABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing']
const SNAPSHOT_UNMANAGEABLE = ['available', 'error']
const REF_KEYS = ['source-name', 'source-id'] as const

export interface ManageableEntry {
  reference: { 'source-name': string }
  size: number
  safe_to_manage: boolean
  reason_not_safe: string | null
  cinder_id: string | null
  extra_info: null
  source_reference?: { 'source-name': string } | null
}

export interface ManageVolumeInput {
  host: string
  ref: unknown
  name?: string | null
  description?: string | null
  volumeType?: string | null
  availabilityZone?: string | null
  metadata?: Record<string, string>
  bootable?: boolean
}

export class VolumeManage {
  constructor(
    private readonly volumes: VolumeRepo,
    private readonly snapshots: SnapshotRepo,
    private readonly unmanaged: UnmanagedRepo,
    private readonly serviceRepo: ServiceRepo,
    private readonly services: VolumeServices,
    private readonly backends: FileBackends,
    private readonly types: VolumeTypes,
    private readonly quotas: Quotas,
    private readonly zone: string,
    private readonly logger: Logger,
  ) {}

  // --- unmanage

  async unmanageVolume(vol: VolumeRecord): Promise<void> {
    if (vol.attach_status === 'attached' || vol.attachments.length)
      throw new InvalidVolume('Volume is attached; it cannot be unmanaged.')
    if (!UNMANAGEABLE.includes(vol.status))
      throw new InvalidVolume(
        `Volume status must be ${UNMANAGEABLE.join(' or ')} to unmanage, but is ${vol.status}.`,
      )
    if (vol.migration_status === 'migrating')
      throw new InvalidVolume('Volume is being migrated; it cannot be unmanaged.')
    if ((await this.snapshots.ofVolume(vol.id)).length)
      throw new InvalidVolume('Volume has snapshots; unmanage or delete them first.')
    if (vol.group_id) throw new InvalidVolume('Volume belongs to a group; remove it from the group first.')
    if (
      !(await this.volumes.update(vol.id, { status: 'unmanaging', previous_status: vol.status }, [
        vol.status,
      ]))
    )
      throw new InvalidVolume('Volume status changed while it was being unmanaged.')
    const section = this.backends.of(sectionOfHost(vol.host)).key
    const name = `volume-${vol.id}`
    const has = (await this.backends.files(section)).some((f) => f.name === name)
    await this.unmanaged.unmanageVolume(vol.id, has ? { backend: section, name } : undefined)
  }

  async unmanageSnapshot(snap: SnapshotRecord): Promise<void> {
    if (!SNAPSHOT_UNMANAGEABLE.includes(snap.status))
      throw new InvalidSnapshot(
        `Snapshot status must be available or error to unmanage, but is ${snap.status}.`,
      )
    if (!(await this.snapshots.update(snap.id, { status: 'unmanaging' }, [snap.status])))
      throw new InvalidSnapshot('Snapshot status changed while it was being unmanaged.')
    const vol = await this.volumes.getRow(snap.volume_id)
    const section = this.backends.of(sectionOfHost(vol?.host)).key
    const name = `snapshot-${snap.id}`
    const has = (await this.backends.files(section)).some((f) => f.name === name)
    await this.unmanaged.unmanageSnapshot(
      snap.id,
      snap.volume_id,
      has ? { backend: section, name } : undefined,
    )
  }

  // --- manage

  /** The backend section a `host@backend[#pool]` names: a registered volume host of this service. */
  private async sectionOf(host: unknown): Promise<string> {
    if (typeof host !== 'string' || !host.trim()) throw new InvalidInput('host must be a non-empty string.')
    const backendHost = host.split('#')[0]!
    const registered = await this.serviceRepo.list({ binary: 'cinder-volume' })
    const section = sectionOfHost(backendHost)
    const ours = this.backends.find(sectionOfHost(host))
    if (
      !ours ||
      ours.section !== section ||
      !registered.some((s) => s.host === backendHost) ||
      !this.services.servesHost(backendHost)
    )
      throw new ServiceNotFound('Service not found.')
    return ours.key
  }

  /** The file a reference names on a backend, its size, and whether a row owns it. */
  private async resolve(section: string, ref: unknown, kind: 'volume' | 'snapshot') {
    if (!ref || typeof ref !== 'object' || Array.isArray(ref))
      throw new ManageExistingInvalidReference(ref, 'the reference must be an object.')
    const keys = Object.keys(ref).filter((k) => (REF_KEYS as readonly string[]).includes(k))
    if (keys.length !== 1)
      throw new ManageExistingInvalidReference(ref, 'give exactly one of source-name and source-id.')
    const value = (ref as Record<string, unknown>)[keys[0]!]
    if (typeof value !== 'string' || !value)
      throw new ManageExistingInvalidReference(ref, `${keys[0]} must be a non-empty string.`)
    const name = keys[0] === 'source-id' ? `${kind}-${value}` : value
    if (name.includes('/') || name === '.' || name === '..' || name.endsWith('.part'))
      throw new ManageExistingInvalidReference(ref, 'not a file name of the backend.')
    const file = (await this.backends.files(section)).find((f) => f.name === name)
    if (!file) throw new ManageExistingInvalidReference(ref, `no such file on backend ${section}.`)
    if (await this.ownerOf(name)) throw new ManageExistingAlreadyManaged(name)
    return file
  }

  /** The id of the volume or snapshot whose file this name is, if any. */
  private async ownerOf(name: string): Promise<string | undefined> {
    const m = /^(volume|snapshot)-(.+)$/.exec(name)
    if (!m) return undefined
    const row = m[1] === 'volume' ? await this.volumes.getRow(m[2]!) : await this.snapshots.get(m[2]!)
    return row?.id
  }

  async manageVolume(caller: Caller, input: ManageVolumeInput): Promise<VolumeRecord> {
    const section = await this.sectionOf(input.host)
    const type = input.volumeType
      ? await this.types.forCreate(caller, input.volumeType)
      : await this.types.defaultFor(caller.projectId)
    const zone = input.availabilityZone ?? this.zone
    if (zone !== this.zone) throw new AvailabilityZoneInvalid(zone)
    const pool = (await this.services.pools()).find((p) => p.key === section)!
    if (!matchesCapabilities(type.extra_specs, pool.capabilities))
      throw new InvalidInput(`The volume type ${type.name} does not match backend ${section}.`)
    const file = await this.resolve(section, input.ref, 'volume')
    const size = Math.max(1, Math.ceil(file.size / GiB))
    const id = randomUUID()
    const now = new Date().toISOString()
    const row: VolumeRow = {
      id,
      project_id: caller.projectId,
      user_id: caller.userId,
      display_name: input.name ?? null,
      display_description: input.description ?? null,
      size,
      status: 'managing',
      previous_status: null,
      attach_status: 'detached',
      availability_zone: zone,
      volume_type_id: type.id,
      snapshot_id: null,
      source_volid: null,
      bootable: input.bootable ? 1 : 0,
      multiattach: /^(<is>\s*)?true$/i.test(type.extra_specs.multiattach?.trim() ?? '') ? 1 : 0,
      host: pool.name,
      migration_status: null,
      replication_status: 'disabled',
      use_quota: 1,
      created_at: now,
      updated_at: null,
      launched_at: null,
      group_id: null,
    }
    const check = await this.quotas.checker(caller.projectId)
    await this.volumes.create(row, { metadata: input.metadata ?? {} }, (usage) =>
      check(usage, { typeId: type.id, volumes: 1, gigabytes: size }),
    )
    try {
      await this.backends.renameIn(section, file.name, `volume-${id}`)
      if (file.size < size * GiB) await this.backends.extend(id, size)
      await this.unmanaged.forget(section, file.name)
      await this.volumes.update(id, { status: 'available', launched_at: new Date().toISOString() }, [
        'managing',
      ])
    } catch (err) {
      this.logger.error({ err, volume: id, file: file.name }, 'manage volume failed')
      await this.volumes.update(id, { status: 'error_managing' }, ['managing'])
    }
    return (await this.volumes.get(id))!
  }

  async manageSnapshot(
    caller: Caller,
    vol: VolumeRecord,
    input: {
      ref: unknown
      name?: string | null
      description?: string | null
      metadata?: Record<string, string>
    },
  ): Promise<SnapshotRecord> {
    if (!['available', 'in-use'].includes(vol.status))
      throw new InvalidVolume(`Volume ${vol.id} status must be available or in-use, but is ${vol.status}.`)
    const section = this.backends.of(sectionOfHost(vol.host)).key
    const file = await this.resolve(section, input.ref, 'snapshot')
    const size = Math.max(1, Math.ceil(file.size / GiB))
    const id = randomUUID()
    const row: SnapshotRow = {
      id,
      volume_id: vol.id,
      project_id: vol.project_id,
      user_id: caller.userId,
      display_name: input.name ?? null,
      display_description: input.description ?? null,
      status: 'managing',
      progress: '0%',
      volume_size: size,
      volume_type_id: vol.volume_type_id,
      use_quota: 1,
      created_at: new Date().toISOString(),
      updated_at: null,
      group_snapshot_id: null,
    }
    const check = await this.quotas.checker(vol.project_id)
    const ok = await this.snapshots.create(row, input.metadata ?? {}, ['available', 'in-use'], (usage) =>
      check(usage, { typeId: vol.volume_type_id, snapshots: 1, gigabytes: size }),
    )
    if (!ok) throw new InvalidVolume(`Volume ${vol.id} status changed while the snapshot was being managed.`)
    try {
      await this.backends.renameIn(section, file.name, `snapshot-${id}`)
      await this.unmanaged.forget(section, file.name)
      await this.snapshots.update(id, { status: 'available', progress: '100%' }, ['managing'])
    } catch (err) {
      this.logger.error({ err, snapshot: id, file: file.name }, 'manage snapshot failed')
      await this.snapshots.update(id, { status: 'error' }, ['managing'])
    }
    return (await this.snapshots.get(id))!
  }

  // --- manageable lists

  /** The files of the backend a host names, as manageable volumes or snapshots. */
  async manageable(host: unknown, kind: 'volume' | 'snapshot'): Promise<ManageableEntry[]> {
    const section = await this.sectionOf(host)
    const recorded = new Map((await this.unmanaged.list(section)).map((r) => [r.name, r]))
    const out: ManageableEntry[] = []
    for (const f of await this.backends.files(section)) {
      const rec = recorded.get(f.name)
      const isSnapshot = rec ? rec.kind === 'snapshot' : f.name.startsWith('snapshot-')
      if (isSnapshot !== (kind === 'snapshot')) continue
      const owner = await this.ownerOf(f.name)
      const entry: ManageableEntry = {
        reference: { 'source-name': f.name },
        size: Math.max(1, Math.ceil(f.size / GiB)),
        safe_to_manage: !owner,
        reason_not_safe: owner ? 'already managed' : null,
        cinder_id: owner ?? null,
        extra_info: null,
      }
      if (kind === 'snapshot') {
        const source = owner ? (await this.snapshots.get(owner))?.volume_id : rec?.source_volume_id
        entry.source_reference = source ? { 'source-name': `volume-${source}` } : null
      }
      out.push(entry)
    }
    return out
  }
}
