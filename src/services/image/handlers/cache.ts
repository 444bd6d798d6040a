/** /v2/cache and /v2/cache/{image_id} (Glance API v2.14). */
import { type Handler, params } from './deps.js'

/** cache_list is enforced by the route table. */
export const list: Handler = async (_req, _reply, d) => d.cache.list()

export const queue: Handler = async (req, reply, d) => {
  await d.cache.queue(req.ctx, params(req).image_id!)
  reply.code(202).send()
}

export const remove: Handler = async (req, reply, d) => {
  await d.cache.remove(req.ctx, params(req).image_id!)
  reply.code(204).send()
}

/** cache_delete is enforced by the route table. */
export const clear: Handler = async (req, reply, d) => {
  const target = req.headers['x-image-cache-clear-target']
  await d.cache.clear(Array.isArray(target) ? target.join(',') : (target ?? ''))
  reply.code(204).send()
}
