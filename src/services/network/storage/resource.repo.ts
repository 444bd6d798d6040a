/**
 * One repository shape for every API resource table: the document in `data`, the
 * columns lists filter on, and updates that compare-and-swap `revision_number`.
 *
 * NOTE: the table name is a parameter, so the queries go through a loosely typed Kysely;
 * the per-table row types in schema.ts still describe what is stored.
 */
import { type Kysely, sql } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { NetworkDatabase, ResourceTable } from './schema.js'

/** A resource as the API shows it (tenant_id, project_id, standard attributes). */
export type Doc = Record<string, unknown> & { id: string; project_id: string }

/** Column equality: a value, one of several values, or null. */
export type Where = Record<string, string | number | null | readonly (string | number)[]>

// biome-ignore lint/suspicious/noExplicitAny: see the note above
type AnyDb = Kysely<any>

export class ResourceRepo {
  private readonly db: AnyDb
  constructor(
    db: Kysely<NetworkDatabase>,
    readonly dialect: Dialect,
    readonly table: ResourceTable,
    /** The table's own columns, read from the document. */
    private readonly columns: (doc: Doc) => Record<string, unknown> = () => ({}),
  ) {
    this.db = db as unknown as AnyDb
  }

  private row(doc: Doc) {
    return {
      id: doc.id,
      project_id: doc.project_id,
      name: String(doc.name ?? ''),
      data: JSON.stringify(doc),
      revision_number: Number(doc.revision_number ?? 0),
      created_at: String(doc.created_at),
      updated_at: String(doc.updated_at),
      ...this.columns(doc),
    }
  }

  static parse(row: { data: string; revision_number: number; updated_at: string }): Doc {
    const doc = JSON.parse(row.data) as Doc
    doc.revision_number = Number(row.revision_number)
    doc.updated_at = row.updated_at
    return doc
  }

  async insert(doc: Doc): Promise<void> {
    await this.db.insertInto(this.table).values(this.row(doc)).execute()
  }

  async get(id: string): Promise<Doc | undefined> {
    const row = await this.db.selectFrom(this.table).selectAll().where('id', '=', id).executeTakeFirst()
    return row
      ? ResourceRepo.parse(row as { data: string; revision_number: number; updated_at: string })
      : undefined
  }

  /** Rows matching every condition of `where`, and at least one of `anyOf` when given. */
  async find(where: Where = {}, anyOf?: readonly Where[]): Promise<Doc[]> {
    // biome-ignore lint/suspicious/noExplicitAny: dynamic table
    let q: any = this.db.selectFrom(this.table).selectAll()
    q = applyWhere(q, where)
    if (anyOf?.length)
      q = q.where(
        // biome-ignore lint/suspicious/noExplicitAny: expression builder of a dynamic table
        (eb: any) => eb.or(anyOf.map((w) => eb.and(conditions(eb, w)))),
      )
    const rows = await q.orderBy('created_at').orderBy('id').execute()
    return rows.map(ResourceRepo.parse)
  }

  async count(where: Where = {}): Promise<number> {
    // biome-ignore lint/suspicious/noExplicitAny: dynamic table
    let q: any = this.db.selectFrom(this.table).select((eb: any) => eb.fn.countAll().as('n'))
    q = applyWhere(q, where)
    const row = await q.executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /**
   * Replaces the document if its revision is still `expected`; the stored revision becomes
   * `doc.revision_number`. False when another writer got there first.
   */
  async update(doc: Doc, expected: number): Promise<boolean> {
    const { id: _id, ...row } = this.row(doc)
    const res = await this.db
      .updateTable(this.table)
      .set(row)
      .where('id', '=', doc.id)
      .where('revision_number', '=', expected)
      .executeTakeFirst()
    return Number(res.numUpdatedRows) === 1
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom(this.table).where('id', '=', id).executeTakeFirst()
    return Number(res.numDeletedRows) === 1
  }
}

// biome-ignore lint/suspicious/noExplicitAny: expression builder of a dynamic table
function conditions(eb: any, where: Where) {
  return Object.entries(where).map(([k, v]) =>
    v === null
      ? eb(k, 'is', null)
      : Array.isArray(v)
        ? v.length
          ? eb(k, 'in', v)
          : sql<boolean>`1 = 0`
        : eb(k, '=', v),
  )
}

// biome-ignore lint/suspicious/noExplicitAny: query builder of a dynamic table
function applyWhere(q: any, where: Where) {
  for (const [k, v] of Object.entries(where)) {
    if (v === null) q = q.where(k, 'is', null)
    else if (Array.isArray(v)) q = v.length ? q.where(k, 'in', v) : q.where(sql<boolean>`1 = 0`)
    else q = q.where(k, '=', v)
  }
  return q
}
