/**
 * Backups to a directory (files/backup-driver.ts), as Cinder's backup API:
 *
 *   create   volume available (in-use with force) ─▶ [quota lock: backups,
 *            backup_gigabytes; volume backing-up] creating ─(background: chunks read,
 *            stored when not zeros and, for an incremental, when they differ from the
 *            parent's)─▶ available; the volume back to its status. An incremental's
 *            parent is the volume's newest available backup (none: 400).
 *   restore  available ─▶ restoring; the target (a new volume of the backup's size, or
 *            an available volume at least that big) restoring-backup ─(every chunk
 *            written, checked by sha256)─▶ both available (the target `error_restoring`
 *            on failure)
 *   delete   available|error, no incremental depending on it ─▶ deleting ─▶ files, row
 *
 * After a restart, `recover` puts back what a stop interrupted: creating → error (the
 * folder removed), restoring → available (the target error_restoring), deleting → gone.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { BackupNotFound, InvalidBackup, InvalidInput, InvalidVolume, VolumeNotFound } from '../errors.js'
import type { FileBackends } from '../files/backends.js'
import { BackupDriver } from '../files/backup-driver.js'
import type { BackupFilter, BackupRepo, BackupRow } from '../storage/backup.repo.js'
import type { VolumeRepo } from '../storage/volume.repo.js'
import { type Caller, sees } from './caller.js'
import type { Spawner } from './in-flight.js'
import type { Quotas } from './quotas.js'
import type { Volumes } from './volumes.js'

export interface CreateBackup {
  volumeId: string
  name?: string | null
  description?: string | null
  container?: string | null
  incremental: boolean
  force: boolean
  snapshotId?: string | null
  metadata?: Record<string, string>
}

export class Backups {
  constructor(
    readonly repo: BackupRepo,
    private readonly volumeRepo: VolumeRepo,
    private readonly volumes: Volumes,
    private readonly quotas: Quotas,
    private readonly driver: BackupDriver,
    private readonly files: FileBackends,
    private readonly zone: string,
    /** `[DEFAULT] backup_driver`, named in export records. */
    private readonly serviceName: string,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  async get(caller: Caller, id: string): Promise<BackupRow> {
    const b = await this.repo.get(id)
    if (!b || !sees(caller, b.project_id)) throw new BackupNotFound(id)
    return b
  }

  list(filter: BackupFilter): Promise<BackupRow[]> {
    return this.repo.list(filter)
  }

  async create(caller: Caller, input: CreateBackup): Promise<BackupRow> {
    const vol = await this.volumes.get(caller, input.volumeId)
    const states = input.force ? ['available', 'in-use'] : ['available']
    if (!states.includes(vol.status)) {
      if (vol.status === 'in-use')
        throw new InvalidVolume('Backing up an in-use volume must use the force flag.')
      throw new InvalidVolume(
        `Volume to be backed up must be available or in-use, but the current status is "${vol.status}".`,
      )
    }
    let parent: BackupRow | undefined
    if (input.incremental) {
      // the parent is the caller's project's own newest backup (an admin's backup of a
      // user's volume is no parent of the user's incremental, and the other way round)
      parent = await this.repo.latestAvailable(vol.id, caller.projectId)
      if (!parent) throw new InvalidBackup('No backups available to do an incremental backup.')
    }
    const now = new Date().toISOString()
    const row: BackupRow = {
      id: randomUUID(),
      // as upstream: the backup (and its quota) is the project's that asked for it
      project_id: caller.projectId,
      user_id: caller.userId,
      volume_id: vol.id,
      snapshot_id: input.snapshotId ?? null,
      parent_id: parent?.id ?? null,
      status: 'creating',
      display_name: input.name ?? null,
      display_description: input.description ?? null,
      container: input.container || 'backups',
      availability_zone: this.zone,
      size: vol.size,
      object_count: 0,
      is_incremental: parent ? 1 : 0,
      num_dependent_backups: 0,
      fail_reason: null,
      restore_volume_id: null,
      metadata: JSON.stringify(input.metadata ?? {}),
      service_metadata: null,
      volume_meta: JSON.stringify({
        metadata: vol.metadata,
        image: vol.imageMetadata,
        bootable: vol.bootable === 1,
      }),
      data_timestamp: now,
      created_at: now,
      updated_at: null,
    }
    const check = await this.quotas.checker(caller.projectId)
    const ok = await this.repo.create(row, states, (usage) =>
      check(usage, { typeId: vol.volume_type_id, backups: 1, backupGigabytes: vol.size }),
    )
    if (!ok) throw new InvalidVolume(`Volume ${vol.id} status changed while the backup was being started.`)
    const parentManifest = parent ? await this.driver.manifest(parent.container, dataId(parent)) : undefined
    void this.tasks.spawn(`backup ${row.id}`, async () => {
      try {
        const m = await this.driver.backup(
          this.files.volumePath(vol.id),
          row.id,
          row.container,
          parentManifest,
        )
        await this.repo.update(row.id, { status: 'available', object_count: m.stored }, ['creating'])
      } catch (err) {
        this.logger.error({ err, backup: row.id }, 'backup failed')
        await this.driver.delete(row.container, row.id).catch(() => undefined)
        await this.repo.update(row.id, {
          status: 'error',
          fail_reason: String((err as Error).message).slice(0, 255),
        })
      } finally {
        await this.volumeRepo.update(vol.id, { status: vol.status }, ['backing-up'])
      }
    })
    return (await this.repo.get(row.id))!
  }

  async update(
    caller: Caller,
    id: string,
    input: { name?: string | null; description?: string | null; metadata?: Record<string, string> },
  ): Promise<BackupRow> {
    await this.get(caller, id)
    await this.repo.update(id, {
      ...(input.name !== undefined ? { display_name: input.name } : {}),
      ...(input.description !== undefined ? { display_description: input.description } : {}),
      ...(input.metadata !== undefined ? { metadata: JSON.stringify(input.metadata) } : {}),
    })
    return (await this.repo.get(id))!
  }

  async delete(caller: Caller, id: string, force = false): Promise<void> {
    const b = await this.get(caller, id)
    const from = force
      ? ['available', 'error', 'creating', 'restoring', 'error_restoring']
      : ['available', 'error']
    const r = await this.repo.startDelete(id, from)
    if (r === 'dependents') throw new InvalidBackup('Incremental backups exist for this backup.')
    if (r === 'state') throw new InvalidBackup('Backup status must be available or error')
    void this.tasks.spawn(`delete backup ${id}`, async () => {
      // NOTE: an imported record shares its data with the backup it was exported from:
      // the folder goes with the last row that uses it.
      if (!(await this.repo.sharesData(b.id, dataId(b))))
        await this.driver
          .delete(b.container, dataId(b))
          .catch((err: unknown) => this.logger.warn({ err }, 'backup files'))
      await this.repo.remove(b)
    })
  }

  async resetStatus(caller: Caller, id: string, status: string): Promise<void> {
    await this.get(caller, id)
    if (!['available', 'error'].includes(status))
      throw new InvalidBackup(`Backup status ${status} is not valid.`)
    await this.repo.update(id, { status })
  }

  /** Restores into `volumeId`, or a new volume of the backup's size. */
  async restore(
    caller: Caller,
    id: string,
    input: { volumeId?: string | null; name?: string | null },
    requestId: string,
  ): Promise<{ backup_id: string; volume_id: string; volume_name: string | null }> {
    const b = await this.get(caller, id)
    if (b.status !== 'available') throw new InvalidBackup('Backup status must be available')
    let targetId: string
    let fresh = false
    if (input.volumeId) {
      const v = await this.volumes.get(caller, input.volumeId).catch(() => {
        throw new VolumeNotFound(input.volumeId!)
      })
      if (v.status !== 'available')
        throw new InvalidVolume(
          `Volume to be restored to must be available, but the current status is "${v.status}".`,
        )
      if (v.size < b.size)
        throw new InvalidVolume(`volume size ${v.size} is too small to restore backup of size ${b.size}.`)
      targetId = v.id
    } else {
      const v = await this.volumes.create(caller, {
        size: b.size,
        name: input.name ?? `restore_backup_${b.id}`,
        requestId,
      })
      targetId = v.id
      fresh = true
      await this.waitCreated(v.id)
    }
    if (!(await this.repo.update(b.id, { status: 'restoring', restore_volume_id: targetId }, ['available'])))
      throw new InvalidBackup('Backup status must be available')
    if (!(await this.volumeRepo.update(targetId, { status: 'restoring-backup' }, ['available']))) {
      await this.repo.update(b.id, { status: 'available', restore_volume_id: null }, ['restoring'])
      throw new InvalidVolume(`Volume ${targetId} status must be available.`)
    }
    void this.tasks.spawn(`restore backup ${b.id}`, async () => {
      try {
        const m = await this.driver.manifest(b.container, dataId(b))
        await this.driver.restore(m, this.files.volumePath(targetId), fresh)
        await this.restoreVolumeMeta(targetId, b)
        await this.volumeRepo.update(targetId, { status: 'available' }, ['restoring-backup'])
      } catch (err) {
        this.logger.error({ err, backup: b.id, volume: targetId }, 'restore failed')
        await this.volumeRepo.update(targetId, { status: 'error_restoring' }, ['restoring-backup'])
      } finally {
        await this.repo.update(b.id, { status: 'available', restore_volume_id: null }, ['restoring'])
      }
    })
    const target = await this.volumeRepo.get(targetId)
    return { backup_id: b.id, volume_id: targetId, volume_name: target?.display_name ?? null }
  }

  /**
   * A backup a new volume is made from (`backup_id`, 3.47): the caller's, available
   * (else 400). Its `restore` marks it restoring (the new volume as restore_volume_id)
   * while every chunk is written into the volume's fresh file and checked by sha256,
   * then available again; a failure fails the volume's create.
   */
  async sourceFor(
    caller: Caller,
    id: string,
  ): Promise<{ id: string; size: number; restore: (volumeId: string, path: string) => Promise<void> }> {
    const b = await this.get(caller, id)
    if (b.status !== 'available') throw new InvalidBackup('Backup status must be available')
    return {
      id: b.id,
      size: b.size,
      restore: async (volumeId, path) => {
        if (
          !(await this.repo.update(b.id, { status: 'restoring', restore_volume_id: volumeId }, ['available']))
        )
          throw new InvalidBackup(`Backup ${b.id} is not available any more.`)
        try {
          await this.driver.restore(await this.driver.manifest(b.container, dataId(b)), path, true)
          await this.restoreVolumeMeta(volumeId, b)
        } finally {
          await this.repo.update(b.id, { status: 'available', restore_volume_id: null }, ['restoring'])
        }
      },
    }
  }

  /** The source volume's metadata, image metadata and bootable flag on the target. */
  private async restoreVolumeMeta(targetId: string, b: BackupRow): Promise<void> {
    const meta = JSON.parse(b.volume_meta) as {
      metadata?: Record<string, string>
      image?: Record<string, string>
      bootable?: boolean
    }
    if (meta.metadata && Object.keys(meta.metadata).length)
      await this.volumeRepo.setMeta('volume_metadata', targetId, meta.metadata, false)
    if (meta.image && Object.keys(meta.image).length)
      await this.volumeRepo.setMeta('volume_glance_metadata', targetId, meta.image, false)
    if (meta.bootable) await this.volumeRepo.update(targetId, { bootable: 1 })
  }

  /** An export record: the driver's name and the row, base64 JSON (as upstream). */
  async exportRecord(caller: Caller, id: string): Promise<{ backup_service: string; backup_url: string }> {
    const b = await this.get(caller, id)
    if (b.status !== 'available')
      throw new InvalidBackup('Backup status must be available and not restoring.')
    const record = { ...b, service_metadata: dataId(b) }
    return {
      backup_service: this.serviceName,
      backup_url: Buffer.from(JSON.stringify(record)).toString('base64'),
    }
  }

  /** Imports an exported record: a new row whose data is the exported backup's folder. */
  async importRecord(caller: Caller, service: string, url: string): Promise<BackupRow> {
    if (service !== this.serviceName)
      throw new InvalidBackup(`Unsupported backup driver ${service}; this cloud runs ${this.serviceName}.`)
    let record: Partial<BackupRow>
    try {
      record = JSON.parse(Buffer.from(url, 'base64').toString('utf8')) as Partial<BackupRow>
    } catch {
      throw new InvalidInput("Can't parse backup record.")
    }
    if (
      typeof record.id !== 'string' ||
      typeof record.container !== 'string' ||
      typeof record.size !== 'number'
    )
      throw new InvalidInput("Can't parse backup record.")
    const now = new Date().toISOString()
    const row: BackupRow = {
      id: record.id,
      project_id: caller.projectId,
      user_id: caller.userId,
      volume_id: record.volume_id ?? '00000000-0000-0000-0000-000000000000',
      snapshot_id: record.snapshot_id ?? null,
      parent_id: null,
      status: 'creating',
      display_name: record.display_name ?? null,
      display_description: record.display_description ?? null,
      container: record.container,
      availability_zone: this.zone,
      size: record.size,
      object_count: record.object_count ?? 0,
      is_incremental: record.is_incremental ?? 0,
      num_dependent_backups: 0,
      fail_reason: null,
      restore_volume_id: null,
      metadata: record.metadata ?? '{}',
      service_metadata: record.service_metadata ?? record.id,
      volume_meta: record.volume_meta ?? '{}',
      data_timestamp: record.data_timestamp ?? now,
      created_at: now,
      updated_at: null,
    }
    if (!(await this.repo.insert(row))) throw new InvalidBackup('Backup already exists in database.')
    // The data must be there: the manifest is read before the record is usable.
    void this.tasks.spawn(`import backup ${row.id}`, async () => {
      const ok = await this.driver.manifest(row.container, dataId(row)).then(
        () => true,
        () => false,
      )
      await this.repo.update(
        row.id,
        ok ? { status: 'available' } : { status: 'error', fail_reason: 'the backup data was not found' },
        ['creating'],
      )
    })
    return (await this.repo.get(row.id))!
  }

  /**
   * What a stop interrupted, put back (upstream's backup manager at start-up): a backup
   * left creating goes to error (its folder removed) and its volume back to the status
   * it had; restoring goes back to available (the target error_restoring); deleting
   * finishes. A volume still backing-up or restoring-backup that no such backup names
   * is put back too, and backup folders no row owns (a create that never got its row,
   * a delete cut short) and unfinished `.part` files are removed.
   */
  async recover(): Promise<{ backups: number; removed: string[] }> {
    const rows = await this.repo.unfinished()
    for (const b of rows) {
      if (b.status === 'creating') {
        if (!b.service_metadata) await this.driver.delete(b.container, b.id).catch(() => undefined)
        await this.repo.update(b.id, { status: 'error', fail_reason: 'interrupted by a restart' })
        await this.putBack(b.volume_id, 'backing-up')
      } else if (b.status === 'restoring') {
        if (b.restore_volume_id)
          await this.volumeRepo.update(b.restore_volume_id, { status: 'error_restoring' }, [
            'restoring-backup',
          ])
        await this.repo.update(b.id, { status: 'available', restore_volume_id: null })
      } else {
        await this.driver.delete(b.container, b.id).catch(() => undefined)
        await this.repo.remove(b)
      }
    }
    for (const v of await this.volumeRepo.inTransientStates(['backing-up']))
      await this.putBack(v.id, 'backing-up')
    for (const v of await this.volumeRepo.inTransientStates(['restoring-backup']))
      await this.volumeRepo.update(v.id, { status: 'error_restoring' }, ['restoring-backup'])
    const owned = new Set(
      (await this.repo.list({})).map((b) => `${BackupDriver.containerDir(b.container)}/${dataId(b)}`),
    )
    const removed = await this.driver.sweep(owned)
    return { backups: rows.length, removed }
  }

  /** The volume back to the status it had before `from` (kept as previous_status). */
  private async putBack(volumeId: string, from: string): Promise<void> {
    const v = await this.volumeRepo.getRow(volumeId)
    if (!v || v.status !== from) return
    const to = v.previous_status && v.previous_status !== from ? v.previous_status : 'available'
    await this.volumeRepo.update(volumeId, { status: to }, [from])
  }

  private async waitCreated(id: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const v = await this.volumeRepo.getRow(id)
      if (v?.status === 'available') return
      if (!v || v.status === 'error')
        throw new InvalidVolume(`Volume ${id} could not be created for the restore.`)
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new InvalidVolume(`Volume ${id} was not created in time for the restore.`)
  }
}

/** The folder holding a backup's data: its own id, or the exported backup's. */
function dataId(b: BackupRow): string {
  return b.service_metadata ?? b.id
}
