/**
 * Volumes: the state machine and the rules around it. A create records the volume as
 * `creating` under the project's quota lock and answers; the file driver's work (an
 * empty sparse file, or a copy of a snapshot or a volume) then runs in the background
 * and moves it to `available` (or `error`). A delete moves it to `deleting`, removes the
 * file, then the row. Every transition is a compare-and-swap on the status, so two
 * requests racing for one volume cannot both act.
 *
 *   creating ─▶ available ─▶ extending ─▶ available
 *       │           │ ├──▶ attaching ─▶ in-use ─▶ detaching ─▶ available
 *       ▼           │ └──▶ reverting ─▶ available
 *     error         ▼
 *               deleting ─▶ (gone)
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import {
  AvailabilityZoneInvalid,
  InvalidInput,
  InvalidSnapshot,
  InvalidVolume,
  SnapshotNotFound,
  VolumeBadRequest,
  VolumeMetadataNotFound,
  VolumeNotFound,
} from '../errors.js'
import { type FileBackends, sectionOfHost } from '../files/backends.js'
import type { SnapshotRepo } from '../storage/snapshot.repo.js'
import type { TypeRecord } from '../storage/type.repo.js'
import type { SortKey, VolumeFilter, VolumeRecord, VolumeRepo, VolumeRow } from '../storage/volume.repo.js'
import { type Caller, sees } from './caller.js'
import type { Spawner } from './in-flight.js'
import type { Quotas } from './quotas.js'
import type { VolumeTypes } from './types.js'

/** Where a volume goes: its `host@backend#pool` (os-vol-host-attr:host) and the backend's section. */
export interface Placement {
  host: string
  section: string
}

/** What the scheduler is asked for (domain/scheduler.ts). */
export interface PlaceRequest {
  extraSpecs: Record<string, string>
  /** GiB. */
  size: number
  /** A pool kept when it passes: the source's (a copy) or the volume's own (a retype). */
  prefer?: string
  /** A pool already holding the volume (a retype): its size is not asked of it again. */
  holding?: string
  /** The volume's properties (`volume.*` in a backend's filter and goodness functions). */
  volume?: Record<string, unknown>
}

export interface VolumeBackend {
  zone: string
  allowZoneFallback: boolean
  /** The scheduler's pick of a pool, or why no pool takes the volume (each filter and the pools it removed). */
  place(request: PlaceRequest): Promise<{ placement: Placement } | { reason: string }>
  /** Tells the user why a volume went to error (a user message). */
  noValidBackend(volume: { id: string; projectId: string; requestId: string; reason: string }): Promise<void>
  /** Tells compute an attached volume grew (its volume-extended external event). */
  volumeExtended?(volumeId: string, serverIds: readonly string[]): Promise<void>
}

export interface CreateVolume {
  size?: number
  name?: string | null
  description?: string | null
  volumeType?: string | null
  availabilityZone?: string | null
  metadata?: Record<string, string>
  multiattach?: boolean
  snapshotId?: string | null
  sourceVolid?: string | null
  bootable?: boolean
  /** An image whose bytes the volume starts with (the handler found it for the user). */
  image?: {
    metadata: Record<string, string>
    minDisk: number
    size: number | null
    /** Its bytes, streamed. */
    data: () => Promise<Readable>
    /** Its file on this host (allowed_direct_url_schemes): copied instead of streamed. */
    localPath?: string
  }
  /** The request's id, for the user message of a volume no backend takes. */
  requestId?: string
  /** The group (3.13) the volume joins: its type must be one the group allows. */
  group?: { id: string; volumeTypeIds: readonly string[] }
  /**
   * A backup the volume is made from (3.47): the caller checked it; `restore` writes its
   * bytes into the new volume's file.
   */
  backup?: { id: string; size: number; restore: (volumeId: string, volumePath: string) => Promise<void> }
}

/** Volume statuses of work in flight, put back by a restart or a workers cleanup. */
export const TRANSIENT_VOLUME_STATES = [
  'creating',
  'deleting',
  'extending',
  'reverting',
  'uploading',
  'maintenance',
  'retyping',
  'unmanaging',
  'managing',
]
/** Snapshot statuses of work in flight. */
export const TRANSIENT_SNAPSHOT_STATES = ['creating', 'deleting', 'restoring', 'unmanaging', 'managing']

