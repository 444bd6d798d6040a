/**
 * Images with their properties and tags, the image lists (filters, visibility, sort,
 * markers) and per-project usage. Members, tags one by one and import tasks have their
 * own repositories beside this one; storage/ is the only folder of the image service
 * that speaks SQL.
 *
 * NOTE: quota counters are updated with conditional UPDATEs (`... WHERE images + 1 <=
 * limit`) inside the same transaction as the change they count, so two concurrent
 * requests cannot both take the last slot, on any dialect.
 */
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
  sql,
  type Transaction,
} from 'kysely'
import { isUniqueViolation } from '../../../kernel/db/index.js'
import type { Image, ImageLocation, ImageStatus, MemberStatus, Visibility } from '../domain/image.js'
import type { ImageDatabase, ImagesTable } from './schema.js'

type DB = ImageDatabase
type Eb = ExpressionBuilder<DB, 'images'>

export type CoreColumns = Partial<
  Pick<
    ImagesTable,
    | 'name'
    | 'status'
    | 'visibility'
    | 'owner'
    | 'container_format'
    | 'disk_format'
    | 'min_disk'
    | 'min_ram'
    | 'checksum'
    | 'os_hash_algo'
    | 'os_hash_value'
    | 'size'
    | 'location'
    | 'locations'
    | 'upload_token'
  > & { protected: boolean; os_hidden: boolean }
>

export type SortKey =
  | 'name'
  | 'status'
  | 'container_format'
  | 'disk_format'
  | 'size'
  | 'id'
  | 'created_at'
  | 'updated_at'

export interface ListQuery {
  viewer: { admin: boolean; project: string | undefined }
  visibility?: Visibility | 'all'
  memberStatus: MemberStatus | 'all'
  /** Column equality filters, each an "in" list. */
  columns: {
    column: 'name' | 'status' | 'container_format' | 'disk_format' | 'id' | 'owner'
    values: string[]
  }[]
  properties: { name: string; values: string[] }[]
  tags: string[]
  size?: number
  sizeMin?: number
  sizeMax?: number
  times: { column: 'created_at' | 'updated_at'; op: '>' | '>=' | '<' | '<=' | '=' | '<>'; value: string }[]
  protected?: boolean
  osHidden: boolean
  sort: { key: SortKey; dir: 'asc' | 'desc' }[]
  marker?: Image
  limit: number
}

export type FinalizeOutcome = 'ok' | 'gone' | 'quota'

const num = (v: number | string | null): number | null => (v === null ? null : Number(v))

function toImage(row: ImagesTable, properties: Record<string, string>, tags: string[]): Image {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ImageStatus,
    visibility: row.visibility as Visibility,
    protected: Number(row.protected) === 1,
    os_hidden: Number(row.os_hidden) === 1,
    owner: row.owner,
    size: num(row.size),
    virtual_size: num(row.virtual_size),
    checksum: row.checksum,
    os_hash_algo: row.os_hash_algo,
    os_hash_value: row.os_hash_value,
    container_format: row.container_format,
    disk_format: row.disk_format,
    min_disk: Number(row.min_disk),
    min_ram: Number(row.min_ram),
    location: row.location,
    locations: parseLocations(row),
    upload_token: row.upload_token,
    created_at: row.created_at,
    updated_at: row.updated_at,
    properties,
    tags,
  }
}

function parseLocations(row: ImagesTable): ImageLocation[] {
  if (row.locations) return JSON.parse(row.locations) as ImageLocation[]
  return row.location ? [{ url: row.location, metadata: {} }] : []
}

/** The two columns that hold an image's locations, from the list. */
export function locationColumns(list: readonly ImageLocation[]): {
  location: string | null
  locations: string
} {
  return { location: list[0]?.url ?? null, locations: JSON.stringify(list) }
}

function toColumns(c: CoreColumns): Partial<ImagesTable> {
  const { protected: p, os_hidden: h, ...rest } = c
  const out: Partial<ImagesTable> = { ...rest }
  if (p !== undefined) out.protected = p ? 1 : 0
  if (h !== undefined) out.os_hidden = h ? 1 : 0
  return out
}

