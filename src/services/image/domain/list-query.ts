/**
 * Turns GET /v2/images query parameters into a `ListQuery`, with Glance's rules: old
 * (sort_key/sort_dir) or new (sort=key:dir,...) sort syntax but not both, operator
 * prefixes (`in:`, `gte:`...), and every unknown parameter a custom property filter.
 */
import { InvalidImageInput } from '../errors.js'
import type { ListQuery, SortKey } from '../storage/image.repo.js'
import { MEMBER_STATUSES, type MemberStatus, VISIBILITIES, type Visibility } from './image.js'

export const SORT_KEYS: readonly SortKey[] = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
]
const TIME_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' } as const
const COLUMN_FILTERS = ['name', 'status', 'container_format', 'disk_format', 'id', 'owner'] as const
const PAGING = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir'])

export type RawQuery = Record<string, string | string[] | undefined>

export interface ParsedList extends Omit<ListQuery, 'viewer' | 'marker'> {
  markerId?: string
}

const all = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v]
const one = (v: string | string[] | undefined): string | undefined => {
  const a = all(v)
  return a[a.length - 1]
}

function inList(value: string): string[] {
  if (!value.startsWith('in:')) return [value]
  // NOTE: Glance lets values be quoted to carry commas: in:"a,b",c
  const out: string[] = []
  const re = /"([^"]*)"|([^,]+)/g
  for (let m = re.exec(value.slice(3)); m; m = re.exec(value.slice(3))) out.push(m[1] ?? m[2]!.trim())
  return out
}

function nonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw.trim())) {
    if (name === 'limit')
      throw new InvalidImageInput(
        /^-\d+$/.test(raw.trim()) ? 'limit param must be positive' : 'limit param must be an integer',
      )
    throw new InvalidImageInput(
      `Invalid value '${raw}' for '${name}' filter: must be a non-negative integer.`,
    )
  }
  const n = Number(raw)
  if (!Number.isSafeInteger(n)) throw new InvalidImageInput(`Invalid value '${raw}' for '${name}' filter.`)
  return n
}

function bool(name: string, raw: string): boolean {
  const v = raw.toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw new InvalidImageInput(
    `Invalid value '${raw}' for '${name}' filter. Valid values are 'true' or 'false'.`,
  )
}

function parseSort(q: RawQuery): ParsedList['sort'] {
  const keys = all(q.sort_key)
  const dirs = all(q.sort_dir)
  const sort = one(q.sort)
  if (sort !== undefined && (keys.length > 0 || dirs.length > 0)) {
    throw new InvalidImageInput('Old and new sorting syntax cannot be combined')
  }
  const checkKey = (k: string): SortKey => {
    if (!(SORT_KEYS as readonly string[]).includes(k)) {
      throw new InvalidImageInput(
        `Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`,
      )
    }
    return k as SortKey
  }
  const checkDir = (d: string): 'asc' | 'desc' => {
    if (d !== 'asc' && d !== 'desc') throw new InvalidImageInput(`Invalid sort direction: ${d}`)
    return d
  }
  if (sort !== undefined) {
    return sort.split(',').map((part) => {
      const [k, d, extra] = part.trim().split(':')
      if (extra !== undefined || !k) throw new InvalidImageInput(`Invalid sort value: ${part}`)
      return { key: checkKey(k.trim()), dir: checkDir((d ?? 'desc').trim()) }
    })
  }
  if (keys.length === 0) return [{ key: 'created_at', dir: checkDir(dirs[0] ?? 'desc') }]
  if (dirs.length > 1 && dirs.length !== keys.length) {
    throw new InvalidImageInput('Number of sort dirs does not match the number of sort keys')
  }
  return keys.map((k, i) => ({
    key: checkKey(k),
    dir: checkDir(dirs.length > 1 ? dirs[i]! : (dirs[0] ?? 'desc')),
  }))
}

function parseTime(name: string, raw: string): { op: ListQuery['times'][number]['op']; value: string } {
  const m = /^(gt|gte|lt|lte|eq|neq):(.*)$/.exec(raw)
  const op = m ? TIME_OPS[m[1] as keyof typeof TIME_OPS] : '='
  const text = m ? m[2]! : raw
  const t = Date.parse(text)
  if (Number.isNaN(t))
    throw new InvalidImageInput(
      `Unable to filter on a range with a non-datetime value for '${name}': ${text}`,
    )
  return { op, value: new Date(t).toISOString() }
}

export function parseListQuery(q: RawQuery, defaults: { limit: number; maxLimit: number }): ParsedList {
  const limitRaw = one(q.limit)
  const limit =
    limitRaw === undefined ? defaults.limit : Math.min(nonNegativeInt('limit', limitRaw), defaults.maxLimit)

  const visibility = one(q.visibility)
  if (visibility !== undefined && visibility !== 'all' && !VISIBILITIES.includes(visibility as Visibility)) {
    throw new InvalidImageInput(`Invalid visibility value: ${visibility}`)
  }
  const memberStatus = one(q.member_status) ?? 'accepted'
  if (memberStatus !== 'all' && !MEMBER_STATUSES.includes(memberStatus as MemberStatus)) {
    throw new InvalidImageInput(`Invalid status value: ${memberStatus}`)
  }

  const parsed: ParsedList = {
    visibility: visibility as ParsedList['visibility'],
    memberStatus: memberStatus as ParsedList['memberStatus'],
    columns: [],
    properties: [],
    tags: all(q.tag),
    times: [],
    osHidden: false,
    sort: parseSort(q),
    limit,
    markerId: one(q.marker),
  }
  for (const [name, value] of Object.entries(q)) {
    if (
      value === undefined ||
      PAGING.has(name) ||
      name === 'visibility' ||
      name === 'member_status' ||
      name === 'tag'
    )
      continue
    const v = one(value)!
    if ((COLUMN_FILTERS as readonly string[]).includes(name)) {
      parsed.columns.push({ column: name as (typeof COLUMN_FILTERS)[number], values: inList(v) })
    } else if (name === 'size_min') parsed.sizeMin = nonNegativeInt(name, v)
    else if (name === 'size_max') parsed.sizeMax = nonNegativeInt(name, v)
    else if (name === 'size') parsed.size = nonNegativeInt(name, v)
    else if (name === 'protected') parsed.protected = bool(name, v)
    else if (name === 'os_hidden') parsed.osHidden = bool(name, v)
    else if (name === 'created_at' || name === 'updated_at') {
      for (const raw of all(value)) parsed.times.push({ column: name, ...parseTime(name, raw) })
    } else parsed.properties.push({ name, values: inList(v) })
  }
  return parsed
}
