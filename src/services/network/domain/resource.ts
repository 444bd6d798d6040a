/**
 * What every network resource shares: who is calling (`Caller`), its standard attributes
 * (created_at, updated_at, revision_number, description, tags), visibility (a resource
 * the caller may not `get_` is a 404, never a 403 that would reveal it), attribute
 * policies on show and on write, If-Match revision checks, updates as compare-and-swap on
 * the revision, and the list pipeline (candidates ─▶ visible ─▶ filters ─▶ sort ─▶ page).
 */
import { randomUUID } from 'node:crypto'
import type { RequestContext } from '../../../kernel/auth/index.js'
import type { Residual } from '../../../kernel/policy/index.js'
import { badRequest, concurrentUpdate, notFound, policyNotAuthorized, revisionMismatch } from '../errors.js'
import { NETWORK_POLICY_RULES } from '../policies/index.js'
import type { AttrMap } from '../schemas/attributes.js'
import { policyAttributes } from '../schemas/attributes.js'
import type {
  Cond,
  Doc,
  ExistsColumn,
  NetworkStore,
  OrderKey,
  ResourceRepo,
  StoredViews,
  ViewRow,
} from '../storage/index.js'
import { filterDocs, type ListQuery, linksOf, type Page, pageOf, paginate, sortDocs } from './query.js'

/** Rows a list from stored views decorates or rebuilds at a time. */
const STORED_BATCH = 1000

/** The largest LIMIT every dialect takes (a 32-bit signed integer). */
const MAX_SQL_LIMIT = 2 ** 31 - 1

/** Neutron's timestamp form: seconds, UTC, `Z`. */
export const now = () => `${new Date().toISOString().slice(0, 19)}Z`
export const newId = () => randomUUID()

/** Rule names the service declares: an attribute without a rule is not policed (as Neutron). */
const KNOWN_RULES = new Set(NETWORK_POLICY_RULES.map((r) => r.name))

/**
 * The attributes of a resource that have `get_<resource>:<attr>` rules: views leave them
 * out for callers the rule refuses, and stored views keep them apart.
 */
export function policedAttributes(resource: string, attrs: AttrMap): readonly string[] {
  let byResource = POLICED.get(attrs)
  if (!byResource) {
    byResource = new Map()
    POLICED.set(attrs, byResource)
  }
  let out = byResource.get(resource)
  if (!out) {
    out = policyAttributes(attrs).filter((a) => KNOWN_RULES.has(`get_${resource}:${a}`))
    byResource.set(resource, out)
  }
  return out
}

/** `policedAttributes`, worked out once per attribute map and resource. */
const POLICED = new WeakMap<AttrMap, Map<string, readonly string[]>>()

/** The caller of a domain operation: project, admin or not, and the policy checks. */
export class Caller {
  private admin?: boolean
  constructor(readonly ctx: RequestContext) {}

  get projectId(): string {
    return this.ctx.who.project_id ?? ''
  }

  get isAdmin(): boolean {
    this.admin ??= this.ctx.allows('context_is_admin', {})
    return this.admin
  }

  allows(rule: string, target: Record<string, unknown>): boolean {
    return this.ctx.allows(rule, target)
  }

  private residuals?: Map<string, Residual>

  /** What `rule` asks of a target for this caller (the effective rule, partially evaluated). */
  residual(rule: string): Residual {
    this.residuals ??= new Map()
    let r = this.residuals.get(rule)
    if (!r) {
      r = this.ctx.residual(rule)
      this.residuals.set(rule, r)
    }
    return r
  }

  /** 403 in Neutron's words unless the rule passes. */
  can(rule: string, target: Record<string, unknown>): void {
    if (!this.ctx.allows(rule, target)) throw policyNotAuthorized(rule)
  }
}

export interface Kind {
  /** Singular, as bodies spell it: `network`, `security_group_rule`. */
  resource: string
  /** Plural, as URLs spell it: `networks`, `security-group-rules` uses `security_group_rules` in bodies. */
  collection: string
  attrs: AttrMap
  /** Filters accepted beyond the attributes (e.g. ports' `ip_address`). */
  extraFilters?: readonly string[]
  /** The resource has standard attributes (tags, revision_number). */
  standard?: boolean
}

export interface IfMatch {
  /** `If-Match: revision_number=N`, parsed. */
  revision?: number
}

