/**
 * Volume transfers: the only SQL on `volume_transfers`. Accepting moves the volume (and
 * its snapshots unless the transfer says not to) to the new project in one transaction
 * under the destination project's quota lock, so a transfer is accepted once and never
 * passes the receiver's quota.
 */
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { countUsage, ensureLockRow, lockProject, type Usage } from './quota-lock.js'
import type { TransfersTable, VolumeDatabase } from './schema.js'

export type TransferRow = Selectable<TransfersTable>

export class TransferRepo {
  constructor(
    private readonly db: Kysely<VolumeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /** Records the transfer when the volume is available; the volume awaits it. */
  async create(row: TransferRow): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('volumes')
        .set({ status: 'awaiting-transfer', updated_at: row.created_at })
        .where('id', '=', row.volume_id)
        .where('status', '=', 'available')
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) return false
      await trx.insertInto('volume_transfers').values(row).execute()
      return true
    })
  }

  async get(id: string): Promise<TransferRow | undefined> {
    return this.db
      .selectFrom('volume_transfers')
      .selectAll()
      .where('id', '=', id)
      .where('accepted', '=', 0)
      .executeTakeFirst()
  }

  async list(projectId: string | undefined): Promise<TransferRow[]> {
    let q = this.db.selectFrom('volume_transfers').selectAll().where('accepted', '=', 0)
    if (projectId !== undefined) q = q.where('source_project_id', '=', projectId)
    return q.orderBy('created_at').orderBy('id').execute()
  }

  /** Removes the transfer; the volume is available again. */
  async delete(t: TransferRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('volume_transfers').where('id', '=', t.id).execute()
      await trx
        .updateTable('volumes')
        .set({ status: 'available', updated_at: new Date().toISOString() })
        .where('id', '=', t.volume_id)
        .where('status', '=', 'awaiting-transfer')
        .execute()
    })
  }

  /**
   * Moves the volume to the receiving project when `check` accepts the receiver's usage;
   * false when the transfer was accepted (or deleted) meanwhile.
   */
  async accept(
    t: TransferRow,
    to: { projectId: string; userId: string },
    check: (usage: Usage) => void,
  ): Promise<boolean> {
    await ensureLockRow(this.db, this.dialect, to.projectId)
    return this.db.transaction().execute(async (trx) => {
      await lockProject(trx, this.dialect, to.projectId)
      check(await countUsage(trx, to.projectId))
      const now = new Date().toISOString()
      const r = await trx
        .updateTable('volume_transfers')
        .set({ accepted: 1, destination_project_id: to.projectId, updated_at: now })
        .where('id', '=', t.id)
        .where('accepted', '=', 0)
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) return false
      await trx
        .updateTable('volumes')
        .set({ project_id: to.projectId, user_id: to.userId, status: 'available', updated_at: now })
        .where('id', '=', t.volume_id)
        .execute()
      if (!t.no_snapshots)
        await trx
          .updateTable('snapshots')
          .set({ project_id: to.projectId, user_id: to.userId, updated_at: now })
          .where('volume_id', '=', t.volume_id)
          .execute()
      return true
    })
  }
}
