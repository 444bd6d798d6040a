/**
 * /v2/images and /v2/images/{id}: create, list, show, JSON-patch update, delete, and the
 * deactivate/reactivate actions.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RawQuery } from '../domain/list-query.js'
import { PATCH_MEDIA_TYPES, parsePatch } from '../domain/patch.js'
import { UnsupportedPatchMedia } from '../errors.js'
import type { HandlerDeps } from './deps.js'
import { imageView, pageLinks } from './views.js'

type IdParams = { Params: { image_id: string } }

export const imageHandlers = (d: HandlerDeps) => ({
  async create(req: FastifyRequest, reply: FastifyReply) {
    const image = await d.catalog.create(req.ctx, req.body)
    reply
      .code(201)
      .header('location', `${d.baseUrl(req)}/v2/images/${image.id}`)
      .header('openstack-image-import-methods', d.importMethods.join(','))
      .header('openstack-image-store-ids', d.view.storeId)
    return imageView(image, false, d.view)
  },

  async list(req: FastifyRequest<{ Querystring: RawQuery }>) {
    const { images, parsed, admin } = await d.catalog.list(req.ctx, req.query ?? {})
    return {
      images: images.map((i) => imageView(i, admin, d.view)),
      ...pageLinks(req.query ?? {}, images, parsed.limit),
      schema: '/v2/schemas/images',
    }
  },

  async show(req: FastifyRequest<IdParams>) {
    const { image, admin } = await d.catalog.show(req.ctx, req.params.image_id)
    return imageView(image, admin, d.view)
  },

  async update(req: FastifyRequest<IdParams>) {
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!PATCH_MEDIA_TYPES.includes(mediaType)) throw new UnsupportedPatchMedia(mediaType)
    const { image, admin } = await d.catalog.update(
      req.ctx,
      req.params.image_id,
      parsePatch(req.body, mediaType),
    )
    return imageView(image, admin, d.view)
  },

  async delete(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    const image = await d.catalog.delete(req.ctx, req.params.image_id)
    await d.data.removeData(image)
    reply.code(204).send()
  },

  async deactivate(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.catalog.deactivate(req.ctx, req.params.image_id)
    reply.code(204).send()
  },

  async reactivate(req: FastifyRequest<IdParams>, reply: FastifyReply) {
    await d.catalog.reactivate(req.ctx, req.params.image_id)
    reply.code(204).send()
  },
})
