/**
 * One repository shape for every API resource table: the document in `data`, the
 * columns lists filter on, and updates that compare-and-swap `revision_number`.
 *
 * NOTE: the table name is a parameter, so the queries go through a loosely typed Kysely;
 * the per-table row types in schema.ts still describe what is stored.
 */
import { createHash } from 'node:crypto'
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
  /**
   * No index serves the order: select the page's ids first, then read their rows, so
   * the database sorts narrow rows instead of whole documents (with `limit`).
   */
  readonly narrowFirst?: boolean
}

/** Column equality: a value, one of several values, or null. */
export type Where = Record<string, string | number | null | readonly (string | number)[]>

// biome-ignore lint/suspicious/noExplicitAny: see the note above
type AnyDb = Kysely<any>

const NEWLINE = 10

/**
 * How a table keeps each row's view beside its document (the `view` column, bytes), so
 * a list answers with stored JSON instead of parsing and serialising every document:
 *
 *   <tag> \n {"id":…,<the other attributes>…} \n ,<the policed attributes>…}
 *
 * The document as the API shows it (the service's `_` bookkeeping left out), with the
 * attributes that have `get_` rules (`policed`) apart after the second newline (nothing
 * there when it has none), so a list gives them or leaves them out by slicing: the first
 * part alone is the view without them; without its closing brace and followed by the
 * second, the view with them. JSON text has no raw newline, so the two split it
 * unambiguously. `tag` names the layout and the policed list: a row written under
 * another reads as having no view (its list builds it from `data`).
 */
export class StoredViews {
  readonly tag: Buffer
  private readonly policedSet: ReadonlySet<string>

  constructor(readonly policed: readonly string[]) {
    this.policedSet = new Set(policed)
    const digest = createHash('sha256').update(JSON.stringify(policed)).digest('hex').slice(0, 12)
    this.tag = Buffer.from(`v1.${digest}`)
  }

  /** The stored view of a document as `ResourceRepo.parse` gives it back. */
  encode(doc: Doc): Buffer {
    const shown: Record<string, unknown> = {}
    const policed: Record<string, unknown> = {}
    let anyPoliced = false
    for (const k in doc) {
      if (k.charCodeAt(0) === 95 || doc[k] === undefined) continue
      if (this.policedSet.has(k)) {
        policed[k] = doc[k]
        anyPoliced = true
      } else shown[k] = doc[k]
    }
    // (`id` is always shown, so a policed part always follows another member.)
    const rest = anyPoliced ? `,${JSON.stringify(policed).slice(1)}` : ''
    return Buffer.concat([this.tag, Buffer.from(`\n${JSON.stringify(shown)}\n${rest}`)])
  }

  /**
   * The two parts of a stored view, `{…}` and `,…}` (slices of it; the second empty when
   * there are no policed attributes), or undefined if it is not one of this layout.
   */
  split(stored: Uint8Array | null | undefined): [shown: Buffer, policed: Buffer] | undefined {
    if (!stored) return undefined
    const b = Buffer.isBuffer(stored)
      ? stored
      : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength)
    const n = this.tag.length
    if (b.length <= n || b[n] !== NEWLINE || b.compare(this.tag, 0, n, 0, n) !== 0) return undefined
    const second = b.indexOf(NEWLINE, n + 1)
    if (second < 0) return undefined
    return [b.subarray(n + 1, second), b.subarray(second + 1)]
  }
}

/** A column of a page's rows computed by the query: whether `table` has a row whose `col` is the row's id. */
export interface ExistsColumn {
  readonly name: string
  readonly table: string
  readonly col: string
}

/** A row of a page read for its stored view. */
export interface ViewRow {
  id: string
  /** The stored view, as the database gave it (see `StoredViews`); null when none. */
  view: Uint8Array | null
  /** The values of the columns asked for. */
  cols: Record<string, unknown>
  /** Its values of the order's columns (the next `after`). */
  key: unknown[]
}

