/**
 * /v2/images and /v2/images/{id}: create, list, show, JSON-patch update, delete, and the
 * deactivate/reactivate actions. Each handler takes the validated body, makes one domain
 * call (which loads the image, hides what the caller may not see and enforces the
 * route's policy) and renders the view.
 */
import type { RawQuery } from '../domain/list-query.js'
import { parsePatch } from '../domain/patch.js'
import { type Handler, params } from './deps.js'
import { imageView, pageLinks } from './views.js'

export const create: Handler = async (req, reply, d) => {
  const image = await d.catalog.create(req.ctx, req.body as Record<string, unknown>)
  reply
    .code(201)
    .header('location', `${d.baseUrl(req)}/v2/images/${image.id}`)
    .header('openstack-image-import-methods', d.importMethods.join(','))
    .header('openstack-image-store-ids', d.data.stores.writable.join(','))
  return imageView(image, false, d.view, d.catalog.seesLocations(req.ctx, image))
}

export const list: Handler = async (req, _reply, d) => {
  const query = (req.query ?? {}) as RawQuery
  const { images, parsed, admin } = await d.catalog.list(req.ctx, query)
  return {
    images: images.map((i) => imageView(i, admin, d.view, d.catalog.seesLocations(req.ctx, i))),
    ...pageLinks(query, images, parsed.limit),
    schema: '/v2/schemas/images',
  }
}

export const show: Handler = async (req, _reply, d) => {
  const { image, admin } = await d.catalog.show(req.ctx, params(req).image_id!)
  return imageView(image, admin, d.view, d.catalog.seesLocations(req.ctx, image))
}

/** The media type (415 otherwise) and the operations' shape were checked by the table. */
export const update: Handler = async (req, _reply, d) => {
  const ops = parsePatch(req.body as readonly Record<string, unknown>[], mediaTypeOf(req.headers))
  const { image, admin } = await d.catalog.update(req.ctx, params(req).image_id!, ops)
  return imageView(image, admin, d.view, d.catalog.seesLocations(req.ctx, image))
}

export const remove: Handler = async (req, reply, d) => {
  const image = await d.catalog.delete(req.ctx, params(req).image_id!)
  await d.data.removeData(image)
  reply.code(204).send()
}

export const deactivate: Handler = async (req, reply, d) => {
  await d.catalog.deactivate(req.ctx, params(req).image_id!)
  reply.code(204).send()
}

export const reactivate: Handler = async (req, reply, d) => {
  await d.catalog.reactivate(req.ctx, params(req).image_id!)
  reply.code(204).send()
}

/** The request's media type, lower case, without parameters. */
export function mediaTypeOf(headers: { 'content-type'?: string }): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}