/** Statuses a volume may be deleted from (without force). */
const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing']
/** Snapshots a cascade delete takes with it. */
const CASCADABLE_SNAPSHOTS = ['available', 'error']

export const isTrueSpec = (v: string | undefined) => v !== undefined && /^(<is>\s*)?true$/i.test(v.trim())

export class Volumes {
  constructor(
    readonly repo: VolumeRepo,
    private readonly snapshots: SnapshotRepo,
    private readonly types: VolumeTypes,
    private readonly quotas: Quotas,
    readonly driver: FileBackends,
    private readonly backend: VolumeBackend,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  /** A volume the caller may see, else 404. */
  async get(caller: Caller, id: string): Promise<VolumeRecord> {
    const v = await this.repo.get(id)
    if (!v || !sees(caller, v.project_id)) throw new VolumeNotFound(id)
    return v
  }

  async list(
    filter: VolumeFilter,
    sort: readonly SortKey[],
    page: { limit?: number; offset?: number; marker?: string },
    caller: Caller,
  ): Promise<VolumeRecord[]> {
    let marker: VolumeRow | undefined
    if (page.marker !== undefined) {
      marker = await this.repo.getRow(page.marker)
      if (!marker || !sees(caller, marker.project_id))
        throw new InvalidInput(`marker [${page.marker}] not found`)
    }
    return this.repo.list(filter, sort, { ...page, marker })
  }

  async create(caller: Caller, input: CreateVolume): Promise<VolumeRecord> {
    let size = input.size
    let sourcePath: string | undefined
    let type: TypeRecord | undefined
    let snapshotId: string | null = null
    let sourceVolid: string | null = null
    let bootable = input.bootable ?? false
    let imageMeta: Record<string, string> | undefined
    let sourceSection: string | undefined
    if (input.snapshotId) {
      const snap = await this.snapshots.get(input.snapshotId)
      if (!snap || !sees(caller, snap.project_id)) throw new SnapshotNotFound(input.snapshotId)
      if (snap.status !== 'available')
        throw new InvalidSnapshot("Originating snapshot status must be one of 'available' values")
      size ??= snap.volume_size
      if (size < snap.volume_size)
        throw new InvalidInput(
          `Volume size '${size}'GB cannot be smaller than the snapshot size ${snap.volume_size}GB. They must be >= original snapshot size.`,
        )
      type = await this.types.byId(snap.volume_type_id)
      snapshotId = snap.id
      sourcePath = this.driver.snapshotPath(snap.id)
      const parent = await this.repo.get(snap.volume_id)
      if (parent) {
        sourceSection = this.driver.of(sectionOfHost(parent.host)).key
        bootable = bootable || parent.bootable === 1
        imageMeta = parent.imageMetadata
      }
    } else if (input.sourceVolid) {
      const src = await this.repo.get(input.sourceVolid)
      if (!src || !sees(caller, src.project_id)) throw new VolumeNotFound(input.sourceVolid)
      if (!['available', 'in-use'].includes(src.status))
        throw new InvalidVolume(`Unable to clone volumes that are in ${src.status} state.`)
      size ??= src.size
      if (size < src.size)
        throw new InvalidInput(
          `Volume size '${size}'GB cannot be smaller than original volume size ${src.size}GB. They must be >= original volume size.`,
        )
      type = await this.types.byId(src.volume_type_id)
      sourceVolid = src.id
      sourcePath = this.driver.volumePath(src.id)
      sourceSection = this.driver.of(sectionOfHost(src.host)).key
      bootable = bootable || src.bootable === 1
      imageMeta = src.imageMetadata
    }
    let imageData: (() => Promise<Readable>) | undefined
    if (input.image) {
      const img = input.image
      const imageGb = Math.max(1, Math.ceil((img.size ?? 0) / 1024 ** 3))
      size ??= Math.max(imageGb, img.minDisk)
      if (Number.isInteger(size) && size > 0) {
        if ((img.size ?? 0) > size * 1024 ** 3)
          throw new InvalidInput(`Size of specified image ${imageGb}GB is larger than volume size ${size}GB.`)
        if (img.minDisk > size)
          throw new InvalidInput(
            `Image minDisk size ${img.minDisk}GB is larger than the volume size ${size}GB.`,
          )
      }
      bootable = true
      imageMeta = img.metadata
      if (img.localPath) sourcePath = img.localPath
      else imageData = img.data
    }
    if (input.backup) {
      if (input.snapshotId || input.sourceVolid || input.image)
        throw new InvalidInput(
          'Only one of snapshot_id, source_volid, imageRef and backup_id can be given to create a volume.',
        )
      size ??= input.backup.size
      if (Number.isInteger(size) && size < input.backup.size)
        throw new InvalidInput(
          `Volume size '${size}'GB cannot be smaller than the backup size ${input.backup.size}GB. They must be >= original backup size.`,
        )
    }
    if (size === undefined) throw new InvalidInput('Volume size must be specified.')
    if (!Number.isInteger(size) || size <= 0)
      throw new InvalidInput(`Volume size '${size}' must be an integer and greater than 0`)
    // an image may name the type of the volumes made from it (cinder_img_volume_type)
    const volumeType =
      input.volumeType || (input.image ? input.image.metadata.cinder_img_volume_type : undefined)
    if (volumeType) {
      const asked = await this.types.forCreate(caller, volumeType)
      if (type && asked.id !== type.id && (input.snapshotId || input.sourceVolid))
        throw new InvalidInput('Invalid volume_type provided: it must match the source volume type.')
      type = asked
    }
    type ??= await this.types.defaultFor(caller.projectId)
    if (input.group && !input.group.volumeTypeIds.includes(type.id))
      throw new InvalidInput(
        `Invalid volume_type provided: ${type.id}; the group ${input.group.id} does not support it.`,
      )
    const zone = input.availabilityZone ?? this.backend.zone
    let placedIn = zone
    if (zone !== this.backend.zone) {
      if (!this.backend.allowZoneFallback) throw new AvailabilityZoneInvalid(zone)
      placedIn = this.backend.zone
    }
    const zonesSpec = type.extra_specs['RESKEY:availability_zones']
    if (
      zonesSpec &&
      !zonesSpec
        .split(',')
        .map((z) => z.trim())
        .includes(placedIn)
    )
      throw new InvalidInput('The availability zone is not allowed by the volume type.')
    const multiattach = input.multiattach === true || isTrueSpec(type.extra_specs.multiattach)
    const id = randomUUID()
    const scheduled = await this.backend.place({
      extraSpecs: type.extra_specs,
      size,
      ...(sourceSection ? { prefer: sourceSection } : {}),
      volume: {
        id,
        size,
        volume_type_id: type.id,
        display_name: input.name ?? null,
        display_description: input.description ?? null,
        availability_zone: placedIn,
        status: 'creating',
        attach_status: 'detached',
        multiattach,
        user_id: caller.userId,
        project_id: caller.projectId,
        snapshot_id: snapshotId,
        source_volid: sourceVolid,
        ...(input.backup ? { backup_id: input.backup.id } : {}),
      },
    })
    const placed = 'placement' in scheduled ? scheduled.placement : undefined
    const now = new Date().toISOString()
    const row: VolumeRow = {
      id,
      project_id: caller.projectId,
      user_id: caller.userId,
      display_name: input.name ?? null,
      display_description: input.description ?? null,
      size,
      status: 'creating',
      previous_status: null,
      attach_status: 'detached',
      availability_zone: placedIn,
      volume_type_id: type.id,
      snapshot_id: snapshotId,
      source_volid: sourceVolid,
      bootable: bootable ? 1 : 0,
      multiattach: multiattach ? 1 : 0,
      host: placed?.host ?? null,
      migration_status: null,
      replication_status: 'disabled',
      use_quota: 1,
      created_at: now,
      updated_at: null,
      launched_at: null,
      group_id: input.group?.id ?? null,
    }
    const check = await this.quotas.checker(caller.projectId)
    const sizeGb = size
    await this.repo.create(
      row,
      {
        metadata: input.metadata ?? {},
        ...(imageMeta && Object.keys(imageMeta).length ? { image: imageMeta } : {}),
      },
      (usage) => check(usage, { typeId: row.volume_type_id, volumes: 1, gigabytes: sizeGb }),
    )
    const created = (await this.repo.get(id))!
    this.build(
      id,
      sizeGb,
      imageData ?? sourcePath,
      placed
        ? placed.section
        : {
            projectId: caller.projectId,
            requestId: input.requestId ?? '',
            reason: 'reason' in scheduled ? scheduled.reason : '',
          },
      input.backup,
    )
    return created
  }

  /**
   * The driver's part of a create, in the background: the file, then `available`; or,
   * when the type asks for capabilities the backend lacks, `error` and a user message
   * (Cinder's scheduler finding no valid backend).
   */
  private build(
    id: string,
    size: number,
    source: string | (() => Promise<Readable>) | undefined,
    /** The pool's key, or who to tell that no pool takes the volume, and why. */
    where: string | { projectId: string; requestId: string; reason: string },
    backup?: CreateVolume['backup'],
  ): void {
    void this.tasks.spawn(`create ${id}`, async () => {
      if (typeof where !== 'string') {
        await this.repo.update(id, { status: 'error', host: null }, ['creating'])
        this.logger.warn({ volume: id, reason: where.reason }, 'no valid backend for the volume')
        await this.backend.noValidBackend({ id, ...where })
        return
      }
      try {
        if (typeof source === 'function') await this.driver.createWith(id, await source(), size, where)
        else if (source) await this.driver.createFrom(id, source, size, where)
        else await this.driver.createVolume(id, size, where)
        if (backup) await backup.restore(id, this.driver.volumePath(id))
        const now = new Date().toISOString()
        if (!(await this.repo.update(id, { status: 'available', launched_at: now }, ['creating'])))
          await this.driver.deleteVolume(id).catch(() => undefined)
      } catch (err) {
        this.logger.error({ err, volume: id }, 'volume create failed')
        await this.driver.deleteVolume(id).catch(() => undefined)
        await this.repo.update(id, { status: 'error' }, ['creating'])
      }
    })
  }

  async update(
    caller: Caller,
    id: string,
    input: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
  ): Promise<VolumeRecord> {
    await this.get(caller, id)
    const set: Partial<VolumeRow> = {}
    if (input.name !== undefined) set.display_name = input.name
    if (input.description !== undefined) set.display_description = input.description
    await this.repo.update(id, set)
    if (input.metadata !== undefined) await this.repo.setMeta('volume_metadata', id, input.metadata, true)
    return (await this.repo.get(id))!
  }

  /**
   * Deletes a volume: refused while attached, in a busy state (unless `force`) or with
   * snapshots (unless `cascade`, which takes its available snapshots with it).
   */
  async delete(caller: Caller, id: string, opts: { cascade?: boolean; force?: boolean } = {}): Promise<void> {
    const v = await this.get(caller, id)
    if (!opts.force) {
      if (v.attach_status === 'attached' || v.attachments.length)
        throw new InvalidVolume(
          'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
        )
      if (!DELETABLE.includes(v.status))
        throw new InvalidVolume(
          `Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.`,
        )
    }
    const snaps = await this.snapshots.ofVolume(id)
    if (snaps.length) {
      if (!opts.cascade) throw new InvalidVolume('Volume has snapshots; delete them first or use cascade.')
      const busy = snaps.filter((s) => !CASCADABLE_SNAPSHOTS.includes(s.status))
      if (busy.length) throw new InvalidVolume('Snapshot of the volume is busy; it cannot be deleted.')
    }
    const from = opts.force ? undefined : DELETABLE
    if (!(await this.repo.update(id, { status: 'deleting', previous_status: v.status }, from)))
      throw new InvalidVolume('Volume status changed while it was being deleted.')
    for (const s of snaps) await this.snapshots.update(s.id, { status: 'deleting' })
    void this.tasks.spawn(`delete ${id}`, async () => {
      try {
        for (const s of snaps) {
          await this.driver.deleteSnapshot(s.id)
          await this.snapshots.delete(s.id)
        }
        await this.driver.deleteVolume(id)
        await this.repo.delete(id)
      } catch (err) {
        this.logger.error({ err, volume: id }, 'volume delete failed')
        await this.repo.update(id, { status: 'error_deleting' })
      }
    })
  }

  // --- metadata

  async metadata(caller: Caller, id: string): Promise<Record<string, string>> {
    return (await this.get(caller, id)).metadata
  }

  async setMetadata(caller: Caller, id: string, values: Record<string, string>, replace: boolean) {
    await this.get(caller, id)
    await this.repo.setMeta('volume_metadata', id, values, replace)
    return (await this.get(caller, id)).metadata
  }

  async metadataItem(caller: Caller, id: string, key: string): Promise<string> {
    const v = await this.get(caller, id)
    const value = v.metadata[key]
    if (value === undefined) throw new VolumeMetadataNotFound(id, key)
    return value
  }

  async deleteMetadataItem(caller: Caller, id: string, key: string): Promise<void> {
    await this.get(caller, id)
    if (!(await this.repo.deleteMeta('volume_metadata', id, key))) throw new VolumeMetadataNotFound(id, key)
  }

  async setImageMetadata(caller: Caller, id: string, values: Record<string, string>) {
    const v = await this.get(caller, id)
    if (!['available', 'in-use'].includes(v.status))
      throw new InvalidVolume(
        `Volume ${id} status must be available or in-use, but current status is: ${v.status}`,
      )
    await this.repo.setMeta('volume_glance_metadata', id, values, false)
    return (await this.repo.get(id))!.imageMetadata
  }

  async unsetImageMetadata(caller: Caller, id: string, key: string): Promise<void> {
    await this.get(caller, id)
    if (!(await this.repo.deleteMeta('volume_glance_metadata', id, key)))
      throw new VolumeBadRequest(`Glance metadata cannot be updated, key ${key} exists for volume id ${id}`)
  }

  // --- actions

  async extend(caller: Caller, id: string, newSize: number, attachedAllowed: boolean): Promise<void> {
    const v = await this.get(caller, id)
    const allowed = attachedAllowed ? ['available', 'in-use'] : ['available']
    if (!allowed.includes(v.status))
      throw new InvalidVolume(
        `Volume status must be '${allowed.join("' or '")}' to extend, currently ${v.status}.`,
      )
    if (!Number.isInteger(newSize) || newSize <= v.size)
      throw new InvalidInput(
        `New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`,
      )
    const check = await this.quotas.checker(v.project_id)
    const ok = await this.repo.underQuotaLock(v.project_id, async (trx, usage) => {
      check(usage, { typeId: v.volume_type_id, gigabytes: newSize - v.size })
      return this.repo.update(id, { status: 'extending', previous_status: v.status }, [v.status], trx)
    })
    if (!ok) throw new InvalidVolume('Volume status changed while it was being extended.')
    // NOTE: growing a sparse file is one truncate: done before answering, so a client's
    // next call (a readonly flag, an attach) finds the volume settled; recorded as work in
    // flight meanwhile, so that a workers cleanup leaves it alone.
    const hold = this.tasks.hold?.bind(this.tasks) ?? ((_name: string, fn: () => Promise<void>) => fn())
    await hold(`extend ${id}`, async () => this.finishExtend(v, newSize))
  }

  private async finishExtend(v: VolumeRecord, newSize: number): Promise<void> {
    const id = v.id
    try {
      await this.driver.extend(id, newSize)
      await this.repo.update(id, { status: v.status, size: newSize }, ['extending'])
      const servers = v.attachments.flatMap((a) => (a.instance_uuid ? [a.instance_uuid] : []))
      if (servers.length && this.backend.volumeExtended)
        await this.backend
          .volumeExtended(id, servers)
          .catch((err) => this.logger.warn({ err, volume: id }, 'compute was not told the volume grew'))
    } catch (err) {
      this.logger.error({ err, volume: id }, 'volume extend failed')
      await this.repo.update(id, { status: 'error_extending' }, ['extending'])
    }
  }

  /**
   * os-retype: the volume takes another type. When the volume's backend matches the new
   * type's specs, the type changes here; when only another backend does, the volume must
   * move there (migration_policy on-demand, else refused): the type is then left for the
   * move to set (`moves.moveForRetype`) and the destination returned. The per-type quotas
   * of the new type are checked.
   */
  async retype(
    caller: Caller,
    id: string,
    newType: string,
    policy: 'never' | 'on-demand',
  ): Promise<{ type: TypeRecord; destination?: Placement }> {
    const v = await this.get(caller, id)
    if (!['available', 'in-use'].includes(v.status))
      throw new InvalidVolume(
        `Volume ${id} status must be available or in-use to retype, but is ${v.status}.`,
      )
    const type = await this.types.forCreate(caller, newType)
    if (type.id === v.volume_type_id)
      throw new InvalidInput('New volume type must be different from the current one.')
    const current = v.host ? this.driver.of(sectionOfHost(v.host)).key : undefined
    const scheduled = await this.backend.place({
      extraSpecs: type.extra_specs,
      size: v.size,
      ...(current ? { prefer: current, holding: current } : {}),
      volume: { id: v.id, size: v.size, volume_type_id: type.id, display_name: v.display_name },
    })
    if (!('placement' in scheduled))
      throw new InvalidInput(`No valid backend was found for the new volume type: ${scheduled.reason}.`)
    const placed = scheduled.placement
    const moves = placed.section !== current
    if (moves && policy === 'never')
      throw new InvalidInput('Retype needs a migration, but migration_policy is never.')
    if (moves && v.status !== 'available')
      throw new InvalidVolume(
        `Volume ${id} must be available to be moved to another backend, but is ${v.status}.`,
      )
    const snaps = await this.snapshots.ofVolume(id)
    if (moves && snaps.length) throw new InvalidVolume('Volume cannot have snapshots to be migrated.')
    const check = await this.quotas.checker(v.project_id)
    const ok = await this.repo.underQuotaLock(v.project_id, async (trx, usage) => {
      check(usage, { typeId: type.id, volumes: 1, gigabytes: v.size })
      if (snaps.length) check(usage, { typeId: type.id, snapshots: snaps.length })
      if (moves) return true
      return this.repo.update(
        id,
        {
          volume_type_id: type.id,
          multiattach: isTrueSpec(type.extra_specs.multiattach) ? 1 : v.multiattach,
        },
        [v.status],
        trx,
      )
    })
    if (!ok) throw new InvalidVolume('Volume status changed during the retype.')
    return moves ? { type, destination: placed } : { type }
  }

  async setBootable(caller: Caller, id: string, bootable: boolean): Promise<void> {
    await this.get(caller, id)
    await this.repo.update(id, { bootable: bootable ? 1 : 0 })
  }

  async setReadonly(caller: Caller, id: string, readonly: boolean): Promise<void> {
    const v = await this.get(caller, id)
    if (!['available', 'in-use'].includes(v.status))
      throw new InvalidVolume(
        `Volume ${id} status must be available or in-use, but current status is: ${v.status}`,
      )
    await this.repo.setMeta('volume_admin_metadata', id, { readonly: readonly ? 'True' : 'False' }, false)
  }

  /** Admin: sets status, attach status and migration status as given (os-reset_status). */
  async resetStatus(
    caller: Caller,
    id: string,
    set: { status?: string; attachStatus?: string; migrationStatus?: string },
  ): Promise<void> {
    await this.get(caller, id)
    const fields: Partial<VolumeRow> = {}
    if (set.status) fields.status = set.status
    if (set.attachStatus) fields.attach_status = set.attachStatus
    if (set.migrationStatus)
      fields.migration_status = set.migrationStatus === 'none' ? null : set.migrationStatus
    await this.repo.update(id, fields)
  }

  /** Reverts to the volume's latest snapshot (3.40): the snapshot must be the newest one. */
  async revert(caller: Caller, id: string, snapshotId: string): Promise<void> {
    const v = await this.get(caller, id)
    const snap = await this.snapshots.get(snapshotId)
    if (!snap || !sees(caller, snap.project_id)) throw new SnapshotNotFound(snapshotId)
    if (snap.volume_id !== id) throw new InvalidInput('Snapshot does not belong to the volume.')
    const all = await this.snapshots.ofVolume(id)
    const latest = all[all.length - 1]
    if (!latest || latest.id !== snapshotId)
      throw new InvalidSnapshot(
        `Cannot revert volume ${id} to snapshot ${snapshotId}: it is not the latest snapshot.`,
      )
    if (v.status !== 'available')
      throw new InvalidVolume(`Cannot revert volume ${id}: status must be available.`)
    if (snap.status !== 'available') throw new InvalidSnapshot('Snapshot status must be available to revert.')
    if (v.size !== snap.volume_size)
      throw new InvalidVolume('Volume size was changed since the snapshot was taken: revert is not allowed.')
    if (!(await this.repo.update(id, { status: 'reverting' }, ['available'])))
      throw new InvalidVolume('Volume status changed during revert.')
    await this.snapshots.update(snapshotId, { status: 'restoring' })
    void this.tasks.spawn(`revert ${id}`, async () => {
      try {
        await this.driver.revert(id, snapshotId)
        await this.repo.update(id, { status: 'available' }, ['reverting'])
        await this.snapshots.update(snapshotId, { status: 'available' })
      } catch (err) {
        this.logger.error({ err, volume: id }, 'volume revert failed')
        await this.repo.update(id, { status: 'error' }, ['reverting'])
        await this.snapshots.update(snapshotId, { status: 'available' })
      }
    })
  }

  // --- crash recovery

  /**
   * Puts back volumes and snapshots whose work stopped (rows in the transient states):
   * what `recover` does at start and a workers cleanup does for the resources of the
   * services it selects. Returns the ids reset.
   */
  async cleanup(
    volumes: readonly VolumeRow[],
    snapshots: readonly { id: string; status: string }[],
  ): Promise<string[]> {
    const reset: string[] = []
    for (const v of volumes) {
      if (v.status === 'unmanaging') {
        // the row and the record of its file are written in one transaction: not done
        await this.repo.update(v.id, { status: v.previous_status ?? 'available' })
      } else if (v.status === 'managing') {
        const adopted = existsSync(this.driver.volumePath(v.id))
        await this.repo.update(v.id, { status: adopted ? 'available' : 'error_managing' })
      } else if (v.migration_status === 'migrating') {
        // a migration's copy goes through `.part`: the volume's own file is intact
        await this.repo.update(v.id, { status: v.previous_status ?? 'available', migration_status: 'error' })
      } else if (v.status === 'maintenance' || v.status === 'retyping') {
        continue
      } else if (v.status === 'uploading') {
        // the upload's image stays queued; the volume's bytes were only read
        await this.repo.update(v.id, { status: v.previous_status ?? 'available' })
      } else if (v.status === 'deleting') {
        await this.driver.deleteVolume(v.id)
        for (const s of await this.snapshots.ofVolume(v.id)) {
          await this.driver.deleteSnapshot(s.id)
          await this.snapshots.delete(s.id)
        }
        await this.repo.delete(v.id)
      } else {
        const to = { creating: 'error', extending: 'error_extending', reverting: 'error' }[v.status]
        if (!to) continue
        await this.repo.update(v.id, { status: to })
      }
      reset.push(v.id)
    }
    for (const s of snapshots) {
      if (s.status === 'deleting') {
        await this.driver.deleteSnapshot(s.id)
        await this.snapshots.delete(s.id)
      } else if (s.status === 'managing') {
        const adopted = existsSync(this.driver.snapshotPath(s.id))
        await this.snapshots.update(s.id, { status: adopted ? 'available' : 'error' })
      } else if (TRANSIENT_SNAPSHOT_STATES.includes(s.status))
        await this.snapshots.update(s.id, { status: s.status === 'creating' ? 'error' : 'available' })
      else continue
      reset.push(s.id)
    }
    return reset
  }

  /**
   * After a restart: work that was in flight is finished or failed, as upstream's workers
   * cleanup does: creating → error, deleting → deleted, extending → error_extending,
   * reverting → error, uploading → what it was, a migration (maintenance, retyping) → what it
   * was with migration_status error; snapshots creating → error, deleting → deleted;
   * unmanaging → gone (its file recorded as unmanaged), managing → error_managing. Then
   * files the database does not place in a backend's directory (and unfinished copies)
   * are removed, but for the unmanaged files in `keep` (`<backend>/<name>`).
   */
  async recover(keep: ReadonlySet<string> = new Set()): Promise<{ reset: string[]; removed: string[] }> {
    const reset = await this.cleanup(
      await this.repo.inTransientStates(TRANSIENT_VOLUME_STATES),
      await this.snapshots.inStates(TRANSIENT_SNAPSHOT_STATES),
    )
    // every file belongs in the directory of its volume's backend (a snapshot's: its volume's)
    const all = await this.repo.list({}, [{ key: 'id', dir: 'asc' }], {})
    const volumes = new Map(all.map((v) => [v.id, this.driver.of(sectionOfHost(v.host)).key]))
    const snapshots = new Map(
      (await this.snapshots.list({}, [{ key: 'id', dir: 'asc' }], {})).map((s) => [
        s.id,
        volumes.get(s.volume_id) ?? this.driver.primary.key,
      ]),
    )
    const removed = await this.driver.sweep({ volumes, snapshots, keep })
    // A volume in error after a failed create has no file; one that is available must.
    return { reset, removed }
  }
}
