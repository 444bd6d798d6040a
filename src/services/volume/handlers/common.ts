/**
 * What every block storage handler shares: the domain objects (`VolumeDeps`), the
 * caller as the domain sees it, links as Cinder builds them, and query parsing
 * (Cinder's bools, sort keys, limit/marker/offset).
 */

import type { FastifyRequest } from 'fastify'
import type { ImageSource } from '../clients/image.js'
import type { VolumeConfig } from '../config.js'
import type { Attachments } from '../domain/attachments.js'
import type { Backups } from '../domain/backups.js'
import type { Caller } from '../domain/caller.js'
import type { Groups, GroupTypes } from '../domain/groups.js'
import type { VolumeManage } from '../domain/manage.js'
import type { UserMessages } from '../domain/messages.js'
import type { VolumeMoves } from '../domain/moves.js'
import type { QosSpecs } from '../domain/qos.js'
import type { Quotas } from '../domain/quotas.js'
import type { VolumeServices } from '../domain/services.js'
import type { Snapshots } from '../domain/snapshots.js'
import type { Transfers } from '../domain/transfers.js'
import type { TypeEncryption, VolumeTypes } from '../domain/types.js'
import type { VolumeUploads } from '../domain/uploads.js'
import type { Volumes } from '../domain/volumes.js'
import type { WorkersCleanup } from '../domain/workers.js'
import { InvalidInput } from '../errors.js'
import { VOLUME } from '../policies/index.js'

export interface VolumeDeps {
  config: VolumeConfig
  /** The mount point, e.g. `/volume`. */
  prefix: string
  volumes: Volumes
  snapshots: Snapshots
  types: VolumeTypes
  quotas: Quotas
  attachments: Attachments
  services: VolumeServices
  transfers: Transfers
  qos: QosSpecs
  messages: UserMessages
  encryption: TypeEncryption
  /** The image service, for volumes created from an image. */
  images: ImageSource
  backups: Backups
  groupTypes: GroupTypes
  groups: Groups
  uploads: VolumeUploads
  moves: VolumeMoves
  workers: WorkersCleanup
  manage: VolumeManage
}

export function callerOf(req: FastifyRequest): Caller {
  const who = req.ctx.who
  return {
    userId: who.user_id,
    projectId: who.project_id ?? '',
    isAdmin: req.ctx.allows('context_is_admin'),
  }
}

/** Route params, typed. */
export const params = (req: FastifyRequest) => req.params as Record<string, string>
// biome-ignore lint/suspicious/noExplicitAny: bodies are validated against their schema before handlers read them
export const bodyOf = (req: FastifyRequest) => req.body as any
/** Each query parameter's last value. */
export function queryOf(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[]>))
    out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v)
  return out
}

/** `http://host[:port]/volume` from `[DEFAULT] public_endpoint` or the request. */
export function serviceUrl(req: FastifyRequest, deps: VolumeDeps): string {
  const configured = deps.config.DEFAULT.public_endpoint
  const host = configured
    ? configured.replace(/\/+$/, '')
    : `${req.protocol}://${req.headers.host ?? 'localhost'}`
  return `${host}${deps.prefix}`
}

/** The project segment of the request's URL (`/v3/<project>/...`), when it has one. */
export function urlProject(req: FastifyRequest): string | undefined {
  return params(req).url_project
}

/** An item's self and bookmark links, with the project as Cinder writes them. */
export function itemLinks(
  req: FastifyRequest,
  deps: VolumeDeps,
  collection: string,
  id: string,
  projectId: string,
) {
  const base = serviceUrl(req, deps)
  return [
    { rel: 'self', href: `${base}/v3/${projectId}/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${projectId}/${collection}/${id}` },
  ]
}

