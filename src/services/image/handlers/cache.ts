/** /v2/cache and /v2/cache/{image_id} (Glance API v2.14). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HandlerDeps } from './deps.js'

type IdParams = { Params: { image_id: string } }

export const cacheHandlers = (d: HandlerDeps) => ({
  async list(req: FastifyRequest) {
    return d.cache.list(req.ctx)
  },
  async queue(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.cache.queue(req.ctx, req.params.image_id)
    reply.code(202).send()
  },
  async delete(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.cache.remove(req.ctx, req.params.image_id)
    reply.code(204).send()
  },
  async clear(req: FastifyRequest, reply: FastifyReply) {
    const target = req.headers['x-image-cache-clear-target']
    await d.cache.clear(req.ctx, Array.isArray(target) ? target.join(',') : (target ?? ''))
    reply.code(204).send()
  },
})