/** Parses If-Match; Neutron accepts only `revision_number=<n>` constraints. */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (!header) return {}
  const m = /^\s*revision_number=(-?\d+)\s*$/.exec(header)
  if (!m) throw badRequest(`Invalid If-Match header: ${header}. Only revision_number=<n> is supported.`)
  return { revision: Number(m[1]) }
}

export function checkRevision(doc: Doc, ifMatch: IfMatch | undefined) {
  if (ifMatch?.revision !== undefined && ifMatch.revision !== doc.revision_number)
    throw revisionMismatch(ifMatch.revision, Number(doc.revision_number))
}

/** Project and tenant ids of a new resource: the caller's unless an admin names another. */
export function ownerOf(caller: Caller, body: Record<string, unknown>): string {
  const t = body.tenant_id as string | undefined
  const p = body.project_id as string | undefined
  if (t !== undefined && p !== undefined && t !== p)
    throw badRequest("'project_id' and 'tenant_id' do not match")
  delete body.tenant_id
  delete body.project_id
  return p ?? t ?? caller.projectId
}

/**
 * A request naming another project than the caller's: only admins (and advsvc) may, as
 * upstream's API layer says before any policy.
 */
export function checkRequestOwner(caller: Caller, body: Record<string, unknown>): void {
  const owner = (body.project_id ?? body.tenant_id) as string | undefined
  if (owner === undefined || owner === caller.projectId) return
  if (caller.isAdmin || caller.allows('context_is_advsvc', {})) return
  throw badRequest(
    "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
  )
}

/** A new document with the standard attributes. */
export function newDoc(projectId: string, fields: Record<string, unknown>, standard = true): Doc {
  const at = now()
  return {
    id: newId(),
    ...fields,
    tenant_id: projectId,
    project_id: projectId,
    ...(standard ? { tags: (fields.tags as string[] | undefined) ?? [] } : {}),
    created_at: at,
    updated_at: at,
    revision_number: 0,
  }
}

/** Reads shared by the items of one list (a network by id, ...). */
export type Memo = Map<string, Promise<unknown>>

/** `read()` once per key within a memo (always when there is no memo). */
export function memoized<T>(memo: Memo | undefined, key: string, read: () => Promise<T>): Promise<T> {
  if (!memo) return read()
  let p = memo.get(key) as Promise<T> | undefined
  if (!p) {
    p = read()
    memo.set(key, p)
  }
  return p
}

/** A column a list may filter and sort on in SQL: it holds the attribute's value as shown. */
export interface ListColumn {
  col: string
  /** Text (ordered by code point), else a number. */
  text: boolean
  /**
   * Text of a fixed ASCII form (uuids, timestamps) that every collation orders as code
   * points, so the database orders it as it is and its indexes serve the order.
   */
  plain?: boolean
  /**
   * The attribute is a string on every document, so a filter on it is decided exactly by
   * the column's value (lists from stored views filter on the columns alone).
   */
  exact?: boolean
}

/** The columns every resource table has, for resources whose documents always hold them. */
export const STANDARD_COLUMNS: Readonly<Record<string, ListColumn>> = {
  id: { col: 'id', text: true, plain: true, exact: true },
  name: { col: 'name', text: true },
  project_id: { col: 'project_id', text: true, exact: true },
  tenant_id: { col: 'project_id', text: true, exact: true },
  created_at: { col: 'created_at', text: true, plain: true, exact: true },
  updated_at: { col: 'updated_at', text: true, plain: true, exact: true },
  revision_number: { col: 'revision_number', text: false },
}

/** How a view treats the attributes with `get_` rules, decided once per list. */
export interface ViewPlan {
  /** Never shown to this caller. */
  drop: string[]
  /** Shown depending on the item: checked against its target. */
  check: string[]
}

/** A list the database can select, sort and page: the rows' condition and total order. */
interface SqlPlan {
  where: Cond
  order: OrderKey[]
  /** Sort keys were asked for: no index serves the order (see `PageQuery.narrowFirst`). */
  narrowFirst: boolean
}

/**
 * A list answered from stored views: with the policed attributes or without them, its
 * filters decided on columns (each row's column among the wanted values).
 */
interface StoredPlan {
  views: StoredViews
  withPoliced: boolean
  checks: { col: string; wanted: readonly string[] }[]
}