/** The `next` link of a full page: the request's own path and query with the new marker. */
export function nextLinks(
  req: FastifyRequest,
  deps: VolumeDeps,
  items: readonly { id: string }[],
  limit: number | undefined,
): { rel: string; href: string }[] | undefined {
  const max = deps.config.DEFAULT.osapi_max_limit
  const full =
    limit !== undefined ? items.length === Math.min(limit, max) && items.length > 0 : items.length === max
  if (!full) return undefined
  const last = items[items.length - 1]!
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, string | string[]>)) {
    if (k === 'marker') continue
    for (const one of [v].flat()) q.append(k, String(one))
  }
  q.append('marker', last.id)
  const path = (req.url.split('?')[0] ?? '').replace(/^\/+/, '/')
  const base = serviceUrl(req, deps).replace(deps.prefix, '')
  return [{ rel: 'next', href: `${base}${path}?${q.toString()}` }]
}

/** Cinder's strict bool parsing of query and body values. */
export function parseBool(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value
  const s = String(value).trim().toLowerCase()
  if (['true', '1', 'yes', 'y', 'on', 't'].includes(s)) return true
  if (['false', '0', 'no', 'n', 'off', 'f'].includes(s)) return false
  throw new InvalidInput(`Invalid value '${value}' for ${name}: must be a boolean.`)
}

export function parseLimitOffset(
  q: Record<string, string>,
  max: number,
): { limit?: number; offset?: number } {
  const out: { limit?: number; offset?: number } = {}
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(q.limit)) throw new InvalidInput('limit param must be an integer')
    out.limit = Math.min(Number(q.limit), max)
  } else out.limit = max
  if (q.offset !== undefined) {
    if (!/^\d+$/.test(q.offset)) throw new InvalidInput('offset param must be an integer')
    out.offset = Number(q.offset)
  }
  return out
}

/** `sort=key[:dir],...` or `sort_key`/`sort_dir`; default created_at desc, id desc. */
export function parseSort<K extends string>(
  q: Record<string, string>,
  columns: Readonly<Record<string, K>>,
): { key: K; dir: 'asc' | 'desc' }[] {
  const pairs: [string, string][] = []
  if (q.sort !== undefined) {
    if (q.sort_key !== undefined || q.sort_dir !== undefined)
      throw new InvalidInput(
        "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
      )
    for (const part of q.sort.split(',')) {
      const [key, dir] = part.trim().split(':')
      pairs.push([key!.trim(), (dir ?? 'desc').trim().toLowerCase()])
    }
  } else if (q.sort_key !== undefined) {
    pairs.push([q.sort_key, (q.sort_dir ?? 'desc').toLowerCase()])
  }
  const out: { key: K; dir: 'asc' | 'desc' }[] = []
  for (const [key, dir] of pairs) {
    const column = columns[key]
    if (!column) throw new InvalidInput(`Invalid sort key: ${key}`)
    if (dir !== 'asc' && dir !== 'desc')
      throw new InvalidInput(`Unknown sort direction, must be 'desc' or 'asc'`)
    out.push({ key: column, dir })
  }
  const dflt = out[0]?.dir ?? 'desc'
  for (const k of ['created_at', 'id'] as const) {
    const c = columns[k]
    if (c && !out.some((o) => o.key === c)) out.push({ key: c, dir: dflt })
  }
  return out
}

/** Cinder's metadata query value: a dict as JSON or as a Python literal. */
export function parseMetadataFilter(text: string): Record<string, string> {
  const attempts = [text, text.replace(/'/g, '"').replace(/\bu"/g, '"')]
  for (const t of attempts) {
    try {
      const v = JSON.parse(t) as unknown
      if (v && typeof v === 'object' && !Array.isArray(v))
        return Object.fromEntries(
          Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]),
        )
    } catch {
      // try the next form
    }
  }
  throw new InvalidInput(`Invalid metadata filter: ${text}`)
}

/** Whether the caller sees admin-only volume attributes. */
export const seesHost = (req: FastifyRequest) => req.ctx.allows(VOLUME.HOST_ATTRIBUTE)
