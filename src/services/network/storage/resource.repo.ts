/**
 * One repository shape for every API resource table: the document in `data`, the
 * columns lists filter on, and updates that compare-and-swap `revision_number`.
 *
 * NOTE: the table name is a parameter, so the queries go through a loosely typed Kysely;
 * the per-table row types in schema.ts still describe what is stored.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { NetworkDatabase, ResourceTable } from './schema.js'

/** A resource as the API shows it (tenant_id, project_id, standard attributes). */
export type Doc = Record<string, unknown> & { id: string; project_id: string }

/**
 * A condition on a resource table's row, as data (the domain says what, this file how):
 * a column among values, a column among what a subquery selects, a text column's exact
 * prefix, and their combinations.
 */
export type Cond =
  | { readonly all: true }
  | { readonly none: true }
  | { readonly col: string; readonly in: readonly (string | number)[] }
  | {
      readonly col: string
      readonly inSelect: { readonly table: string; readonly col: string; readonly where: Cond }
    }
  | { readonly col: string; readonly prefix: string }
  | { readonly not: Cond }
  | { readonly and: readonly Cond[] }
  | { readonly or: readonly Cond[] }

/**
 * A sort column: `text` columns order by their characters' code points on every dialect
 * (whatever the column's collation); others as they are.
 */
export interface OrderKey {
  readonly col: string
  readonly desc: boolean
  readonly text: boolean
}

/** One keyset page: the rows matching `where` in `order` after the row whose keys are `after`. */
export interface PageQuery {
  readonly where: Cond
  /** Ends with a unique column (id), so the order is total. */
  readonly order: readonly OrderKey[]
  readonly after?: readonly unknown[]
  readonly limit?: number
}

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

  /** A page of documents, each with its values of the order's columns (the next `after`). */
  async page(p: PageQuery): Promise<{ doc: Doc; key: unknown[] }[]> {
    // Only what the document and the next page's keys need, not the columns it duplicates.
    const cols = [...new Set(['data', 'revision_number', 'updated_at', ...p.order.map((k) => k.col)])]
    // biome-ignore lint/suspicious/noExplicitAny: dynamic table
    let q: any = this.db.selectFrom(this.table).select(cols)
    const conds = [condSql(this.dialect, p.where)]
    if (p.after) conds.push(afterSql(this.dialect, p.order, p.after))
    q = q.where(sql.join(conds, sql` and `))
    for (const k of p.order) q = q.orderBy(orderExpr(this.dialect, k), k.desc ? 'desc' : 'asc')
    if (p.limit !== undefined) q = q.limit(p.limit)
    const rows = (await q.execute()) as Record<string, unknown>[]
    return rows.map((row) => ({
      doc: ResourceRepo.parse(row as { data: string; revision_number: number; updated_at: string }),
      key: p.order.map((k) => row[k.col]),
    }))
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

/** A text column compared by code point (bytes of UTF-8), whatever the column's collation. */
function orderExpr(dialect: Dialect, k: OrderKey) {
  const ref = sql.ref(k.col)
  if (!k.text) return ref
  if (dialect === 'postgres') return sql`${ref} collate "C"`
  if (dialect === 'mysql') return sql`binary ${ref}`
  return ref
}

/** Rows after the keys `after` in `order`: (a > x) or (a = x and b > y) or ... */
function afterSql(dialect: Dialect, order: readonly OrderKey[], after: readonly unknown[]) {
  const alternatives = order.map((k, i) => {
    const parts = order.slice(0, i).map((e, j) => sql`${orderExpr(dialect, e)} = ${after[j]}`)
    parts.push(sql`${orderExpr(dialect, k)} ${sql.raw(k.desc ? '<' : '>')} ${after[i]}`)
    return sql`(${sql.join(parts, sql` and `)})`
  })
  return sql`(${sql.join(alternatives, sql` or `)})`
}

function condSql(dialect: Dialect, c: Cond): RawBuilder<unknown> {
  if ('all' in c) return sql`1 = 1`
  if ('none' in c) return sql`1 = 0`
  if ('not' in c) return sql`not (${condSql(dialect, c.not)})`
  if ('and' in c)
    return c.and.length
      ? sql`(${sql.join(
          c.and.map((x) => condSql(dialect, x)),
          sql` and `,
        )})`
      : sql`1 = 1`
  if ('or' in c)
    return c.or.length
      ? sql`(${sql.join(
          c.or.map((x) => condSql(dialect, x)),
          sql` or `,
        )})`
      : sql`1 = 0`
  if ('in' in c) return c.in.length ? sql`${sql.ref(c.col)} in (${sql.join(c.in)})` : sql`1 = 0`
  if ('inSelect' in c) {
    const s = c.inSelect
    return sql`${sql.ref(c.col)} in (select ${sql.ref(s.col)} from ${sql.table(s.table)} where ${condSql(dialect, s.where)})`
  }
  const head = sql`substr(${sql.ref(c.col)}, 1, ${c.prefix.length})`
  return dialect === 'mysql' ? sql`binary ${head} = ${c.prefix}` : sql`${head} = ${c.prefix}`
}
