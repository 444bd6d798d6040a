/**
 * Neutron's list query: filters on any attribute (`?name=a&name=b`, `admin_state_up=true`,
 * `fixed_ips=ip_address=10.0.0.3`), tag filters (tags, tags-any, not-tags, not-tags-any),
 * sorting (`sort_key`/`sort_dir` pairs), pagination (`limit`, `marker`, `page_reverse`)
 * and `fields`. Rules only; the handler turns the page into links.
 */
import { badRequest, invalidFilter } from '../errors.js'
import type { AttrMap } from '../schemas/attributes.js'
import type { Doc } from '../storage/index.js'

export type RawQuery = Record<string, string | string[] | undefined>

export interface ListQuery {
  filters: Map<string, string[]>
  tags?: { all?: string[]; any?: string[]; notAll?: string[]; notAny?: string[] }
  sort: { key: string; dir: 'asc' | 'desc' }[]
  limit?: number
  marker?: string
  pageReverse: boolean
  fields?: string[]
  /**
   * The caller takes the items as JSON (`Page.encoded`) when the list can answer from
   * stored views; else (and always when unset) as documents.
   */
  encoded?: boolean
}

const RESERVED = new Set([
  'fields',
  'sort_key',
  'sort_dir',
  'limit',
  'marker',
  'page_reverse',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  'verbose',
])

const many = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v]

/** Reads a raw query string object; unknown filter names are a 400 (filter-validation). */
export function parseListQuery(
  raw: RawQuery,
  attrs: AttrMap,
  extraFilters: readonly string[] = [],
): ListQuery {
  const filters = new Map<string, string[]>()
  for (const [k, v] of Object.entries(raw)) {
    if (RESERVED.has(k)) continue
    if (!(k in attrs) && !extraFilters.includes(k)) throw invalidFilter(k)
    filters.set(k, many(v))
  }
  const split = (k: string) => {
    const vals = many(raw[k])
      .flatMap((s) => s.split(','))
      .filter((s) => s !== '')
    return vals.length ? vals : undefined
  }
  const tags = {
    all: split('tags'),
    any: split('tags-any'),
    notAll: split('not-tags'),
    notAny: split('not-tags-any'),
  }
  const keys = many(raw.sort_key)
  const dirs = many(raw.sort_dir)
  if (dirs.length && dirs.length !== keys.length)
    throw badRequest('The number of sort_keys and sort_dirs must be same')
  const sort = keys.map((key, i) => {
    if (!(key in attrs)) throw badRequest(`${key} is an invalid attribute for sort_keys`)
    const dir = (dirs[i] ?? 'asc').toLowerCase()
    if (dir !== 'asc' && dir !== 'desc')
      throw badRequest(`${dirs[i]} is an invalid value for sort_dirs, valid values are 'asc' and 'desc'`)
    return { key, dir: dir as 'asc' | 'desc' }
  })
  let limit: number | undefined
  const lim = many(raw.limit)[0]
  if (lim !== undefined) {
    if (!/^\d+$/.test(lim)) throw badRequest(`Limit must be an integer 0 or greater and not '${lim}'`)
    limit = Number(lim) || undefined
  }
  const fields = many(raw.fields)
    .flatMap((f) => f.split(','))
    .filter(Boolean)
  const pr = many(raw.page_reverse)[0]
  return {
    filters,
    ...(Object.values(tags).some(Boolean) ? { tags } : {}),
    sort,
    ...(limit ? { limit } : {}),
    ...(many(raw.marker)[0] ? { marker: many(raw.marker)[0]! } : {}),
    pageReverse: pr !== undefined && ['true', '1'].includes(pr.toLowerCase()),
    ...(fields.length ? { fields } : {}),
  }
}

/** Whether one attribute value matches one filter value, as Neutron converts it. */
function matches(value: unknown, wanted: string, key: string): boolean {
  if (Array.isArray(value)) {
    if (key === 'fixed_ips' || key === 'allowed_address_pairs') {
      const [k, val] = wanted.includes('=') ? wanted.split(/=(.*)/s) : ['ip_address', wanted]
      // ip-substring-filtering: `fixed_ips=ip_address_substr=10.0.0`.
      if (k === 'ip_address_substr')
        return value.some(
          (e) =>
            e && typeof e === 'object' && String((e as Record<string, unknown>).ip_address).includes(val!),
        )
      return value.some(
        (e) => e && typeof e === 'object' && String((e as Record<string, unknown>)[k!]) === val,
      )
    }
    return value.some((e) => String(e) === wanted)
  }
  if (typeof value === 'boolean') {
    const w = wanted.toLowerCase()
    return value === (w === 'true' || w === '1')
  }
  if (value === null || value === undefined) return wanted === '' || wanted === 'None' || wanted === 'null'
  if (typeof value === 'object') return false
  return String(value) === wanted
}