/**
 * What `decorate` makes of a page's rows, for stored views: per id, the JSON members it
 * adds with the closing brace (`,"k":v}`), or `rebuild` when the view must be built from
 * the document.
 */
export type StoredExtras = Map<string, Uint8Array | 'rebuild'>

/** A policy residual as a row condition; undefined when some part has no SQL form. */
function residualCond(
  r: Residual,
  key: (k: string, values: readonly string[]) => Cond | undefined,
): Cond | undefined {
  switch (r.kind) {
    case 'always':
      return { all: true }
    case 'never':
      return { none: true }
    case 'opaque':
      return undefined
    case 'in':
      return key(r.key, r.values)
    case 'not': {
      const c = residualCond(r.operand, key)
      return c && { not: c }
    }
    case 'and':
    case 'or': {
      const cs: Cond[] = []
      for (const o of r.operands) {
        const c = residualCond(o, key)
        if (!c) return undefined
        cs.push(c)
      }
      return r.kind === 'and' ? { and: cs } : { or: cs }
    }
  }
}

/**
 * A boolean target attribute (`network:shared`) among policy values: `isTrue` is the
 * condition of the rows where it is true.
 */
export function boolCond(values: readonly string[], isTrue: Cond): Cond {
  const t = values.includes('True')
  const f = values.includes('False')
  if (t && f) return { all: true }
  if (t) return isTrue
  if (f) return { not: isTrue }
  return { none: true }
}

/** Filter values that also match a missing or null attribute (`matches` in query.ts). */
const NULLISH = new Set(['', 'None', 'null'])

export interface DomainDeps {
  store: NetworkStore
}

export abstract class ResourceDomain {
  abstract readonly kind: Kind
  constructor(protected readonly store: NetworkStore) {}

  /** This resource's repository in a store (the database's or a transaction's). */
  protected abstract repo(s: NetworkStore): ResourceRepo

  /** The policy target of a document: the document, its tenant, and related objects. */
  async target(doc: Doc): Promise<Record<string, unknown>> {
    return { ...doc, tenant_id: doc.project_id }
  }

  /**
   * The target as one caller sees it (RBAC grants to the caller's project count). `memo`
   * lives for one list, so the rows items share (their network) are read once.
   */
  async targetFor(_caller: Caller, doc: Doc, _memo?: Memo): Promise<Record<string, unknown>> {
    return this.target(doc)
  }

