/**
 * Snapshots: a point-in-time copy of a volume's file, taken in the background
 * (`creating` → `available`). A snapshot of an in-use volume needs `force` before 3.66.
 * Deleting one removes its file then its row.
 */
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { InvalidSnapshot, InvalidVolume, SnapshotMetadataNotFound, SnapshotNotFound } from '../errors.js'
import type { FileBackends } from '../files/backends.js'
import type { SnapshotFilter, SnapshotRecord, SnapshotRepo, SnapshotRow } from '../storage/snapshot.repo.js'
import type { Caller } from './caller.js'
import { sees } from './caller.js'
import type { Spawner } from './in-flight.js'
import type { Quotas } from './quotas.js'
import type { Volumes } from './volumes.js'

const DELETABLE = ['available', 'error', 'error_deleting', 'backing-up']

export class Snapshots {
  constructor(
    readonly repo: SnapshotRepo,
    private readonly volumes: Volumes,
    private readonly quotas: Quotas,
    private readonly driver: FileBackends,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  async get(caller: Caller, id: string): Promise<SnapshotRecord> {
    const s = await this.repo.get(id)
    if (!s || !sees(caller, s.project_id)) throw new SnapshotNotFound(id)
    return s
  }

  async list(
    filter: SnapshotFilter,
    sort: readonly { key: keyof SnapshotRow; dir: 'asc' | 'desc' }[],
    page: { limit?: number; offset?: number; marker?: string },
    caller: Caller,
  ): Promise<SnapshotRecord[]> {
    let marker: SnapshotRow | undefined
    if (page.marker !== undefined) {
      marker = await this.repo.get(page.marker)
      if (!marker || !sees(caller, marker.project_id)) throw new SnapshotNotFound(page.marker)
    }
    return this.repo.list(filter, sort, { ...page, marker })
  }

  async create(
    caller: Caller,
    input: {
      volumeId: string
      name?: string | null
      description?: string | null
      force: boolean
      metadata?: Record<string, string>
      /** The group snapshot (3.14) this snapshot is part of. */
      groupSnapshotId?: string
    },
    inUseAllowed: boolean,
  ): Promise<SnapshotRecord> {
    const vol = await this.volumes.get(caller, input.volumeId)
    const states = inUseAllowed || input.force ? ['available', 'in-use'] : ['available']
    if (!states.includes(vol.status)) {
      if (vol.status === 'in-use')
        throw new InvalidVolume(`Volume ${vol.id} status must be available, but current status is: in-use.`)
      throw new InvalidVolume(
        `Volume ${vol.id} status must be available or in-use, but current status is: ${vol.status}.`,
      )
    }
    const id = randomUUID()
    const row: SnapshotRow = {
      id,
      volume_id: vol.id,
      project_id: vol.project_id,
      user_id: caller.userId,
      display_name: input.name ?? null,
      display_description: input.description ?? null,
      status: 'creating',
      progress: '0%',
      volume_size: vol.size,
      volume_type_id: vol.volume_type_id,
      use_quota: 1,
      created_at: new Date().toISOString(),
      updated_at: null,
      group_snapshot_id: input.groupSnapshotId ?? null,
    }
    const check = await this.quotas.checker(vol.project_id)
    const ok = await this.repo.create(row, input.metadata ?? {}, states, (usage) =>
      check(usage, { typeId: vol.volume_type_id, snapshots: 1, gigabytes: vol.size }),
    )
    if (!ok) throw new InvalidVolume(`Volume ${vol.id} status changed while the snapshot was being taken.`)
    void this.tasks.spawn(`snapshot ${id}`, async () => {
      try {
        await this.driver.snapshot(vol.id, id)
        await this.repo.update(id, { status: 'available', progress: '100%' }, ['creating'])
      } catch (err) {
        this.logger.error({ err, snapshot: id }, 'snapshot create failed')
        await this.driver.deleteSnapshot(id).catch(() => undefined)
        await this.repo.update(id, { status: 'error' }, ['creating'])
      }
    })
    return (await this.repo.get(id))!
  }

  async update(caller: Caller, id: string, input: { name?: string | null; description?: string | null }) {
    await this.get(caller, id)
    const set: Partial<SnapshotRow> = {}
    if (input.name !== undefined) set.display_name = input.name
    if (input.description !== undefined) set.display_description = input.description
    await this.repo.update(id, set)
    return (await this.repo.get(id))!
  }

  async delete(caller: Caller, id: string, force = false): Promise<void> {
    const s = await this.get(caller, id)
    if (!force && !DELETABLE.includes(s.status))
      throw new InvalidSnapshot(
        'Volume Snapshot status must be available or error or error_deleting or backing-up.',
      )
    if (!(await this.repo.update(id, { status: 'deleting' }, force ? undefined : DELETABLE)))
      throw new InvalidSnapshot('Snapshot status changed while it was being deleted.')
    void this.tasks.spawn(`delete snapshot ${id}`, async () => {
      try {
        await this.driver.deleteSnapshot(id)
        await this.repo.delete(id)
      } catch (err) {
        this.logger.error({ err, snapshot: id }, 'snapshot delete failed')
        await this.repo.update(id, { status: 'error_deleting' })
      }
    })
  }

  async resetStatus(caller: Caller, id: string, status: string): Promise<void> {
    await this.get(caller, id)
    await this.repo.update(id, { status })
  }

  async metadata(caller: Caller, id: string) {
    return (await this.get(caller, id)).metadata
  }

  async setMetadata(caller: Caller, id: string, values: Record<string, string>, replace: boolean) {
    await this.get(caller, id)
    await this.repo.setMeta(id, values, replace)
    return (await this.get(caller, id)).metadata
  }

  async metadataItem(caller: Caller, id: string, key: string): Promise<string> {
    const v = (await this.get(caller, id)).metadata[key]
    if (v === undefined) throw new SnapshotMetadataNotFound(id, key)
    return v
  }

  async deleteMetadataItem(caller: Caller, id: string, key: string): Promise<void> {
    await this.get(caller, id)
    if (!(await this.repo.deleteMeta(id, key))) throw new SnapshotMetadataNotFound(id, key)
  }
}