export function filterDocs(docs: Doc[], q: ListQuery): Doc[] {
  let out = docs
  for (const [key, wanted] of q.filters) {
    if (key === 'fixed_ips') {
      // Each fixed_ips filter must match one of the port's addresses.
      out = out.filter((d) => wanted.every((w) => matches(d[key], w, key)))
      continue
    }
    out = out.filter((d) => wanted.some((w) => matches(d[key], w, key)))
  }
  const t = q.tags
  if (t) {
    const tagsOf = (d: Doc) => new Set((d.tags as string[] | undefined) ?? [])
    if (t.all) out = out.filter((d) => t.all!.every((x) => tagsOf(d).has(x)))
    if (t.any) out = out.filter((d) => t.any!.some((x) => tagsOf(d).has(x)))
    if (t.notAll) out = out.filter((d) => !t.notAll!.every((x) => tagsOf(d).has(x)))
    if (t.notAny) out = out.filter((d) => !t.notAny!.some((x) => tagsOf(d).has(x)))
  }
  return out
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

export function sortDocs(docs: Doc[], q: ListQuery): Doc[] {
  if (!q.sort.length) return docs
  const keys = [...q.sort, { key: 'id', dir: 'asc' as const }]
  return [...docs].sort((a, b) => {
    for (const { key, dir } of keys) {
      const c = compare(a[key], b[key])
      if (c) return dir === 'asc' ? c : -c
    }
    return 0
  })
}

export interface Page {
  items: Doc[]
  /**
   * The items as UTF-8 JSON, each in pieces to concatenate, when the list answered from
   * stored views (only if the query asked for `encoded`); `items` is then empty.
   */
  encoded?: Uint8Array[][]
  /** The marker of the next page, when there is one ('' for a link without a marker). */
  next?: string
  /** The marker of the previous page, when there is one ('' for a link without a marker). */
  previous?: string
}

/**
 * One page of sorted items after `marker` (before it with page_reverse). Links as
 * upstream's: a full page links onward (the page after the last full one is empty and
 * has no onward link), a page reached through a marker links back; an empty page links
 * back without a marker, so walking back starts from the end.
 */
export function paginate(docs: Doc[], q: ListQuery): Page {
  if (!q.limit && !q.marker) return { items: docs }
  let start = 0
  let list = docs
  if (q.pageReverse) list = [...docs].reverse()
  if (q.marker) {
    const i = list.findIndex((d) => d.id === q.marker)
    start = i < 0 ? 0 : i + 1
  }
  const end = q.limit ? start + q.limit : list.length
  const items = list.slice(start, end)
  if (q.pageReverse) items.reverse()
  return pageOf(items, q)
}

/** A page of items (in the order shown) with its links, as `paginate` makes them. */
export function pageOf(items: Doc[], q: ListQuery): Page {
  return { items, ...linksOf(items.length, items[0]?.id, items[items.length - 1]?.id, q) }
}

/** The markers of a page's links, from its item count and its first and last ids. */
export function linksOf(
  count: number,
  firstId: string | undefined,
  lastId: string | undefined,
  q: ListQuery,
): { next?: string; previous?: string } {
  if (!q.limit && !q.marker) return {}
  const full = q.limit !== undefined && count === q.limit
  const page: { next?: string; previous?: string } = {}
  const first = firstId ?? ''
  const last = lastId ?? ''
  if (q.pageReverse) {
    if (full) page.previous = first
    if (q.marker) page.next = last
  } else {
    if (full) page.next = last
    if (q.marker) page.previous = first
  }
  return page
}

/** Keeps only the asked-for fields of a view. */
export function pickFields(
  doc: Record<string, unknown>,
  fields?: readonly string[],
): Record<string, unknown> {
  if (!fields) return doc
  const out: Record<string, unknown> = {}
  for (const f of fields) if (f in doc) out[f] = doc[f]
  return out
}
