/**
 * Generic volume groups (3.13), their group types and specs (3.11) and group snapshots
 * (3.14): the only SQL on those tables. Membership lives on `volumes.group_id` and
 * `snapshots.group_snapshot_id`; adding a volume is a compare-and-swap on its group.
 */
import type { Kysely, Selectable } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { countUsage, ensureLockRow, lockProject, type Usage } from './quota-lock.js'
import type { GroupSnapshotsTable, GroupsTable, GroupTypesTable, VolumeDatabase } from './schema.js'

export type GroupTypeRow = Selectable<GroupTypesTable>
export interface GroupTypeRecord extends GroupTypeRow {
  group_specs: Record<string, string>
}
export type GroupRow = Selectable<GroupsTable>
export interface GroupRecord extends GroupRow {
  volume_type_ids: string[]
}
export type GroupSnapshotRow = Selectable<GroupSnapshotsTable>

export class GroupRepo {
  constructor(
    private readonly db: Kysely<VolumeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  // --- group types

  async createType(row: GroupTypeRow, specs: Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('group_types').values(row).execute()
      const rows = Object.entries(specs).map(([key, value]) => ({ group_type_id: row.id, key, value }))
      if (rows.length) await trx.insertInto('group_type_specs').values(rows).execute()
    })
  }

  async getType(id: string): Promise<GroupTypeRecord | undefined> {
    const row = await this.db.selectFrom('group_types').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? (await this.withSpecs([row]))[0] : undefined
  }

  async typeByName(name: string): Promise<GroupTypeRecord | undefined> {
    const row = await this.db
      .selectFrom('group_types')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst()
    return row ? (await this.withSpecs([row]))[0] : undefined
  }

  async listTypes(
    isPublic: boolean | undefined,
    sort: readonly { key: keyof GroupTypeRow; dir: 'asc' | 'desc' }[],
  ) {
    let q = this.db.selectFrom('group_types').selectAll()
    if (isPublic !== undefined) q = q.where('is_public', '=', isPublic ? 1 : 0)
    for (const s of sort) q = q.orderBy(s.key, s.dir)
    return this.withSpecs(await q.execute())
  }

  async updateType(id: string, set: Partial<GroupTypeRow>): Promise<void> {
    await this.db
      .updateTable('group_types')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute()
  }

  async deleteType(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('group_type_specs').where('group_type_id', '=', id).execute()
      await trx.deleteFrom('group_types').where('id', '=', id).execute()
    })
  }

  async setSpecs(id: string, specs: Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [key, value] of Object.entries(specs)) {
        await trx
          .deleteFrom('group_type_specs')
          .where('group_type_id', '=', id)
          .where('key', '=', key)
          .execute()
        await trx.insertInto('group_type_specs').values({ group_type_id: id, key, value }).execute()
      }
    })
  }

  async deleteSpec(id: string, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('group_type_specs')
      .where('group_type_id', '=', id)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  private async withSpecs(rows: GroupTypeRow[]): Promise<GroupTypeRecord[]> {
    if (!rows.length) return []
    const specs = await this.db
      .selectFrom('group_type_specs')
      .selectAll()
      .where(
        'group_type_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    return rows.map((r) => ({
      ...r,
      group_specs: Object.fromEntries(
        specs.filter((s) => s.group_type_id === r.id).map((s) => [s.key, s.value]),
      ),
    }))
  }

  // --- groups

  async countGroupsOfType(typeId: string): Promise<number> {
    const r = await this.db
      .selectFrom('volume_groups')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('group_type_id', '=', typeId)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /**
   * Inserts a group and its volume types; under the project's quota lock, `check` sees
   * the usage counted there (the groups quota) and may throw to insert nothing.
   */
  async create(
    row: GroupRow,
    volumeTypeIds: readonly string[],
    check?: (usage: Usage) => void,
  ): Promise<void> {
    await ensureLockRow(this.db, this.dialect, row.project_id)
    await this.db.transaction().execute(async (trx) => {
      if (check) {
        await lockProject(trx, this.dialect, row.project_id)
        check(await countUsage(trx, row.project_id))
      }
      await trx.insertInto('volume_groups').values(row).execute()
      const types = volumeTypeIds.map((volume_type_id) => ({ group_id: row.id, volume_type_id }))
      if (types.length) await trx.insertInto('group_volume_types').values(types).execute()
    })
  }

  async get(id: string): Promise<GroupRecord | undefined> {
    const row = await this.db.selectFrom('volume_groups').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? (await this.withTypes([row]))[0] : undefined
  }

  async list(projectId: string | undefined): Promise<GroupRecord[]> {
    let q = this.db.selectFrom('volume_groups').selectAll()
    if (projectId !== undefined) q = q.where('project_id', '=', projectId)
    return this.withTypes(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute())
  }

  /** Sets fields when the status is one of `from` (any status when omitted). */
  async update(id: string, set: Partial<GroupRow>, from?: readonly string[]): Promise<boolean> {
    let q = this.db
      .updateTable('volume_groups')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
    if (from) q = q.where('status', 'in', [...from])
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('group_volume_types').where('group_id', '=', id).execute()
      await trx.updateTable('volumes').set({ group_id: null }).where('group_id', '=', id).execute()
      await trx.deleteFrom('volume_groups').where('id', '=', id).execute()
    })
  }

  /** Puts a volume in a group (or out of one, `to` null) when its group is still `from`. */
  async moveVolume(volumeId: string, from: string | null, to: string | null): Promise<boolean> {
    const q = this.db.updateTable('volumes').set({ group_id: to }).where('id', '=', volumeId)
    const r = await (from === null
      ? q.where('group_id', 'is', null)
      : q.where('group_id', '=', from)
    ).executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  private async withTypes(rows: GroupRow[]): Promise<GroupRecord[]> {
    if (!rows.length) return []
    const types = await this.db
      .selectFrom('group_volume_types')
      .selectAll()
      .where(
        'group_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    return rows.map((r) => ({
      ...r,
      volume_type_ids: types.filter((t) => t.group_id === r.id).map((t) => t.volume_type_id),
    }))
  }

  // --- group snapshots

  async createSnapshot(row: GroupSnapshotRow): Promise<void> {
    await this.db.insertInto('group_snapshots').values(row).execute()
  }

  async getSnapshot(id: string): Promise<GroupSnapshotRow | undefined> {
    return this.db.selectFrom('group_snapshots').selectAll().where('id', '=', id).executeTakeFirst()
  }

  async listSnapshots(f: { projectId?: string; groupId?: string }): Promise<GroupSnapshotRow[]> {
    let q = this.db.selectFrom('group_snapshots').selectAll()
    if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId)
    if (f.groupId !== undefined) q = q.where('group_id', '=', f.groupId)
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  }

  async updateSnapshot(
    id: string,
    set: Partial<GroupSnapshotRow>,
    from?: readonly string[],
  ): Promise<boolean> {
    let q = this.db
      .updateTable('group_snapshots')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
    if (from) q = q.where('status', 'in', [...from])
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0
  }

  async deleteSnapshot(id: string): Promise<void> {
    await this.db.deleteFrom('group_snapshots').where('id', '=', id).execute()
  }
}
