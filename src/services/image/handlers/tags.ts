/** /v2/images/{id}/tags/{tag}. */
import { type Handler, params } from './deps.js'

export const add: Handler = async (req, reply, d) => {
  const p = params(req)
  await d.catalog.addTag(req.ctx, p.image_id!, p.tag!)
  reply.code(204).send()
}

export const remove: Handler = async (req, reply, d) => {
  const p = params(req)
  await d.catalog.deleteTag(req.ctx, p.image_id!, p.tag!)
  reply.code(204).send()
}
