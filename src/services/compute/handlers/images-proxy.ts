/**
 * The deprecated image proxy (until 2.35; 404 from 2.36): images and their metadata
 * read from and written to the image service with the user's token, in Nova's older
 * shape (status ACTIVE/SAVING/DELETED/ERROR with a progress, minRam, minDisk, the
 * image's properties as `metadata`, `OS-EXT-IMG-SIZE:size`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ComputeBadRequest, ComputeNotFound, ServerQuotaExceeded } from '../errors.js'
import { bodyOf, type ComputeDeps, itemLinks, params } from './common.js'
import { isoZ } from './server-views.js'

type Raw = Record<string, unknown>

/** Glance's own fields; everything else is a property (Nova's `metadata`). */
const CORE = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'owner',
  'protected',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'locations',
  'direct_url',
  'os_hidden',
  'stores',
  'virtual_size',
  'size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
])

const STATUS: Record<string, [string, number]> = {
  active: ['ACTIVE', 100],
  queued: ['SAVING', 25],
  saving: ['SAVING', 50],
  uploading: ['SAVING', 50],
  importing: ['SAVING', 50],
  deleted: ['DELETED', 0],
  pending_delete: ['DELETED', 0],
  killed: ['ERROR', 0],
  deactivated: ['ERROR', 0],
}

function metadataOf(i: Raw): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(i))
    if (!CORE.has(k) && v !== null && v !== undefined) out[k] = String(v)
  return out
}

function view(req: FastifyRequest, deps: ComputeDeps, i: Raw, detail: boolean) {
  const id = String(i.id)
  const summary = { id, name: i.name ?? null, links: itemLinks(req, deps, 'images', id) }
  if (!detail) return summary
  const [status, progress] = STATUS[String(i.status)] ?? ['UNKNOWN', 0]
  const meta = metadataOf(i)
  return {
    ...summary,
    minRam: Number(i.min_ram ?? 0),
    minDisk: Number(i.min_disk ?? 0),
    metadata: meta,
    created: isoZ(String(i.created_at)),
    updated: isoZ(String(i.updated_at)),
    status,
    progress,
    'OS-EXT-IMG-SIZE:size': i.size ?? null,
    ...(meta.instance_uuid
      ? { server: { id: meta.instance_uuid, links: itemLinks(req, deps, 'servers', meta.instance_uuid) } }
      : {}),
  }
}

async function glance<T>(
  deps: ComputeDeps,
  req: FastifyRequest,
  method: 'GET' | 'DELETE' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<T> {
  const token = req.headers['x-auth-token']
  const res = await deps.imageClient.request(
    {
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...(method === 'PATCH'
        ? { headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' } }
        : {}),
    },
    {
      accept: [400, 403, 404, 409, 413],
      requestId: req.id,
      ...(typeof token === 'string' ? { userToken: token } : {}),
    },
  )
  if (res.status === 404) throw new ComputeNotFound('Image not found.')
  if (res.status === 413) throw new ServerQuotaExceeded('Image metadata limit exceeded')
  if (res.status === 403) throw new ComputeNotFound('Image not found.')
  if (res.status >= 400) throw new ComputeBadRequest(`The image service refused the request (${res.status}).`)
  return res.body as T
}

const imagePath = (req: FastifyRequest) => `/v2/images/${encodeURIComponent(params(req).image_id!)}`

async function list(req: FastifyRequest, deps: ComputeDeps, detail: boolean) {
  const q = req.query as Record<string, string | undefined>
  const query = new URLSearchParams()
  if (q.limit !== undefined) query.set('limit', q.limit)
  if (q.marker !== undefined) query.set('marker', q.marker)
  if (q.name !== undefined) query.set('name', q.name)
  if (q.status !== undefined) {
    const wanted = Object.entries(STATUS).find(([, [s]]) => s === q.status!.toUpperCase())
    if (wanted) query.set('status', wanted[0])
  }
  const body = await glance<{ images: Raw[] }>(deps, req, 'GET', `/v2/images${query.size ? `?${query}` : ''}`)
  let images = body.images
  // NOTE: a server link is taken as its last segment, the server's id (as upstream).
  const server = q.server?.split('/').pop()
  if (server !== undefined) images = images.filter((i) => metadataOf(i).instance_uuid === server)
  if (q.minRam !== undefined) images = images.filter((i) => Number(i.min_ram ?? 0) >= Number(q.minRam))
  if (q.minDisk !== undefined) images = images.filter((i) => Number(i.min_disk ?? 0) >= Number(q.minDisk))
  if (q.type !== undefined) images = images.filter((i) => metadataOf(i).image_type === q.type)
  return { images: images.map((i) => view(req, deps, i, detail)) }
}

export const listImages = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) => list(req, deps, false)
export const listImageDetails = (req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) =>
  list(req, deps, true)

export async function showImage(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { image: view(req, deps, await glance<Raw>(deps, req, 'GET', imagePath(req)), true) }
}

export async function deleteImage(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await glance(deps, req, 'DELETE', imagePath(req))
  return reply.code(204).send()
}

export async function showMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { metadata: metadataOf(await glance<Raw>(deps, req, 'GET', imagePath(req))) }
}

export async function showMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const key = params(req).key!
  const meta = metadataOf(await glance<Raw>(deps, req, 'GET', imagePath(req)))
  if (meta[key] === undefined) throw new ComputeNotFound('Image not found.')
  return { meta: { [key]: meta[key] } }
}

/** Writes properties through a JSON patch (add replaces an existing one). */
async function patch(req: FastifyRequest, deps: ComputeDeps, set: Record<string, string>, remove: string[]) {
  const ops = [
    ...remove.map((k) => ({ op: 'remove', path: `/${k}` })),
    ...Object.entries(set).map(([k, v]) => ({ op: 'add', path: `/${k}`, value: v })),
  ]
  if (ops.length === 0) return metadataOf(await glance<Raw>(deps, req, 'GET', imagePath(req)))
  return metadataOf(await glance<Raw>(deps, req, 'PATCH', imagePath(req), ops))
}

export async function updateMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { metadata: await patch(req, deps, bodyOf(req).metadata, []) }
}

export async function replaceMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const current = metadataOf(await glance<Raw>(deps, req, 'GET', imagePath(req)))
  const wanted = bodyOf(req).metadata as Record<string, string>
  const remove = Object.keys(current).filter((k) => !(k in wanted))
  return { metadata: await patch(req, deps, wanted, remove) }
}

export async function setMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const key = params(req).key!
  const meta = bodyOf(req).meta as Record<string, string>
  if (!(key in meta)) throw new ComputeBadRequest('Request body and URI mismatch')
  await patch(req, deps, { [key]: meta[key]! }, [])
  return { meta: { [key]: meta[key] } }
}

export async function deleteMetadataItem(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const key = params(req).key!
  const meta = metadataOf(await glance<Raw>(deps, req, 'GET', imagePath(req)))
  if (meta[key] === undefined) throw new ComputeNotFound('Image not found.')
  await patch(req, deps, {}, [key])
  return reply.code(204).send()
}
