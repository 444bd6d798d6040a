/**
 * /resource_classes and /resource_classes/{name} (1.2; PUT creates without a body from 1.7).
 */
import type { NamedRecord } from '../domain/model.js'
import { PlacementBadRequest } from '../errors.js'
import { cacheHeaders, newest } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { validate } from '../schemas/validation.js'
import { type Handler, input, params } from './handler.js'
import { resourceClassView } from './views.js'

const CUSTOM_CLASS = { type: 'string', pattern: S.CUSTOM_PATTERN, maxLength: 255 } as const
const lastModifiedOf = (r: NamedRecord) => r.updatedAt ?? r.createdAt

export const listResourceClasses: Handler = async (req, reply, d) => {
  const s = await d.pl.state()
  const list = [...s.resourceClasses.values()].sort((a, b) => a.id - b.id)
  cacheHeaders(req, reply, newest(...list.map(lastModifiedOf)))
  return { resource_classes: list.map((r) => resourceClassView(d.prefix, r)) }
}

export const createResourceClass: Handler = async (req, reply, d) => {
  const b = input<{ name: string }>(req)
  await d.pl.resourceClasses.create(b.name)
  reply.header('location', `${d.prefix}/resource_classes/${b.name}`)
  return reply.code(201).send()
}

export const showResourceClass: Handler = async (req, reply, d) => {
  const r = await d.pl.resourceClass(params(req).name)
  cacheHeaders(req, reply, lastModifiedOf(r))
  return resourceClassView(d.prefix, r)
}

/** 1.2-1.6: renames a custom class. */
export const updateResourceClass: Handler = async (req, reply, d) => {
  const b = input<{ name: string }>(req)
  await d.pl.resourceClasses.update(params(req).name, b.name)
  const r = (await d.pl.state()).resourceClasses.get(b.name)!
  return reply.send(resourceClassView(d.prefix, r))
}

/** 1.7 on: creates the custom class named in the path unless it exists. */
export const ensureResourceClass: Handler = async (req, reply, d) => {
  const name = params(req).name
  const bad = validate(name, CUSTOM_CLASS)
  if (bad) {
    throw new PlacementBadRequest(
      `JSON does not validate: ${bad.message}\n\nFailed validating '${bad.keyword}' in schema['properties']['name']`,
    )
  }
  reply.header('location', `${d.prefix}/resource_classes/${name}`)
  // NOTE: no cache headers here, as upstream (last-modified is for GETs).
  const created = await d.pl.resourceClasses.ensure(name)
  return reply.code(created ? 201 : 204).send()
}

export const deleteResourceClass: Handler = async (req, reply, d) => {
  await d.pl.resourceClasses.delete(params(req).name)
  return reply.code(204).send()
}