export class ResourceRepo {
  private readonly db: AnyDb
  constructor(
    db: Kysely<NetworkDatabase>,
    readonly dialect: Dialect,
    readonly table: ResourceTable,
    /** The table's own columns, read from the document. */
    private readonly columns: (doc: Doc) => Record<string, unknown> = () => ({}),
    /** The table stores each row's view too (its `view` column). */
    readonly views?: StoredViews,
  ) {
    this.db = db as unknown as AnyDb
  }

  private row(doc: Doc) {
    const revision = Number(doc.revision_number ?? 0)
    const updated = String(doc.updated_at)
    return {
      id: doc.id,
      project_id: doc.project_id,
      name: String(doc.name ?? ''),
      data: JSON.stringify(doc),
      revision_number: revision,
      created_at: String(doc.created_at),
      updated_at: updated,
      ...this.columns(doc),
      // The view of what `parse` gives back: the revision and time as their columns hold them.
      ...(this.views
        ? { view: this.views.encode({ ...doc, revision_number: revision, updated_at: updated }) }
        : {}),
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
    const rows = await this.selectPage(p, ['data', 'revision_number', 'updated_at'])
    return rows.map((row) => ({
      doc: ResourceRepo.parse(row as { data: string; revision_number: number; updated_at: string }),
      key: p.order.map((k) => row[k.col]),
    }))
  }

  /**
   * A page of rows for their stored views (this table must store them), with the values
   * of `cols`; the documents are not read.
   */
  async pageViews(
    p: PageQuery,
    cols: readonly string[],
    exists: readonly ExistsColumn[] = [],
  ): Promise<ViewRow[]> {
    const rows = await this.selectPage(p, ['id', 'view', ...cols], exists)
    // (PostgreSQL answers EXISTS as a boolean, the others as 1 or 0.)
    for (const row of rows) for (const e of exists) row[e.name] = Boolean(Number(row[e.name]))
    return rows.map((row) => ({
      id: row.id as string,
      view: (row.view as Uint8Array | null) ?? null,
      cols: row,
      key: p.order.map((k) => row[k.col]),
    }))
  }

  /** The columns `names` (and the order's) of a page's rows, in order. */
  private async selectPage(
    p: PageQuery,
    names: readonly string[],
    exists: readonly ExistsColumn[] = [],
  ): Promise<Record<string, unknown>[]> {
    const cols = [...new Set([...names, ...p.order.map((k) => k.col)])]
    const id = sql.ref(`${this.table}.id`)
    const computed = exists.map((e) =>
      sql`exists (select 1 from ${sql.table(e.table)} where ${sql.ref(`${e.table}.${e.col}`)} = ${id})`.as(
        e.name,
      ),
    )
    const selected = [...cols.map((c) => sql.ref(c)), ...computed]
    const conds = [condSql(this.dialect, p.where)]
    if (p.after) conds.push(afterSql(this.dialect, p.order, p.after))
    const where = sql.join(conds, sql` and `)
    const orderBy = sql.join(
      p.order.map((k) => sql`${orderExpr(this.dialect, k)} ${sql.raw(k.desc ? 'desc' : 'asc')}`),
    )
    if (p.narrowFirst && p.limit !== undefined) {
      // The page's ids first (the database sorts only ids and keys), then their rows.
      const ids = sql`select ${sql.ref('id')} as ${sql.ref('page_id')} from ${sql.table(this.table)} where ${where} order by ${orderBy} limit ${p.limit}`
      const rows = await sql<
        Record<string, unknown>
      >`select ${sql.join(selected)} from ${sql.table(this.table)} join (${ids}) as ${sql.ref('page')} on ${sql.ref('id')} = ${sql.ref('page_id')} order by ${orderBy}`.execute(
        this.db,
      )
      return rows.rows
    }
    // biome-ignore lint/suspicious/noExplicitAny: dynamic table
    let q: any = this.db.selectFrom(this.table).select([...cols, ...computed])
    q = q.where(where)
    for (const k of p.order) q = q.orderBy(orderExpr(this.dialect, k), k.desc ? 'desc' : 'asc')
    if (p.limit !== undefined) q = q.limit(p.limit)
    return (await q.execute()) as Record<string, unknown>[]
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