/** The sort expression for a key; NULLs sort as the smallest value on every dialect. */
function sortExpr(eb: Eb, key: SortKey): Expression<unknown> {
  if (key === 'size') return eb.fn.coalesce('images.size', sql.lit(-1))
  if (key === 'name' || key === 'container_format' || key === 'disk_format') {
    return eb.fn.coalesce(`images.${key}`, sql.lit(''))
  }
  return eb.ref(`images.${key}`)
}

function sortValue(image: Image, key: SortKey): unknown {
  if (key === 'size') return image.size ?? -1
  if (key === 'name' || key === 'container_format' || key === 'disk_format') return image[key] ?? ''
  return image[key]
}

export class ImageRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Inserts an image with its properties and tags, taking one image from the owner's count. */
  async create(image: Image, countLimit: number): Promise<'ok' | 'quota' | 'duplicate'> {
    if (image.owner) await this.ensureUsage(image.owner)
    try {
      return await this.db.transaction().execute(async (tx) => {
        if (image.owner && !(await this.takeCount(tx, image.owner, countLimit))) return 'quota' as const
        await tx
          .insertInto('images')
          .values({
            id: image.id,
            name: image.name,
            status: image.status,
            visibility: image.visibility,
            protected: image.protected ? 1 : 0,
            os_hidden: image.os_hidden ? 1 : 0,
            owner: image.owner,
            size: image.size,
            virtual_size: image.virtual_size,
            checksum: image.checksum,
            os_hash_algo: image.os_hash_algo,
            os_hash_value: image.os_hash_value,
            container_format: image.container_format,
            disk_format: image.disk_format,
            min_disk: image.min_disk,
            min_ram: image.min_ram,
            location: null,
            locations: null,
            upload_token: null,
            created_at: image.created_at,
            updated_at: image.updated_at,
            deleted: 0,
            deleted_at: null,
          })
          .execute()
        await this.insertProperties(tx, image.id, image.properties)
        for (const tag of new Set(image.tags))
          await tx.insertInto('image_tags').values({ image_id: image.id, value: tag }).execute()
        return 'ok' as const
      })
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate'
      throw e
    }
  }

  async get(id: string): Promise<Image | undefined> {
    const row = await this.db
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    if (!row) return undefined
    const [image] = await this.hydrate([row])
    return image
  }

  /** Whether an id was ever used, deleted images included (ids are never reused). */
  async exists(id: string): Promise<boolean> {
    return (
      (await this.db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
    )
  }

  async list(q: ListQuery): Promise<Image[]> {
    let query = this.db.selectFrom('images').selectAll('images').where('images.deleted', '=', 0)
    query = query.where((eb) => this.visibleTo(eb, q))
    for (const f of q.columns) query = query.where(`images.${f.column}`, 'in', f.values)
    for (const p of q.properties) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_properties')
            .select('image_properties.image_id')
            .whereRef('image_properties.image_id', '=', 'images.id')
            .where('image_properties.name', '=', p.name)
            .where('image_properties.value', 'in', p.values),
        ),
      )
    }
    for (const tag of q.tags) {
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('image_tags')
            .select('image_tags.image_id')
            .whereRef('image_tags.image_id', '=', 'images.id')
            .where('image_tags.value', '=', tag),
        ),
      )
    }
    if (q.size !== undefined) query = query.where('images.size', '=', q.size)
    if (q.sizeMin !== undefined) query = query.where('images.size', '>=', q.sizeMin)
    if (q.sizeMax !== undefined) query = query.where('images.size', '<=', q.sizeMax)
    for (const t of q.times) query = query.where(`images.${t.column}`, t.op, t.value)
    if (q.protected !== undefined) query = query.where('images.protected', '=', q.protected ? 1 : 0)
    query = query.where('images.os_hidden', '=', q.osHidden ? 1 : 0)

    const keys = [...q.sort]
    if (!keys.some((k) => k.key === 'id')) keys.push({ key: 'id', dir: keys[keys.length - 1]?.dir ?? 'desc' })
    const marker = q.marker
    if (marker) {
      // Keyset pagination: rows strictly after the marker in the sort order.
      query = query.where((eb) =>
        eb.or(
          keys.map((k, i) =>
            eb.and([
              ...keys.slice(0, i).map((p) => eb(sortExpr(eb, p.key), '=', sortValue(marker, p.key))),
              eb(sortExpr(eb, k.key), k.dir === 'asc' ? '>' : '<', sortValue(marker, k.key)),
            ]),
          ),
        ),
      )
    }
    for (const k of keys) query = query.orderBy((eb) => sortExpr(eb, k.key), k.dir)
    const rows = await query.limit(q.limit).execute()
    return this.hydrate(rows)
  }

  private visibleTo(eb: Eb, q: ListQuery): Expression<SqlBool> {
    const project = q.viewer.project ?? ''
    const memberOf = (status: MemberStatus | 'all') => {
      let sub = eb
        .selectFrom('image_members')
        .select('image_members.image_id')
        .whereRef('image_members.image_id', '=', 'images.id')
        .where('image_members.member', '=', project)
      if (status !== 'all') sub = sub.where('image_members.status', '=', status)
      return eb.and([eb('images.visibility', '=', 'shared'), eb.exists(sub)])
    }
    const owned = eb('images.owner', '=', project)
    const v = q.visibility
    if (q.viewer.admin) {
      if (v === undefined || v === 'all') return sql<SqlBool>`1 = 1`
      return eb('images.visibility', '=', v)
    }
    switch (v) {
      case 'public':
        return eb('images.visibility', '=', 'public')
      case 'community':
        return eb('images.visibility', '=', 'community')
      case 'private':
        return eb.and([eb('images.visibility', '=', 'private'), owned])
      case 'shared':
        return eb.or([eb.and([eb('images.visibility', '=', 'shared'), owned]), memberOf(q.memberStatus)])
      case 'all':
        return eb.or([
          owned,
          eb('images.visibility', 'in', ['public', 'community']),
          memberOf(q.memberStatus),
        ])
      default:
        return eb.or([owned, eb('images.visibility', '=', 'public'), memberOf(q.memberStatus)])
    }
  }

  private async hydrate(rows: ImagesTable[]): Promise<Image[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const props = await this.db
      .selectFrom('image_properties')
      .selectAll()
      .where('image_id', 'in', ids)
      .execute()
    const tags = await this.db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids).execute()
    const propsOf = new Map<string, Record<string, string>>()
    const tagsOf = new Map<string, string[]>()
    for (const p of props) {
      const m = propsOf.get(p.image_id) ?? {}
      m[p.name] = p.value
      propsOf.set(p.image_id, m)
    }
    for (const t of tags) tagsOf.set(t.image_id, [...(tagsOf.get(t.image_id) ?? []), t.value])
    return rows.map((r) => toImage(r, propsOf.get(r.id) ?? {}, (tagsOf.get(r.id) ?? []).sort()))
  }

  /**
   * Applies a patch's result in one transaction: changed core columns, property sets and
   * removals, and the full tag list when given. Only touches a live image; returns false
   * when it is gone.
   */
  async update(
    id: string,
    change: { core: CoreColumns; setProps: Record<string, string>; removeProps: string[]; tags?: string[] },
    updatedAt: string,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('images')
        .set({ ...toColumns(change.core), updated_at: updatedAt })
        .where('id', '=', id)
        .where('deleted', '=', 0)
        .executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return false
      if (change.removeProps.length > 0 || Object.keys(change.setProps).length > 0) {
        const names = [...change.removeProps, ...Object.keys(change.setProps)]
        await tx
          .deleteFrom('image_properties')
          .where('image_id', '=', id)
          .where('name', 'in', names)
          .execute()
        await this.insertProperties(tx, id, change.setProps)
      }
      if (change.tags) {
        await tx.deleteFrom('image_tags').where('image_id', '=', id).execute()
        for (const tag of new Set(change.tags))
          await tx.insertInto('image_tags').values({ image_id: id, value: tag }).execute()
      }
      return true
    })
  }

  /** Moves an image's count (and counted bytes) from one owner to another; no limit applies. */
  async changeOwner(image: Image, newOwner: string): Promise<void> {
    await this.ensureUsage(newOwner)
    await this.db.transaction().execute(async (tx) => {
      const bytes = image.location !== null && image.size !== null ? image.size : 0
      if (image.owner) await this.adjustUsage(tx, image.owner, -1, -bytes)
      await this.adjustUsage(tx, newOwner, 1, bytes)
      await tx
        .updateTable('images')
        .set({ owner: newOwner, updated_at: new Date().toISOString() })
        .where('id', '=', image.id)
        .execute()
    })
  }

  /**
   * Compare-and-swap on status: moves the image from one of `from` to `to` (optionally
   * only when `token` holds it) and sets `extra` columns. False when it did not match.
   */
  async transition(
    id: string,
    from: readonly ImageStatus[],
    to: ImageStatus,
    extra: CoreColumns = {},
    token?: string,
  ): Promise<boolean> {
    let q = this.db
      .updateTable('images')
      .set({ ...toColumns(extra), status: to, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .where('status', 'in', [...from])
    if (token !== undefined) q = q.where('upload_token', '=', token)
    const res = await q.executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  /**
   * Makes uploaded data the image's data: counts the bytes against the owner's limit
   * and flips the image to active, only if this upload still holds it. All or nothing.
   */
  async finalizeData(
    id: string,
    owner: string | null,
    from: ImageStatus,
    token: string,
    data: {
      size: number
      checksum: string
      os_hash_algo: string
      os_hash_value: string
      locations: ImageLocation[]
    },
    bytesLimit: number,
  ): Promise<FinalizeOutcome> {
    if (owner) await this.ensureUsage(owner)
    return this.db
      .transaction()
      .execute(async (tx) => {
        if (owner) {
          let q = tx
            .updateTable('image_quota_usage')
            .set((eb) => ({ bytes: eb('bytes', '+', data.size) }))
            .where('project_id', '=', owner)
          if (bytesLimit >= 0) q = q.where((eb) => eb(eb('bytes', '+', data.size), '<=', bytesLimit))
          const res = await q.executeTakeFirst()
          if (Number(res.numUpdatedRows) === 0) return 'quota' as const
        }
        const { locations, ...sums } = data
        const res = await tx
          .updateTable('images')
          .set({
            ...sums,
            ...locationColumns(locations),
            status: 'active',
            upload_token: null,
            updated_at: new Date().toISOString(),
          })
          .where('id', '=', id)
          .where('deleted', '=', 0)
          .where('status', '=', from)
          .where('upload_token', '=', token)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) {
          // Roll back the bytes we just counted: the image was deleted or taken over.
          throw new GoneSignal()
        }
        return 'ok' as const
      })
      .catch((e) => {
        if (e instanceof GoneSignal) return 'gone' as const
        throw e
      })
  }

  /** Bytes the owner has stored (counted at activation). */
  async usage(project: string): Promise<{ images: number; bytes: number }> {
    const row = await this.db
      .selectFrom('image_quota_usage')
      .selectAll()
      .where('project_id', '=', project)
      .executeTakeFirst()
    return { images: Number(row?.images ?? 0), bytes: Number(row?.bytes ?? 0) }
  }

  /**
   * Bytes staged for import (images uploading or importing with their staged size
   * recorded), optionally leaving one image out.
   */
  async stagedBytes(project: string, exceptId?: string): Promise<number> {
    let q = this.db
      .selectFrom('images')
      .select((eb) => eb.fn.sum<number | string | null>('size').as('n'))
      .where('owner', '=', project)
      .where('deleted', '=', 0)
      .where('status', 'in', ['uploading', 'importing'])
      .where('size', 'is not', null)
    if (exceptId !== undefined) q = q.where('id', '<>', exceptId)
    const row = await q.executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /** Images of the project whose data is on its way in (saving, uploading, importing). */
  async uploadingCount(project: string): Promise<number> {
    const row = await this.db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('owner', '=', project)
      .where('deleted', '=', 0)
      .where('status', 'in', ['saving', 'uploading', 'importing'])
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /** Soft-deletes a live image and returns it; gives back its count and counted bytes. */
  async softDelete(id: string): Promise<Image | undefined> {
    const image = await this.get(id)
    if (!image) return undefined
    return this.db.transaction().execute(async (tx) => {
      const res = await tx
        .updateTable('images')
        .set({ deleted: 1, deleted_at: new Date().toISOString(), status: 'deleted', upload_token: null })
        .where('id', '=', id)
        .where('deleted', '=', 0)
        .executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return undefined
      // NOTE: re-read inside the transaction: an upload may have just finalised.
      const row = await tx
        .selectFrom('images')
        .select(['owner', 'size', 'location', 'locations'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
      const bytes = row.location !== null && row.size !== null ? Number(row.size) : 0
      if (row.owner) await this.adjustUsage(tx, row.owner, -1, -bytes)
      await tx.deleteFrom('image_members').where('image_id', '=', id).execute()
      return { ...image, location: row.location, locations: parseLocations({ ...row } as ImagesTable) }
    })
  }

  /** Images stuck in a transfer state (after a crash), for recovery at start. */
  async inStatus(statuses: readonly ImageStatus[]): Promise<Image[]> {
    const rows = await this.db
      .selectFrom('images')
      .selectAll()
      .where('deleted', '=', 0)
      .where('status', 'in', [...statuses])
      .execute()
    return this.hydrate(rows)
  }

  /** Every location a live image holds, for the orphan sweep. */
  async liveLocations(): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('images')
      .select(['location', 'locations'])
      .where('deleted', '=', 0)
      .where('location', 'is not', null)
      .execute()
    const live = new Set<string>()
    for (const r of rows)
      for (const l of parseLocations(r as ImagesTable)) live.add(l.url.replace(/#.*$/, ''))
    return live
  }

  /**
   * Replaces an image's locations (and optionally other columns) if it is live and its
   * locations are still `expected` (compare-and-swap on the JSON text): two location
   * changes racing cannot both win. Counts `bytesDelta` against the owner.
   */
  async swapLocations(
    image: Image,
    next: readonly ImageLocation[],
    extra: CoreColumns = {},
    bytesDelta = 0,
  ): Promise<boolean> {
    if (image.owner) await this.ensureUsage(image.owner)
    return this.db.transaction().execute(async (tx) => {
      const before = image.locations.length === 0 ? null : image.location
      let q = tx
        .updateTable('images')
        .set({ ...toColumns(extra), ...locationColumns(next), updated_at: new Date().toISOString() })
        .where('id', '=', image.id)
        .where('deleted', '=', 0)
      q = before === null ? q.where('location', 'is', null) : q.where('location', '=', before)
      q = q.where((eb) =>
        eb.or([eb('locations', '=', JSON.stringify(image.locations)), eb('locations', 'is', null)]),
      )
      const res = await q.executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) return false
      if (image.owner && bytesDelta !== 0) await this.adjustUsage(tx, image.owner, 0, bytesDelta)
      return true
    })
  }

  // --- helpers ---

  private async insertProperties(
    tx: Transaction<DB>,
    id: string,
    props: Record<string, string>,
  ): Promise<void> {
    const rows = Object.entries(props).map(([name, value]) => ({ image_id: id, name, value }))
    if (rows.length > 0) await tx.insertInto('image_properties').values(rows).execute()
  }

  private async ensureUsage(project: string): Promise<void> {
    const found = await this.db
      .selectFrom('image_quota_usage')
      .select('project_id')
      .where('project_id', '=', project)
      .executeTakeFirst()
    if (found) return
    try {
      await this.db
        .insertInto('image_quota_usage')
        .values({ project_id: project, images: 0, bytes: 0 })
        .execute()
    } catch (e) {
      if (!isUniqueViolation(e)) throw e
    }
  }

  private async takeCount(tx: Transaction<DB>, project: string, limit: number): Promise<boolean> {
    let q = tx
      .updateTable('image_quota_usage')
      .set((eb) => ({ images: eb('images', '+', 1) }))
      .where('project_id', '=', project)
    if (limit >= 0) q = q.where((eb) => eb(eb('images', '+', 1), '<=', limit))
    const res = await q.executeTakeFirst()
    return Number(res.numUpdatedRows) > 0
  }

  private async adjustUsage(
    tx: Transaction<DB>,
    project: string,
    images: number,
    bytes: number,
  ): Promise<void> {
    await tx
      .updateTable('image_quota_usage')
      .set((eb) => ({ images: eb('images', '+', images), bytes: eb('bytes', '+', bytes) }))
      .where('project_id', '=', project)
      .execute()
  }
}

class GoneSignal extends Error {}
