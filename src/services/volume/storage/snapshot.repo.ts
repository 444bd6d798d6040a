/** Snapshots and their metadata: the only SQL on them. Creates count quota under the project's lock. */
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { countUsage, ensureLockRow, lockProject, type Usage } from './quota-lock.js'
import type { SnapshotsTable, VolumeDatabase } from './schema.js'

export type SnapshotRow = Selectable<SnapshotsTable>
export interface SnapshotRecord extends SnapshotRow {
  metadata: Record<string, string>
}

export interface SnapshotFilter {
  projectId?: string
  volumeId?: string
  name?: string
  status?: string
  metadata?: Record<string, string>
  groupSnapshotId?: string
}

export class SnapshotRepo {
  constructor(
    private readonly db: Kysely<VolumeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts a snapshot when the volume is in one of `volumeStates` (checked inside the
   * transaction) and `check` accepts the usage; returns false when the volume's state did not allow it.
   */
  async create(
    row: SnapshotRow,
    metadata: Record<string, string>,
    volumeStates: readonly string[],
    check: (usage: Usage) => void,
  ): Promise<boolean> {
    await ensureLockRow(this.db, this.dialect, row.project_id)
    return this.db.transaction().execute(async (trx) => {
      await lockProject(trx, this.dialect, row.project_id)
      const vol = await trx
        .selectFrom('volumes')
        .select('status')
        .where('id', '=', row.volume_id)
        .executeTakeFirst()
      if (!vol || !volumeStates.includes(vol.status)) return false
      check(await countUsage(trx, row.project_id))
      await trx.insertInto('snapshots').values(row).execute()
      const meta = Object.entries(metadata).map(([key, value]) => ({ snapshot_id: row.id, key, value }))
      if (meta.length) await trx.insertInto('snapshot_metadata').values(meta).execute()
      return true
    })
  }

  async get(id: string): Promise<SnapshotRecord | undefined> {
    const row = await this.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? (await this.decorate([row]))[0] : undefined
  }

  async list(
    f: SnapshotFilter,
    sort: readonly { key: keyof SnapshotRow; dir: 'asc' | 'desc' }[],
    page: { limit?: number; offset?: number; marker?: SnapshotRow },
  ): Promise<SnapshotRecord[]> {
    let q = this.db.selectFrom('snapshots').selectAll()
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId)
    if (f.volumeId !== undefined) q = q.where('volume_id', '=', f.volumeId)
    if (f.name !== undefined) q = q.where('display_name', '=', f.name)
    if (f.status !== undefined) q = q.where('status', '=', f.status)
    if (f.groupSnapshotId !== undefined) q = q.where('group_snapshot_id', '=', f.groupSnapshotId)
    for (const [key, value] of Object.entries(f.metadata ?? {}))
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('snapshot_metadata')
            .select('snapshot_metadata.snapshot_id')
            .whereRef('snapshot_metadata.snapshot_id', '=', 'snapshots.id')
            .where('snapshot_metadata.key', '=', key)
            .where('snapshot_metadata.value', '=', value),
        ),
      )
    const m = page.marker
    if (m)
      q = q.where((eb) =>
        eb.or(
          sort.map((s, i) => {
            const ands = sort.slice(0, i).map((p) => eb(p.key, '=', m[p.key]))
            ands.push(eb(s.key, s.dir === 'asc' ? '>' : '<', m[s.key]))
            return eb.and(ands)
          }),
        ),
      )
    for (const s of sort) q = q.orderBy(s.key, s.dir)
    if (page.limit !== undefined) q = q.limit(page.limit)
    if (page.offset) q = (page.limit === undefined ? q.limit(2 ** 31 - 1) : q).offset(page.offset)
    return this.decorate(await q.execute())
  }

  private async decorate(rows: SnapshotRow[]): Promise<SnapshotRecord[]> {
    if (!rows.length) return []
    const meta = await this.db
      .selectFrom('snapshot_metadata')
      .selectAll()
      .where(
        'snapshot_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    return rows.map((r) => ({
      ...r,
      metadata: Object.fromEntries(meta.filter((m) => m.snapshot_id === r.id).map((m) => [m.key, m.value])),
    }))
  }

  async update(id: string, set: Partial<SnapshotRow>, from?: readonly string[]): Promise<boolean> {
    let q = this.db
      .updateTable('snapshots')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
    if (from) q = q.where('status', 'in', [...from])
    const r = await q.executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('snapshot_metadata').where('snapshot_id', '=', id).execute()
      await trx.deleteFrom('snapshots').where('id', '=', id).execute()
    })
  }

  async ofVolume(volumeId: string): Promise<SnapshotRow[]> {
    return this.db
      .selectFrom('snapshots')
      .selectAll()
      .where('volume_id', '=', volumeId)
      .orderBy('created_at')
      .execute()
  }

  async setMeta(id: string, values: Record<string, string>, replace: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (replace) await trx.deleteFrom('snapshot_metadata').where('snapshot_id', '=', id).execute()
      else if (Object.keys(values).length)
        await trx
          .deleteFrom('snapshot_metadata')
          .where('snapshot_id', '=', id)
          .where('key', 'in', Object.keys(values))
          .execute()
      const rows = Object.entries(values).map(([key, value]) => ({ snapshot_id: id, key, value }))
      if (rows.length) await trx.insertInto('snapshot_metadata').values(rows).execute()
    })
  }

  async deleteMeta(id: string, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('snapshot_metadata')
      .where('snapshot_id', '=', id)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  async inStates(states: readonly string[]): Promise<SnapshotRow[]> {
    return this.db
      .selectFrom('snapshots')
      .selectAll()
      .where('status', 'in', [...states])
      .execute()
  }
}
