/** /v2/images/{id}/tags/{tag}. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HandlerDeps } from './deps.js'

type Params = { Params: { image_id: string; tag: string } }

export const tagHandlers = (d: HandlerDeps) => ({
  async add(req: FastifyRequest<Params>, reply: FastifyReply) {
    await d.catalog.addTag(req.ctx, req.params.image_id, req.params.tag)
    reply.code(204).send()
  },
  async delete(req: FastifyRequest<Params>, reply: FastifyReply) {
    await d.catalog.deleteTag(req.ctx, req.params.image_id, req.params.tag)
    reply.code(204).send()
  },
})
