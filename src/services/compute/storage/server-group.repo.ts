/** Server groups and their members: the only SQL on `instance_groups*`. */
import type { Kysely } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { insertId } from './insert-id.js'
import type { ComputeDatabase, InstanceGroupsTable } from './schema.js'

export type ServerGroupRow = Omit<InstanceGroupsTable, 'id'> & { id: number; members: string[] }
export type NewServerGroupRow = Omit<ServerGroupRow, 'id' | 'updated_at' | 'members'>

export class ServerGroupRepo {
  constructor(
    private readonly db: Kysely<ComputeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /** One project's groups, or every group when `projectId` is undefined; oldest first. */
  async list(projectId?: string): Promise<ServerGroupRow[]> {
    let q = this.db.selectFrom('instance_groups').selectAll()
    if (projectId !== undefined) q = q.where('project_id', '=', projectId)
    const rows = await q.orderBy('id').execute()
    const members = await this.membersOf(rows.map((r) => r.id))
    return rows.map((r) => ({ ...r, members: members.get(r.id) ?? [] }))
  }

  async get(uuid: string): Promise<ServerGroupRow | undefined> {
    const row = await this.db
      .selectFrom('instance_groups')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst()
    if (!row) return undefined
    const members = await this.membersOf([row.id])
    return { ...row, members: members.get(row.id) ?? [] }
  }

  async create(row: NewServerGroupRow): Promise<ServerGroupRow> {
    const id = await insertId(
      this.dialect,
      this.db.insertInto('instance_groups').values({ ...row, updated_at: null }),
    )
    return { ...row, id, updated_at: null, members: [] }
  }

  async delete(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('instance_group_members').where('group_id', '=', id).execute()
      const r = await tx.deleteFrom('instance_groups').where('id', '=', id).executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    })
  }

  async countByProject(projectId: string): Promise<number> {
    const r = await this.db
      .selectFrom('instance_groups')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /** Adds servers to a group (the servers API calls it at boot). */
  async addMembers(id: number, instanceUuids: readonly string[], now: string): Promise<void> {
    if (instanceUuids.length === 0) return
    await this.db
      .insertInto('instance_group_members')
      .values(instanceUuids.map((instance_uuid) => ({ group_id: id, instance_uuid, created_at: now })))
      .execute()
  }

  async removeMember(instanceUuid: string): Promise<void> {
    await this.db.deleteFrom('instance_group_members').where('instance_uuid', '=', instanceUuid).execute()
  }

  /** Each group's members that are not deleted (upstream shows only those). */
  private async membersOf(ids: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>()
    if (ids.length === 0) return out
    const rows = await this.db
      .selectFrom('instance_group_members')
      .select(['group_id', 'instance_uuid'])
      .where('group_id', 'in', [...ids])
      .where('instance_uuid', 'in', (eb) =>
        eb.selectFrom('instances').select('uuid').where('deleted', '=', 0),
      )
      .orderBy('created_at')
      .orderBy('instance_uuid')
      .execute()
    for (const r of rows) out.set(r.group_id, [...(out.get(r.group_id) ?? []), r.instance_uuid])
    return out
  }
}
