/**
 * /v2/images/{id}/file (upload, download with ranges), /stage, /import and /tasks.
 */
import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { UnsupportedMediaType } from '../../../kernel/errors/index.js'
import type { HandlerDeps } from './deps.js'
import { taskView } from './views.js'

type IdParams = { Params: { image_id: string } }

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

export const imageDataHandlers = (d: HandlerDeps) => ({
  async upload(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.data.upload(req.ctx, req.params.image_id, rawBody(req), contentLength(req))
    reply.code(204).send()
  },

  async download(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    const range = req.headers.range
    const { image, stream, range: r } = await d.data.download(req.ctx, req.params.image_id, range)
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
  },

  async stage(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.data.stage(req.ctx, req.params.image_id, rawBody(req), contentLength(req))
    reply.code(204).send()
  },

  async import(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.data.import(req.ctx, req.params.image_id, req.body, req.id)
    reply.code(202).send()
  },

  async tasks(req: FastifyRequest<IdParams>) {
    const tasks = await d.data.tasks(req.ctx, req.params.image_id)
    return { tasks: tasks.map(taskView) }
  },
})
