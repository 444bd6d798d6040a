/**
 * /v2/metadefs/*: namespaces, their objects, properties, tags and resource-type
 * associations, and the resource types.
 */
import type { RawQuery } from '../domain/metadefs.js'
import type {
  AssociationBody,
  NamespaceBody,
  ObjectBody,
  PropertyBody,
  TagBody,
  TagsBody,
} from '../schemas/metadef-input.js'
import { type Handler, params } from './deps.js'
import {
  associationView,
  namespaceView,
  objectView,
  propertiesView,
  propertyView,
  resourceTypeView,
  tagView,
} from './metadef-views.js'

const qs = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v)
const nsHref = (name: string) => `/v2/metadefs/namespaces/${encodeURI(name)}`

export const listNamespaces: Handler = async (req, _reply, d) => {
  const query = (req.query ?? {}) as RawQuery
  const { namespaces, next } = await d.metadefs.listNamespaces(req.ctx, query)
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (k !== 'marker' && v !== undefined) search.append(k, qs(v) as string)
  const first = search.size > 0 ? `/v2/metadefs/namespaces?${search}` : '/v2/metadefs/namespaces'
  const out: Record<string, unknown> = {
    namespaces: namespaces.map(namespaceView),
    first,
    schema: '/v2/schemas/metadefs/namespaces',
  }
  if (next !== undefined) {
    search.set('marker', next)
    out.next = `/v2/metadefs/namespaces?${search}`
  }
  return out
}
export const createNamespace: Handler = async (req, reply, d) => {
  const ns = await d.metadefs.createNamespace(req.ctx, req.body as NamespaceBody)
  reply.code(201).header('location', `${d.baseUrl(req)}${nsHref(ns.namespace.namespace)}`)
  return namespaceView(ns)
}
export const showNamespace: Handler = async (req, _reply, d) => {
  return namespaceView(
    await d.metadefs.showNamespace(
      req.ctx,
      params(req).namespace!,
      qs((req.query as RawQuery | undefined)?.resource_type),
    ),
  )
}
export const updateNamespace: Handler = async (req, _reply, d) => {
  return namespaceView(
    await d.metadefs.updateNamespace(req.ctx, params(req).namespace!, req.body as NamespaceBody),
  )
}
export const deleteNamespace: Handler = async (req, reply, d) => {
  await d.metadefs.deleteNamespace(req.ctx, params(req).namespace!)
  reply.code(204).send()
}

/** list_metadef_resource_types is enforced by the route table. */
export const listResourceTypes: Handler = async (_req, _reply, d) => {
  return { resource_types: (await d.metadefs.listResourceTypes()).map(resourceTypeView) }
}
export const listAssociations: Handler = async (req, _reply, d) => {
  const list = await d.metadefs.listAssociations(req.ctx, params(req).namespace!)
  return { resource_type_associations: list.map(associationView) }
}
export const createAssociation: Handler = async (req, reply, d) => {
  const a = await d.metadefs.createAssociation(req.ctx, params(req).namespace!, req.body as AssociationBody)
  reply.code(201)
  return associationView(a)
}
export const deleteAssociation: Handler = async (req, reply, d) => {
  await d.metadefs.deleteAssociation(req.ctx, params(req).namespace!, params(req).name!)
  reply.code(204).send()
}

export const listObjects: Handler = async (req, _reply, d) => {
  const ns = params(req).namespace!
  const objects = await d.metadefs.listObjects(req.ctx, ns)
  return { objects: objects.map((o) => objectView(ns, o)), schema: 'v2/schemas/metadefs/objects' }
}
export const createObject: Handler = async (req, reply, d) => {
  const ns = params(req).namespace!
  const o = await d.metadefs.createObject(req.ctx, ns, req.body as ObjectBody)
  reply.code(201).header('location', `${d.baseUrl(req)}${nsHref(ns)}/objects/${encodeURI(o.name)}`)
  return objectView(ns, o)
}
export const showObject: Handler = async (req, _reply, d) => {
  const { namespace, name } = params(req) as { namespace: string; name: string }
  return objectView(namespace, await d.metadefs.showObject(req.ctx, namespace, name))
}
export const updateObject: Handler = async (req, _reply, d) => {
  const { namespace, name } = params(req) as { namespace: string; name: string }
  return objectView(
    namespace,
    await d.metadefs.updateObject(req.ctx, namespace, name, req.body as ObjectBody),
  )
}
export const deleteObject: Handler = async (req, reply, d) => {
  await d.metadefs.deleteObject(req.ctx, params(req).namespace!, params(req).name!)
  reply.code(204).send()
}
export const deleteObjects: Handler = async (req, reply, d) => {
  await d.metadefs.deleteNamespaceContent(req.ctx, params(req).namespace!, 'objects')
  reply.code(204).send()
}

export const listProperties: Handler = async (req, _reply, d) => {
  return { properties: propertiesView(await d.metadefs.listProperties(req.ctx, params(req).namespace!)) }
}
export const createProperty: Handler = async (req, reply, d) => {
  const p = await d.metadefs.createProperty(req.ctx, params(req).namespace!, req.body as PropertyBody)
  reply.code(201)
  return propertyView(p)
}
export const showProperty: Handler = async (req, _reply, d) => {
  const { namespace, name } = params(req) as { namespace: string; name: string }
  return propertyView(
    await d.metadefs.showProperty(
      req.ctx,
      namespace,
      name,
      qs((req.query as RawQuery | undefined)?.resource_type),
    ),
  )
}
export const updateProperty: Handler = async (req, _reply, d) => {
  const { namespace, name } = params(req) as { namespace: string; name: string }
  return propertyView(await d.metadefs.updateProperty(req.ctx, namespace, name, req.body as PropertyBody))
}
export const deleteProperty: Handler = async (req, reply, d) => {
  await d.metadefs.deleteProperty(req.ctx, params(req).namespace!, params(req).name!)
  reply.code(204).send()
}
export const deleteProperties: Handler = async (req, reply, d) => {
  await d.metadefs.deleteNamespaceContent(req.ctx, params(req).namespace!, 'properties')
  reply.code(204).send()
}

export const listTags: Handler = async (req, _reply, d) => {
  return {
    tags: (await d.metadefs.listTags(req.ctx, params(req).namespace!, (req.query ?? {}) as RawQuery)).map(
      tagView,
    ),
  }
}
export const createTags: Handler = async (req, reply, d) => {
  const append = /^(1|true|on|yes|y)$/i.test(String(req.headers['x-openstack-append'] ?? ''))
  const names = await d.metadefs.createTags(req.ctx, params(req).namespace!, req.body as TagsBody, append)
  reply.code(201)
  return { tags: names.map((name) => ({ name })) }
}
export const deleteTags: Handler = async (req, reply, d) => {
  await d.metadefs.deleteNamespaceContent(req.ctx, params(req).namespace!, 'tags')
  reply.code(204).send()
}
export const createTag: Handler = async (req, reply, d) => {
  const t = await d.metadefs.createTag(req.ctx, params(req).namespace!, params(req).name!)
  reply.code(201)
  return tagView(t)
}
export const showTag: Handler = async (req, _reply, d) => {
  return tagView(await d.metadefs.showTag(req.ctx, params(req).namespace!, params(req).name!))
}
export const updateTag: Handler = async (req, _reply, d) => {
  return tagView(
    await d.metadefs.updateTag(req.ctx, params(req).namespace!, params(req).name!, req.body as TagBody),
  )
}
export const deleteTag: Handler = async (req, reply, d) => {
  await d.metadefs.deleteTag(req.ctx, params(req).namespace!, params(req).name!)
  reply.code(204).send()
}
