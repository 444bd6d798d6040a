/**
 * /v2/metadefs/*: namespaces, their objects, properties, tags and resource-type
 * associations, and the resource types.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { RawQuery } from '../domain/metadefs.js'
import type { HandlerDeps } from './deps.js'
import {
  associationView,
  namespaceView,
  objectView,
  propertiesView,
  propertyView,
  resourceTypeView,
  tagView,
} from './metadef-views.js'

type Ns = { Params: { namespace: string }; Querystring: RawQuery }
type Child = { Params: { namespace: string; name: string }; Querystring: RawQuery }

const qs = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v)
const nsHref = (name: string) => `/v2/metadefs/namespaces/${encodeURI(name)}`

export const metadefHandlers = (d: HandlerDeps) => {
  const m = d.metadefs
  return {
    async listNamespaces(req: FastifyRequest<{ Querystring: RawQuery }>) {
      const query = req.query ?? {}
      const { namespaces, next } = await m.listNamespaces(req.ctx, query)
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(query))
        if (k !== 'marker' && v !== undefined) params.append(k, qs(v) as string)
      const first = params.size > 0 ? `/v2/metadefs/namespaces?${params}` : '/v2/metadefs/namespaces'
      const out: Record<string, unknown> = {
        namespaces: namespaces.map(namespaceView),
        first,
        schema: '/v2/schemas/metadefs/namespaces',
      }
      if (next !== undefined) {
        params.set('marker', next)
        out.next = `/v2/metadefs/namespaces?${params}`
      }
      return out
    },
    async createNamespace(req: FastifyRequest, reply: FastifyReply) {
      const ns = await m.createNamespace(req.ctx, req.body)
      reply.code(201).header('location', `${d.baseUrl(req)}${nsHref(ns.namespace.namespace)}`)
      return namespaceView(ns)
    },
    async showNamespace(req: FastifyRequest<Ns>) {
      return namespaceView(await m.showNamespace(req.ctx, req.params.namespace, qs(req.query?.resource_type)))
    },
    async updateNamespace(req: FastifyRequest<Ns>) {
      return namespaceView(await m.updateNamespace(req.ctx, req.params.namespace, req.body))
    },
    async deleteNamespace(req: FastifyRequest<Ns>, reply: FastifyReply) {
      await m.deleteNamespace(req.ctx, req.params.namespace)
      reply.code(204).send()
    },

    async listResourceTypes(req: FastifyRequest) {
      return { resource_types: (await m.listResourceTypes(req.ctx)).map(resourceTypeView) }
    },
    async listAssociations(req: FastifyRequest<Ns>) {
      const list = await m.listAssociations(req.ctx, req.params.namespace)
      return { resource_type_associations: list.map(associationView) }
    },
    async createAssociation(req: FastifyRequest<Ns>, reply: FastifyReply) {
      const a = await m.createAssociation(req.ctx, req.params.namespace, req.body)
      reply.code(201)
      return associationView(a)
    },
    async deleteAssociation(req: FastifyRequest<Child>, reply: FastifyReply) {
      await m.deleteAssociation(req.ctx, req.params.namespace, req.params.name)
      reply.code(204).send()
    },

    async listObjects(req: FastifyRequest<Ns>) {
      const ns = req.params.namespace
      const objects = await m.listObjects(req.ctx, ns)
      return { objects: objects.map((o) => objectView(ns, o)), schema: 'v2/schemas/metadefs/objects' }
    },
    async createObject(req: FastifyRequest<Ns>, reply: FastifyReply) {
      const ns = req.params.namespace
      const o = await m.createObject(req.ctx, ns, req.body)
      reply.code(201).header('location', `${d.baseUrl(req)}${nsHref(ns)}/objects/${encodeURI(o.name)}`)
      return objectView(ns, o)
    },
    async showObject(req: FastifyRequest<Child>) {
      const { namespace, name } = req.params
      return objectView(namespace, await m.showObject(req.ctx, namespace, name))
    },
    async updateObject(req: FastifyRequest<Child>) {
      const { namespace, name } = req.params
      return objectView(namespace, await m.updateObject(req.ctx, namespace, name, req.body))
    },
    async deleteObject(req: FastifyRequest<Child>, reply: FastifyReply) {
      await m.deleteObject(req.ctx, req.params.namespace, req.params.name)
      reply.code(204).send()
    },
    async deleteObjects(req: FastifyRequest<Ns>, reply: FastifyReply) {
      await m.deleteNamespaceContent(req.ctx, req.params.namespace, 'objects')
      reply.code(204).send()
    },

    async listProperties(req: FastifyRequest<Ns>) {
      return { properties: propertiesView(await m.listProperties(req.ctx, req.params.namespace)) }
    },
    async createProperty(req: FastifyRequest<Ns>, reply: FastifyReply) {
      const p = await m.createProperty(req.ctx, req.params.namespace, req.body)
      reply.code(201)
      return propertyView(p)
    },
    async showProperty(req: FastifyRequest<Child>) {
      const { namespace, name } = req.params
      return propertyView(await m.showProperty(req.ctx, namespace, name, qs(req.query?.resource_type)))
    },
    async updateProperty(req: FastifyRequest<Child>) {
      const { namespace, name } = req.params
      return propertyView(await m.updateProperty(req.ctx, namespace, name, req.body))
    },
    async deleteProperty(req: FastifyRequest<Child>, reply: FastifyReply) {
      await m.deleteProperty(req.ctx, req.params.namespace, req.params.name)
      reply.code(204).send()
    },
    async deleteProperties(req: FastifyRequest<Ns>, reply: FastifyReply) {
      await m.deleteNamespaceContent(req.ctx, req.params.namespace, 'properties')
      reply.code(204).send()
    },

    async listTags(req: FastifyRequest<Ns>) {
      return { tags: (await m.listTags(req.ctx, req.params.namespace, req.query ?? {})).map(tagView) }
    },
    async createTags(req: FastifyRequest<Ns>, reply: FastifyReply) {
      const append = /^(1|true|on|yes|y)$/i.test(String(req.headers['x-openstack-append'] ?? ''))
      const names = await m.createTags(req.ctx, req.params.namespace, req.body, append)
      reply.code(201)
      return { tags: names.map((name) => ({ name })) }
    },
    async deleteTags(req: FastifyRequest<Ns>, reply: FastifyReply) {
      await m.deleteNamespaceContent(req.ctx, req.params.namespace, 'tags')
      reply.code(204).send()
    },
    async createTag(req: FastifyRequest<Child>, reply: FastifyReply) {
      const t = await m.createTag(req.ctx, req.params.namespace, req.params.name)
      reply.code(201)
      return tagView(t)
    },
    async showTag(req: FastifyRequest<Child>) {
      return tagView(await m.showTag(req.ctx, req.params.namespace, req.params.name))
    },
    async updateTag(req: FastifyRequest<Child>) {
      return tagView(await m.updateTag(req.ctx, req.params.namespace, req.params.name, req.body))
    },
    async deleteTag(req: FastifyRequest<Child>, reply: FastifyReply) {
      await m.deleteTag(req.ctx, req.params.namespace, req.params.name)
      reply.code(204).send()
    },
  }
}
