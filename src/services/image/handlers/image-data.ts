/**
 * /v2/images/{id}/file (upload, download with ranges), /stage, /import and /tasks.
 */
import type { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import { UnsupportedMediaType } from '../../../kernel/errors/index.js'
import type { ImportRequest } from '../domain/imports.js'
import { type Handler, params } from './deps.js'
import { taskView } from './views.js'

function rawBody(req: FastifyRequest): Readable {
  const body = req.body as Readable | undefined
  if (!body || typeof (body as Readable).pipe !== 'function') {
    throw new UnsupportedMediaType(
      `The request media type ${req.headers['content-type'] ?? ''} is not supported by this server.`,
    )
  }
  return body
}

function contentLength(req: FastifyRequest): number | undefined {
  const raw = req.headers['content-length']
  return raw === undefined ? undefined : Number(raw)
}

/** X-Image-Meta-Store: the store an upload goes to (the default store when absent). */
function storeHeader(req: FastifyRequest): string | undefined {
  const raw = req.headers['x-image-meta-store']
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined
}

export const upload: Handler = async (req, reply, d) => {
  await d.data.upload(req.ctx, params(req).image_id!, rawBody(req), contentLength(req), storeHeader(req))
  reply.code(204).send()
}

export const download: Handler = async (req, reply, d) => {
  const range = req.headers.range
  const { image, stream, range: r } = await d.data.download(req.ctx, params(req).image_id!, range)
  if (!stream) return reply.code(204).send()
  reply.header('content-type', 'application/octet-stream')
  if (image.checksum) reply.header('content-md5', image.checksum)
  if (r) {
    reply
      .code(206)
      .header('content-range', `bytes ${r.start}-${r.end}/${image.size}`)
      .header('content-length', r.end - r.start + 1)
  } else {
    reply.code(200).header('content-length', image.size!)
  }
  return reply.send(stream)
}

export const stage: Handler = async (req, reply, d) => {
  await d.data.stage(req.ctx, params(req).image_id!, rawBody(req), contentLength(req))
  reply.code(204).send()
}

export const importImage: Handler = async (req, reply, d) => {
  const body = { ...(req.body as ImportRequest) }
  // NOTE: the header names the one store, as Glance reads it, unless the body names some.
  const header = storeHeader(req)
  if (header !== undefined && body.stores === undefined && body.all_stores === undefined)
    body.stores = [header]
  await d.imports.start(req.ctx, params(req).image_id!, body, req.id)
  reply.code(202).send()
}

/** DELETE /v2/stores/{store_id}/{image_id}: the image's data in one store (not its last). */
export const deleteFromStore: Handler = async (req, reply, d) => {
  const p = params(req)
  await d.data.deleteFromStore(req.ctx, p.store_id!, p.image_id!)
  reply.code(204).send()
}

export const tasks: Handler = async (req, _reply, d) => {
  const list = await d.data.tasks(req.ctx, params(req).image_id!)
  return { tasks: list.map(taskView) }
}