  /** Rows a non-admin caller could see (a superset; policy decides). */
  protected candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.repo(this.store).find()
      : this.repo(this.store).find({ project_id: caller.projectId })
  }

  /** Computed attributes, filled for a batch of documents at once. */
  protected async decorate(_docs: Doc[]): Promise<void> {}

  /**
   * What `decorate` would add to these rows, for lists from stored views (see
   * `StoredExtras`; an id not in the map gets nothing), or undefined when this resource
   * does not list from stored views. Must say exactly what `decorate` does. The rows
   * carry the values of `storedColumns`.
   */
  protected async storedExtras(_rows: readonly ViewRow[]): Promise<StoredExtras | undefined> {
    return undefined
  }

  /** Columns `storedExtras` reads from the rows, and columns the page query computes for it. */
  protected readonly storedColumns: readonly string[] = []
  protected readonly storedExists: readonly ExistsColumn[] = []

  protected rule(action: 'create' | 'get' | 'update' | 'delete', attr?: string): string {
    return `${action}_${this.kind.resource}${attr ? `:${attr}` : ''}`
  }

  /**
   * The view a caller gets: attributes whose `get_` policy fails are left out. A list
   * passes its `viewPlan`, so only the rules that depend on the item run per item.
   */
  view(caller: Caller, doc: Doc, target: Record<string, unknown>, plan?: ViewPlan): Doc {
    const out = { ...doc }
    // Fields starting with `_` are the service's own bookkeeping (a router's gateway port).
    for (const k in out) if (k.charCodeAt(0) === 95) delete out[k]
    if (plan) {
      for (const a of plan.drop) delete out[a]
      for (const a of plan.check) if (a in out && !caller.allows(this.rule('get', a), target)) delete out[a]
      return out
    }
    for (const a of policyAttributes(this.kind.attrs)) {
      if (!(a in out) || !KNOWN_RULES.has(this.rule('get', a))) continue
      if (!caller.allows(this.rule('get', a), target)) delete out[a]
    }
    return out
  }

  /** The document if the caller may see it, else 404. */
  async load(caller: Caller, id: string, s: NetworkStore = this.store): Promise<Doc> {
    const doc = await this.repo(s).get(id)
    if (!doc || !caller.allows(this.rule('get'), await this.targetFor(caller, doc)))
      throw notFound(this.kind.resource, id)
    return doc
  }

  async show(caller: Caller, id: string): Promise<Doc> {
    const doc = await this.load(caller, id)
    await this.decorate([doc])
    return this.view(caller, doc, await this.targetFor(caller, doc))
  }

  /** Whether `view` reads the target (beyond attribute rules). */
  protected readonly viewUsesTarget: boolean = false

  /**
   * The rows a caller may list, as a condition (what `candidates` reads), or undefined
   * when this resource lists only in memory.
   */
  protected sqlScope(_caller: Caller): Cond | undefined {
    return undefined
  }

  /** The candidates of the base `candidates`: all rows for admins, else the caller's own. */
  protected ownScope(caller: Caller): Cond {
    return caller.isAdmin ? { all: true } : { col: 'project_id', in: [caller.projectId] }
  }

  /**
   * The rows whose policy target has, at `key`, one of `values` (as a policy check
   * formats it); undefined when that attribute of the target has no SQL form.
   */
  protected sqlTargetKey(_caller: Caller, key: string, values: readonly string[]): Cond | undefined {
    if (key === 'project_id' || key === 'tenant_id') return { col: 'project_id', in: values }
    return undefined
  }

  /** Attributes held by a column of the table, as the view shows them. */
  protected listColumns(): Readonly<Record<string, ListColumn>> {
    return STANDARD_COLUMNS
  }

  /**
   * A condition every row a filter keeps satisfies (a superset: the filter runs again on
   * the view), or undefined.
   */
  protected sqlFilter(key: string, wanted: readonly string[]): Cond | undefined {
    const c = this.listColumns()[key]
    if (!c?.text || wanted.some((w) => NULLISH.has(w))) return undefined
    return { col: c.col, in: wanted }
  }

  /** Targets of a batch of documents, in order (reads they share made once). */
  protected async targetsFor(caller: Caller, docs: Doc[]): Promise<Record<string, unknown>[]> {
    const memo: Memo = new Map()
    const out: Record<string, unknown>[] = []
    for (const d of docs) out.push(await this.targetFor(caller, d, memo))
    return out
  }

  /** The attribute rules of this caller, decided once: dropped, shown, or per item. */
  protected viewPlan(caller: Caller): ViewPlan {
    const plan: ViewPlan = { drop: [], check: [] }
    for (const a of policedAttributes(this.kind.resource, this.kind.attrs)) {
      const r = caller.residual(this.rule('get', a))
      if (r.kind === 'never') plan.drop.push(a)
      else if (r.kind !== 'always') plan.check.push(a)
    }
    return plan
  }

  /** Whether this caller sees an attribute on every item. */
  private shownToAll(caller: Caller, attr: string): boolean {
    const rule = this.rule('get', attr)
    return !KNOWN_RULES.has(rule) || caller.residual(rule).kind === 'always'
  }

  /**
   * The list in SQL, when the resource says where its candidates are, the effective
   * `get_<resource>` rule for this caller has an SQL form, and every sort key is a column
   * the caller sees on every item; else undefined (the list runs in memory).
   */
  private sqlPlan(caller: Caller, q: ListQuery): SqlPlan | undefined {
    const scope = this.sqlScope(caller)
    if (!scope) return undefined
    const visible = residualCond(caller.residual(this.rule('get')), (k, v) => this.sqlTargetKey(caller, k, v))
    if (!visible) return undefined
    const cols = this.listColumns()
    const order: OrderKey[] = []
    // Without sort keys, the order of the candidates: creation, then id.
    for (const { key, dir } of q.sort.length ? q.sort : [{ key: 'created_at', dir: 'asc' }]) {
      const c = cols[key]
      if (!c || !this.shownToAll(caller, key)) return undefined
      order.push({ col: c.col, text: c.text && !c.plain, desc: (dir === 'desc') !== q.pageReverse })
    }
    order.push({ col: 'id', text: false, desc: q.pageReverse })
    const where: Cond[] = [scope, visible]
    for (const [key, wanted] of q.filters) {
      if (!this.shownToAll(caller, key)) continue
      const f = this.sqlFilter(key, wanted)
      if (f) where.push(f)
    }
    return { where: { and: where }, order, narrowFirst: q.sort.length > 0 }
  }

  /**
   * The list pipeline: candidates ─▶ visible (`get_<resource>`) ─▶ filters ─▶ sort ─▶
   * page. In SQL when `sqlPlan` allows it (the database selects what the rule lets
   * through, sorts and pages; filters without a column run on the views of the rows it
   * reads, a chunk at a time), else in memory; both give the same answer.
   *
   * `keep` filters on the policy target, for filters on what the view does not show
   * (a subnet's `shared` is its network's).
   */
  async list(
    caller: Caller,
    q: ListQuery,
    keep?: (target: Record<string, unknown>) => boolean,
  ): Promise<Page> {
    const plan = this.sqlPlan(caller, q)
    if (!plan) return this.listInMemory(caller, q, keep)
    const stored = this.storedPlan(caller, q, keep)
    return stored ? this.listStored(caller, q, plan, stored) : this.listSql(caller, q, plan, keep)
  }

  /**
   * A list that can answer from stored views: the table stores them in this resource's
   * layout, the caller takes JSON, no field selection or tag filter, attribute rules that
   * show this caller all policed attributes or none, and filters that columns decide.
   */
  private storedPlan(
    caller: Caller,
    q: ListQuery,
    keep?: (target: Record<string, unknown>) => boolean,
  ): StoredPlan | undefined {
    const views = this.repo(this.store).views
    if (!views || !q.encoded || keep || this.viewUsesTarget || q.fields || q.tags) return undefined
    const policed = policedAttributes(this.kind.resource, this.kind.attrs)
    if (views.policed.length !== policed.length || policed.some((a, i) => views.policed[i] !== a))
      return undefined
    const plan = this.viewPlan(caller)
    if (plan.check.length) return undefined
    // `drop` is a subset of `policed`: all of them or none.
    if (plan.drop.length !== 0 && plan.drop.length !== policed.length) return undefined
    const cols = this.listColumns()
    const checks: StoredPlan['checks'] = []
    for (const [key, wanted] of q.filters) {
      const c = cols[key]
      if (!c?.exact || !this.shownToAll(caller, key)) return undefined
      checks.push({ col: c.col, wanted })
    }
    return { views, withPoliced: plan.drop.length === 0, checks }
  }

  /**
   * The SQL list answered from stored views: the rows' view bytes are sliced and
   * concatenated, never parsed; rows without a view of this layout (written before it)
   * and rows `decorate` changes are built from their documents as `listSql` does.
   */
  protected async listStored(
    caller: Caller,
    q: ListQuery,
    { where, order, narrowFirst }: SqlPlan,
    { views, withPoliced, checks }: StoredPlan,
  ): Promise<Page> {
    const repo = this.repo(this.store)
    const cols = [...checks.map((c) => c.col), ...this.storedColumns]
    const kept = (cols: Record<string, unknown>) =>
      checks.every((c) => c.wanted.includes(String(cols[c.col])))
    let after: unknown[] | undefined
    if (q.marker) {
      // A marker the caller cannot see, or that the filters leave out, starts from the top.
      const m = await repo.pageViews({ where: { and: [where, { col: 'id', in: [q.marker] }] }, order }, cols)
      const found = m[0]?.id === q.marker ? m[0] : undefined
      if (found && kept(found.cols)) after = found.key
    }
    const items: Uint8Array[][] = []
    const ids: string[] = []
    const sqlLimit = (n: number | undefined) => (n && n <= MAX_SQL_LIMIT ? n : undefined)
    // Column filters decide exactly, so a page reads `limit` rows unless some are dropped
    // (MariaDB's default collation lets the WHERE through more than they keep).
    let chunk = sqlLimit(q.limit)
    for (; ; chunk = sqlLimit(chunk && chunk * 2)) {
      const rows = await repo.pageViews(
        { where, order, narrowFirst, ...(after ? { after } : {}), ...(chunk ? { limit: chunk } : {}) },
        cols,
        this.storedExists,
      )
      let page = rows.filter((r) => kept(r.cols))
      if (q.limit) page = page.slice(0, q.limit - items.length)
      // (A thousand rows at a time: the reads by their ids stay under every dialect's
      // limit on bound parameters, whatever the list's size.)
      for (let from = 0; from < page.length; from += STORED_BATCH)
        await this.storedItems(caller, views, withPoliced, page.slice(from, from + STORED_BATCH), items, ids)
      if (!chunk || rows.length < chunk || (q.limit && items.length >= q.limit)) break
      after = rows[rows.length - 1]!.key
    }
    if (q.pageReverse) {
      items.reverse()
      ids.reverse()
    }
    return { items: [], encoded: items, ...linksOf(ids.length, ids[0], ids[ids.length - 1], q) }
  }

  /** The JSON of these rows, from their stored views (or rebuilt), appended to `items` and `ids`. */
  private async storedItems(
    caller: Caller,
    views: StoredViews,
    withPoliced: boolean,
    page: readonly ViewRow[],
    items: Uint8Array[][],
    ids: string[],
  ): Promise<void> {
    const extras = await this.storedExtras(page)
    if (!extras) throw new Error(`${this.kind.resource}: a table with stored views needs storedExtras`)
    const parts = page.map((r) => (extras.get(r.id) === 'rebuild' ? undefined : views.split(r.view)))
    const rebuilt = await this.rebuiltViews(
      caller,
      page.filter((_, i) => !parts[i]).map((r) => r.id),
    )
    page.forEach((r, i) => {
      const p = parts[i]
      const extra = extras.get(r.id)
      let item: Uint8Array[] | undefined
      if (p) {
        // `{…}` alone, or without its brace and followed by `,…}` parts.
        const [shown, policed] = p
        const more: Uint8Array[] = []
        if (withPoliced && policed.length) more.push(policed)
        if (extra && extra !== 'rebuild') more.push(extra)
        item = more.length ? [shown.subarray(0, -1)] : [shown]
        for (let j = 0; j < more.length; j++)
          item.push(j < more.length - 1 ? more[j]!.subarray(0, -1) : more[j]!)
      } else {
        const b = rebuilt.get(r.id)
        item = b && [b]
      }
      // (A row deleted since the page was read has no document: it is left out.)
      if (!item) return
      items.push(item)
      ids.push(r.id)
    })
  }

  /** The views of these rows built from their documents, as JSON (the stored list's fallback). */
  private async rebuiltViews(caller: Caller, ids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>()
    if (!ids.length) return out
    const docs = await this.repo(this.store).find({ id: [...ids] })
    await this.decorate(docs)
    const plan = this.viewPlan(caller)
    for (const d of docs) out.set(d.id, Buffer.from(JSON.stringify(this.view(caller, d, {}, plan))))
    return out
  }

  /** Every candidate read, its policy evaluated, then filters, sort and page in memory. */
  protected async listInMemory(
    caller: Caller,
    q: ListQuery,
    keep?: (target: Record<string, unknown>) => boolean,
  ): Promise<Page> {
    const docs = await this.candidates(caller, q)
    const targets = await this.targetsFor(caller, docs)
    const visible: Doc[] = []
    const shown: Record<string, unknown>[] = []
    const rule = this.rule('get')
    docs.forEach((d, i) => {
      const t = targets[i]!
      if (caller.allows(rule, t) && (!keep || keep(t))) {
        visible.push(d)
        shown.push(t)
      }
    })
    await this.decorate(visible)
    const plan = this.viewPlan(caller)
    const views = visible.map((d, i) => this.view(caller, d, shown[i]!, plan))
    return paginate(sortDocs(filterDocs(views, q), q), q)
  }

  private async listSql(
    caller: Caller,
    q: ListQuery,
    { where, order, narrowFirst }: SqlPlan,
    keep?: (target: Record<string, unknown>) => boolean,
  ): Promise<Page> {
    const repo = this.repo(this.store)
    const plan = this.viewPlan(caller)
    const needTargets = Boolean(keep) || plan.check.length > 0 || this.viewUsesTarget
    /** The views of rows the database selected, with the filters applied. */
    const views = async (docs: Doc[]): Promise<Doc[]> => {
      let kept = docs
      let targets: Record<string, unknown>[] | undefined
      if (needTargets) {
        targets = await this.targetsFor(caller, docs)
        if (keep) {
          const pairs = docs.map((d, i) => [d, targets![i]!] as const).filter(([, t]) => keep(t))
          kept = pairs.map(([d]) => d)
          targets = pairs.map(([, t]) => t)
        }
      }
      await this.decorate(kept)
      return filterDocs(
        kept.map((d, i) => this.view(caller, d, targets?.[i] ?? {}, plan)),
        q,
      )
    }
    let after: unknown[] | undefined
    if (q.marker) {
      // A marker the caller cannot see, or that the filters leave out, starts from the top.
      const m = await repo.page({ where: { and: [where, { col: 'id', in: [q.marker] }] }, order })
      // (The id compares exactly here: MariaDB's default collation ignores case.)
      const found = m[0]?.doc.id === q.marker ? m[0] : undefined
      if (found && (await views([found.doc])).length) after = found.key
    }
    const items: Doc[] = []
    // Rows are read a page at a time (at least 32), twice as many each time the filters
    // that run on views left the page short, so a sparse filter costs few queries.
    // A limit past what a LIMIT clause holds (`limit=` of 40 digits) reads to the end.
    const sqlLimit = (n: number | undefined) => (n && n <= MAX_SQL_LIMIT ? n : undefined)
    let chunk = sqlLimit(q.limit && Math.max(q.limit, 32))
    for (; ; chunk = sqlLimit(chunk && chunk * 2)) {
      const rows = await repo.page({
        where,
        order,
        narrowFirst,
        ...(after ? { after } : {}),
        ...(chunk ? { limit: chunk } : {}),
      })
      for (const v of await views(rows.map((r) => r.doc))) {
        if (q.limit && items.length >= q.limit) break
        items.push(v)
      }
      if (!chunk || rows.length < chunk || (q.limit && items.length >= q.limit)) break
      after = rows[rows.length - 1]!.key
    }
    if (q.pageReverse) items.reverse()
    return pageOf(items, q)
  }

  /** Checks the attribute rules of the attributes a request sets. */
  protected checkAttributes(
    caller: Caller,
    action: 'create' | 'update',
    given: Record<string, unknown>,
    target: Record<string, unknown>,
    explicit: ReadonlySet<string>,
  ) {
    for (const a of policyAttributes(this.kind.attrs)) {
      if (!explicit.has(a) || !KNOWN_RULES.has(this.rule(action, a))) continue
      const def = this.kind.attrs[a]?.default
      if (action === 'create' && def !== undefined && JSON.stringify(given[a]) === JSON.stringify(def))
        continue
      caller.can(this.rule(action, a), target)
    }
  }

  /**
   * Read-modify-write under the revision: `change` gets the current document and answers
   * the new one; the write succeeds only if nobody changed it meanwhile (retried a few
   * times, then 409).
   */
  protected async modify(
    id: string,
    change: (doc: Doc, s: NetworkStore) => Promise<Doc | undefined> | Doc | undefined,
    s: NetworkStore = this.store,
    bump = true,
  ): Promise<Doc> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const doc = await this.repo(s).get(id)
      if (!doc) throw notFound(this.kind.resource, id)
      const next = await change(structuredClone(doc), s)
      if (!next) return doc
      const expected = Number(doc.revision_number)
      if (bump) {
        next.revision_number = expected + 1
        next.updated_at = now()
      }
      if (await this.repo(s).update(next, expected)) return next
    }
    throw concurrentUpdate('Another request changed the resource at the same time; try again.')
  }

  // --- tags (standard-attr-tag)

  /** The rule that changing tags answers to (the resource's update rule, unless told). */
  protected tagRule(): string {
    return this.rule('update')
  }

  async tags(caller: Caller, id: string): Promise<string[]> {
    const doc = await this.load(caller, id)
    return (doc.tags as string[]) ?? []
  }

  async setTags(
    caller: Caller,
    id: string,
    tags: string[] | ((old: string[]) => string[]),
  ): Promise<string[]> {
    const doc = await this.load(caller, id)
    caller.can(this.tagRule(), await this.target(doc))
    const saved = await this.modify(id, (d) => {
      const next = typeof tags === 'function' ? tags((d.tags as string[]) ?? []) : tags
      d.tags = [...new Set(next)]
      return d
    })
    return saved.tags as string[]
  }
}
