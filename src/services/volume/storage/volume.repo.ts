/**
 * Volumes and what hangs off them (metadata, admin metadata, image metadata,
 * attachments): the only SQL on those tables. Creates run under the project's quota
 * lock with the usage counted inside the same transaction; state changes are
 * compare-and-swap updates on `status`, so two requests racing for one volume cannot
 * both win.
 */
import type { Kysely, Selectable, SelectQueryBuilder, Transaction } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import { countUsage, ensureLockRow, lockProject, type Usage } from './quota-lock.js'
import type { VolumeAttachmentTable, VolumeDatabase, VolumesTable } from './schema.js'

export type VolumeRow = Selectable<VolumesTable>
export type AttachmentRow = Selectable<VolumeAttachmentTable>

export interface VolumeRecord extends VolumeRow {
  metadata: Record<string, string>
  adminMetadata: Record<string, string>
  imageMetadata: Record<string, string>
  attachments: AttachmentRow[]
}

export interface VolumeFilter {
  projectId?: string
  name?: string
  nameLike?: string
  status?: string
  bootable?: boolean
  availabilityZone?: string
  size?: number
  metadata?: Record<string, string>
  ids?: readonly string[]
  /** Members of a generic volume group (3.10). */
  groupId?: string
}

export interface SortKey {
  key: keyof VolumeRow
  dir: 'asc' | 'desc'
}

type Db = Kysely<VolumeDatabase> | Transaction<VolumeDatabase>
type MetaTable = 'volume_metadata' | 'volume_admin_metadata' | 'volume_glance_metadata'

