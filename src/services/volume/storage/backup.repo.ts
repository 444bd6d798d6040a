/**
 * Backups: the only SQL on `backups`. A create counts the backups quota and moves the
 * volume to `backing-up` in one transaction under the project's lock; a delete checks
 * for dependent incrementals in the one that marks it deleting.
 */
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { countUsage, ensureLockRow, lockProject, type Usage } from './quota-lock.js'
import type { BackupsTable, VolumeDatabase } from './schema.js'

export type BackupRow = Selectable<BackupsTable>

export interface BackupFilter {
  projectId?: string
  volumeId?: string
  name?: string
  status?: string
}

export class BackupRepo {
  constructor(
    private readonly db: Kysely<VolumeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts the backup when the volume is in one of `states` (it goes to `backing-up`,
   * keeping its status as previous_status) and `check` accepts the usage; false when
   * the volume's state did not allow it.
   */
  async create(row: BackupRow, states: readonly string[], check: (usage: Usage) => void): Promise<boolean> {
    await ensureLockRow(this.db, this.dialect, row.project_id)
    return this.db.transaction().execute(async (trx) => {
      await lockProject(trx, this.dialect, row.project_id)
      const vol = await trx
        .selectFrom('volumes')
        .select('status')
        .where('id', '=', row.volume_id)
        .executeTakeFirst()
      if (!vol || !states.includes(vol.status)) return false
      check(await countUsage(trx, row.project_id))
      await trx
        .updateTable('volumes')
        .set({ status: 'backing-up', previous_status: vol.status, updated_at: new Date().toISOString() })
        .where('id', '=', row.volume_id)
        .where('status', '=', vol.status)
        .execute()
      await trx.insertInto('backups').values(row).execute()
      if (row.parent_id)
        await trx
          .updateTable('backups')
          .set((eb) => ({ num_dependent_backups: eb('num_dependent_backups', '+', 1) }))
          .where('id', '=', row.parent_id)
          .execute()
      return true
    })
  }

  async get(id: string): Promise<BackupRow | undefined> {
    return this.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** The newest available backup of a volume in a project: the parent of an incremental. */
  async latestAvailable(volumeId: string, projectId: string): Promise<BackupRow | undefined> {
    return this.db
      .selectFrom('backups')
      .selectAll()
      .where('volume_id', '=', volumeId)
      .where('project_id', '=', projectId)
      .where('status', '=', 'available')
      .orderBy('data_timestamp', 'desc')
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
  }

  async list(f: BackupFilter): Promise<BackupRow[]> {
    let q = this.db.selectFrom('backups').selectAll()
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId)
    if (f.volumeId !== undefined) q = q.where('volume_id', '=', f.volumeId)
    if (f.name !== undefined) q = q.where('display_name', '=', f.name)
    if (f.status !== undefined) q = q.where('status', '=', f.status)
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  }

  /** Compare-and-swap on the status (any status when `from` is absent). */
  async update(id: string, values: Partial<BackupRow>, from?: readonly string[]): Promise<boolean> {
    let q = this.db
      .updateTable('backups')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('id', '=', id)
    if (from) q = q.where('status', 'in', [...from])
    const r = await q.executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /** Marks it deleting when it is in `from` and no incremental depends on it. */
  async startDelete(id: string, from: readonly string[]): Promise<'ok' | 'state' | 'dependents'> {
    return this.db.transaction().execute(async (trx) => {
      const b = await trx.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst()
      if (!b || !from.includes(b.status)) return 'state'
      const children = await trx
        .selectFrom('backups')
        .select('id')
        .where('parent_id', '=', id)
        .executeTakeFirst()
      if (children) return 'dependents'
      await trx
        .updateTable('backups')
        .set({ status: 'deleting', updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute()
      return 'ok'
    })
  }

  async remove(b: BackupRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backups').where('id', '=', b.id).execute()
      if (b.parent_id)
        await trx
          .updateTable('backups')
          .set((eb) => ({ num_dependent_backups: eb('num_dependent_backups', '-', 1) }))
          .where('id', '=', b.parent_id)
          .execute()
    })
  }

  /** Inserts an imported record (no quota, no volume: the data exists already). */
  async insert(row: BackupRow): Promise<boolean> {
    if (await this.get(row.id)) return false
    await this.db.insertInto('backups').values(row).execute()
    return true
  }

  /** Whether another backup row shares the data folder `dataId`. */
  async sharesData(id: string, dataId: string): Promise<boolean> {
    const other = await this.db
      .selectFrom('backups')
      .select('id')
      .where('id', '!=', id)
      .where((eb) => eb.or([eb('id', '=', dataId), eb('service_metadata', '=', dataId)]))
      .executeTakeFirst()
    return other !== undefined
  }

  /** Backups a stop interrupted: creating/restoring/deleting, for recovery. */
  async unfinished(): Promise<BackupRow[]> {
    return this.db
      .selectFrom('backups')
      .selectAll()
      .where('status', 'in', ['creating', 'restoring', 'deleting'])
      .execute()
  }
}