export class VolumeRepo {
  constructor(
    private readonly db: Kysely<VolumeDatabase>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts a volume with its metadata under the project's lock; `check` sees the usage
   * first and throws to refuse.
   */
  async create(
    row: VolumeRow,
    meta: {
      metadata: Record<string, string>
      admin?: Record<string, string>
      image?: Record<string, string>
    },
    check: (usage: Usage) => void,
  ): Promise<void> {
    await ensureLockRow(this.db, this.dialect, row.project_id)
    await this.db.transaction().execute(async (trx) => {
      await lockProject(trx, this.dialect, row.project_id)
      check(await countUsage(trx, row.project_id))
      await trx.insertInto('volumes').values(row).execute()
      await this.putMeta(trx, 'volume_metadata', row.id, meta.metadata)
      if (meta.admin) await this.putMeta(trx, 'volume_admin_metadata', row.id, meta.admin)
      if (meta.image) await this.putMeta(trx, 'volume_glance_metadata', row.id, meta.image)
    })
  }

  async usage(projectId: string): Promise<Usage> {
    return countUsage(this.db, projectId)
  }

  /** Runs `fn` under the project's quota lock (extend, retype). */
  async underQuotaLock<T>(
    projectId: string,
    fn: (trx: Transaction<VolumeDatabase>, usage: Usage) => Promise<T>,
  ): Promise<T> {
    await ensureLockRow(this.db, this.dialect, projectId)
    return this.db.transaction().execute(async (trx) => {
      await lockProject(trx, this.dialect, projectId)
      return fn(trx, await countUsage(trx, projectId))
    })
  }

  async get(id: string): Promise<VolumeRecord | undefined> {
    const row = await this.db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return undefined
    return (await this.decorate([row]))[0]
  }

  async getRow(id: string, db: Db = this.db): Promise<VolumeRow | undefined> {
    return db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst()
  }

  async list(
    filter: VolumeFilter,
    sort: readonly SortKey[],
    page: { limit?: number; offset?: number; marker?: VolumeRow },
  ): Promise<VolumeRecord[]> {
    let q = this.db.selectFrom('volumes').selectAll()
    q = this.where(q, filter)
    if (page.marker) q = afterMarker(q, sort, page.marker)
    for (const s of sort) q = q.orderBy(s.key, s.dir)
    if (page.limit !== undefined) q = q.limit(page.limit)
    if (page.offset) q = (page.limit === undefined ? q.limit(2 ** 31 - 1) : q).offset(page.offset)
    return this.decorate(await q.execute())
  }

  /** GiB of volumes per host (`host@backend#pool`). */
  async sizeByHost(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('volumes')
      .select(['host', (eb) => eb.fn.sum<number | string>('size').as('gb')])
      .groupBy('host')
      .execute()
    return new Map(rows.flatMap((r) => (r.host ? [[r.host, Number(r.gb ?? 0)] as const] : [])))
  }

  async count(filter: VolumeFilter): Promise<{ count: number; size: number }> {
    let q = this.db
      .selectFrom('volumes')
      .select([
        (eb) => eb.fn.countAll<number | string>().as('n'),
        (eb) => eb.fn.sum<number | string>('size').as('gb'),
      ])
    q = this.where(q, filter)
    const r = await q.executeTakeFirstOrThrow()
    return { count: Number(r.n), size: Number(r.gb ?? 0) }
  }

  async distinctMetadata(filter: VolumeFilter): Promise<Record<string, string[]>> {
    let q = this.db.selectFrom('volumes').select('id')
    q = this.where(q, filter)
    const ids = (await q.execute()).map((r) => r.id)
    if (!ids.length) return {}
    const rows = await this.db
      .selectFrom('volume_metadata')
      .select(['key', 'value'])
      .where('volume_id', 'in', ids)
      .execute()
    const out: Record<string, string[]> = {}
    for (const r of rows) {
      const list = out[r.key] ?? []
      if (!list.includes(r.value)) list.push(r.value)
      out[r.key] = list
    }
    return out
  }

  private where<O>(
    q: SelectQueryBuilder<VolumeDatabase, 'volumes', O>,
    f: VolumeFilter,
  ): SelectQueryBuilder<VolumeDatabase, 'volumes', O> {
    let out = q
    if (f.projectId !== undefined) out = out.where('project_id', '=', f.projectId)
    if (f.name !== undefined) out = out.where('display_name', '=', f.name)
    if (f.nameLike !== undefined) out = out.where('display_name', 'like', `%${f.nameLike}%`)
    if (f.status !== undefined) out = out.where('status', '=', f.status)
    if (f.bootable !== undefined) out = out.where('bootable', '=', f.bootable ? 1 : 0)
    if (f.availabilityZone !== undefined) out = out.where('availability_zone', '=', f.availabilityZone)
    if (f.size !== undefined) out = out.where('size', '=', f.size)
    if (f.ids !== undefined) out = out.where('id', 'in', f.ids.length ? [...f.ids] : [''])
    if (f.groupId !== undefined) out = out.where('group_id', '=', f.groupId)
    for (const [key, value] of Object.entries(f.metadata ?? {})) {
      out = out.where((eb) =>
        eb.exists(
          eb
            .selectFrom('volume_metadata')
            .select('volume_metadata.volume_id')
            .whereRef('volume_metadata.volume_id', '=', 'volumes.id')
            .where('volume_metadata.key', '=', key)
            .where('volume_metadata.value', '=', value),
        ),
      )
    }
    return out
  }

  private async decorate(rows: VolumeRow[]): Promise<VolumeRecord[]> {
    if (!rows.length) return []
    const ids = rows.map((r) => r.id)
    const load = async (table: MetaTable) => {
      const all = await this.db
        .selectFrom(table)
        .select(['volume_id', 'key', 'value'])
        .where('volume_id', 'in', ids)
        .execute()
      const by = new Map<string, Record<string, string>>()
      for (const m of all) {
        const o = by.get(m.volume_id) ?? {}
        o[m.key] = m.value
        by.set(m.volume_id, o)
      }
      return by
    }
    const [meta, admin, image] = [
      await load('volume_metadata'),
      await load('volume_admin_metadata'),
      await load('volume_glance_metadata'),
    ]
    const atts = await this.db
      .selectFrom('volume_attachment')
      .selectAll()
      .where('volume_id', 'in', ids)
      .orderBy('created_at')
      .execute()
    return rows.map((r) => ({
      ...r,
      metadata: meta.get(r.id) ?? {},
      adminMetadata: admin.get(r.id) ?? {},
      imageMetadata: image.get(r.id) ?? {},
      attachments: atts.filter((a) => a.volume_id === r.id),
    }))
  }

  /**
   * Sets fields when the volume's status is one of `from` (any status when omitted);
   * returns whether it did.
   */
  async update(
    id: string,
    set: Partial<VolumeRow>,
    from?: readonly string[],
    db: Db = this.db,
  ): Promise<boolean> {
    let q = db
      .updateTable('volumes')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
    if (from) q = q.where('status', 'in', [...from])
    const r = await q.executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /**
   * cinder-manage's update_host: volumes and groups on `from` (`host@backend`, any pool)
   * move to `to`, keeping their pool; how many volumes moved.
   */
  async moveHost(from: string, to: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('volumes')
        .select(['id', 'host'])
        .where((eb) => eb.or([eb('host', '=', from), eb('host', 'like', `${from}#%`)]))
        .execute()
      const now = new Date().toISOString()
      for (const r of rows)
        await trx
          .updateTable('volumes')
          .set({ host: `${to}${r.host!.slice(from.length)}`, updated_at: now })
          .where('id', '=', r.id)
          .execute()
      const groups = await trx
        .selectFrom('volume_groups')
        .select(['id', 'host'])
        .where((eb) => eb.or([eb('host', '=', from), eb('host', 'like', `${from}#%`)]))
        .execute()
      for (const g of groups)
        await trx
          .updateTable('volume_groups')
          .set({ host: `${to}${g.host!.slice(from.length)}`, updated_at: now })
          .where('id', '=', g.id)
          .execute()
      return rows.length
    })
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const t of [
        'volume_metadata',
        'volume_admin_metadata',
        'volume_glance_metadata',
        'volume_attachment',
      ] as const)
        await trx.deleteFrom(t).where('volume_id', '=', id).execute()
      await trx.deleteFrom('volumes').where('id', '=', id).execute()
    })
  }

  async setMeta(
    table: MetaTable,
    id: string,
    values: Record<string, string>,
    replace: boolean,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (replace) await trx.deleteFrom(table).where('volume_id', '=', id).execute()
      else if (Object.keys(values).length)
        await trx
          .deleteFrom(table)
          .where('volume_id', '=', id)
          .where('key', 'in', Object.keys(values))
          .execute()
      await this.putMeta(trx, table, id, values)
      await trx
        .updateTable('volumes')
        .set({ updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute()
    })
  }

  async deleteMeta(table: MetaTable, id: string, key: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom(table)
      .where('volume_id', '=', id)
      .where('key', '=', key)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  private async putMeta(db: Db, table: MetaTable, id: string, values: Record<string, string>): Promise<void> {
    const rows = Object.entries(values).map(([key, value]) => ({ volume_id: id, key, value }))
    if (rows.length) await db.insertInto(table).values(rows).execute()
  }

  /** Volumes of a type (a type in use cannot be deleted). */
  async countByType(typeId: string): Promise<number> {
    const r = await this.db
      .selectFrom('volumes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('volume_type_id', '=', typeId)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  /** Volumes left mid-operation by a crash (creating, deleting, extending...). */
  async inTransientStates(states: readonly string[]): Promise<VolumeRow[]> {
    return this.db
      .selectFrom('volumes')
      .selectAll()
      .where('status', 'in', [...states])
      .execute()
  }

  // --- attachments

  /**
   * Adds an attachment when `guard` accepts the volume and its live attachments, all in
   * one transaction under the volume's row (the status compare-and-swap in `after`).
   */
  async attach(
    volumeId: string,
    guard: (vol: VolumeRow, live: AttachmentRow[]) => Partial<VolumeRow> | undefined,
    row: AttachmentRow,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('volumes').selectAll().where('id', '=', volumeId)
      // NOTE: SQLite transactions begin immediate (one writer); the others lock the row.
      const vol = await (this.dialect === 'sqlite' ? q : q.forUpdate()).executeTakeFirst()
      if (!vol) return false
      const live = await trx
        .selectFrom('volume_attachment')
        .selectAll()
        .where('volume_id', '=', volumeId)
        .where('attach_status', '!=', 'detached')
        .execute()
      const set = guard(vol, live)
      if (!set) return false
      const r = await trx
        .updateTable('volumes')
        .set({ ...set, updated_at: row.created_at })
        .where('id', '=', volumeId)
        .where('status', '=', vol.status)
        .executeTakeFirst()
      if (Number(r.numUpdatedRows) === 0) return false
      await trx.insertInto('volume_attachment').values(row).execute()
      return true
    })
  }

  async attachment(id: string): Promise<AttachmentRow | undefined> {
    return this.db.selectFrom('volume_attachment').selectAll().where('id', '=', id).executeTakeFirst()
  }

  async attachments(filter: {
    volumeId?: string
    projectId?: string
    instanceId?: string
  }): Promise<AttachmentRow[]> {
    let q = this.db.selectFrom('volume_attachment').selectAll('volume_attachment')
    if (filter.volumeId) q = q.where('volume_attachment.volume_id', '=', filter.volumeId)
    if (filter.instanceId) q = q.where('volume_attachment.instance_uuid', '=', filter.instanceId)
    if (filter.projectId)
      q = q
        .innerJoin('volumes', 'volumes.id', 'volume_attachment.volume_id')
        .where('volumes.project_id', '=', filter.projectId)
    return q
      .where('volume_attachment.attach_status', '!=', 'detached')
      .orderBy('volume_attachment.created_at')
      .execute()
  }

  async updateAttachment(id: string, set: Partial<AttachmentRow>): Promise<void> {
    await this.db
      .updateTable('volume_attachment')
      .set({ ...set, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute()
  }

  /**
   * Removes an attachment and sets the volume's status from what remains, in one
   * transaction: `after(remaining)` gives the volume's new fields.
   */
  async detach(
    attachmentId: string,
    after: (remaining: AttachmentRow[]) => Partial<VolumeRow>,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const att = await trx
        .selectFrom('volume_attachment')
        .selectAll()
        .where('id', '=', attachmentId)
        .executeTakeFirst()
      if (!att) return
      await trx.deleteFrom('volume_attachment').where('id', '=', attachmentId).execute()
      const remaining = await trx
        .selectFrom('volume_attachment')
        .selectAll()
        .where('volume_id', '=', att.volume_id)
        .where('attach_status', '!=', 'detached')
        .execute()
      await trx
        .updateTable('volumes')
        .set({ ...after(remaining), updated_at: new Date().toISOString() })
        .where('id', '=', att.volume_id)
        .execute()
    })
  }
}

/** Rows after the marker in the order of `sort` (keyset paging). */
function afterMarker<O>(
  q: SelectQueryBuilder<VolumeDatabase, 'volumes', O>,
  sort: readonly SortKey[],
  marker: VolumeRow,
): SelectQueryBuilder<VolumeDatabase, 'volumes', O> {
  return q.where((eb) =>
    eb.or(
      sort.map((s, i) => {
        const ands = sort.slice(0, i).map((p) => eb(p.key, '=', marker[p.key]))
        ands.push(eb(s.key, s.dir === 'asc' ? '>' : '<', marker[s.key]))
        return eb.and(ands)
      }),
    ),
  )
}
