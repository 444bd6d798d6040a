/**
 * The image API's route table: method, path, handler, and the methods each path allows
 * (the rest get 405). Paths are relative to the service prefix (/image).
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify'
import { MethodNotAllowed } from '../../kernel/errors/index.js'
import { cacheHandlers } from './handlers/cache.js'
import type { HandlerDeps } from './handlers/deps.js'
import { discoveryHandlers } from './handlers/discovery.js'
import { imageDataHandlers } from './handlers/image-data.js'
import { imageHandlers } from './handlers/images.js'
import { memberHandlers } from './handlers/members.js'
import { metadefHandlers } from './handlers/metadefs.js'
import { tagHandlers } from './handlers/tags.js'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
interface Route {
  method: Method
  url: string
  handler: RouteHandlerMethod
  public?: boolean
}

export function routeTable(d: HandlerDeps): Route[] {
  const images = imageHandlers(d)
  const data = imageDataHandlers(d)
  const members = memberHandlers(d)
  const tags = tagHandlers(d)
  const disco = discoveryHandlers(d)
  const md = metadefHandlers(d)
  const cache = cacheHandlers(d)
  const NS = '/v2/metadefs/namespaces/:namespace'
  const h = (f: unknown) => f as RouteHandlerMethod
  return [
    { method: 'GET', url: '/', handler: h(disco.versions), public: true },
    { method: 'GET', url: '/versions', handler: h(disco.versions), public: true },
    { method: 'GET', url: '/v2/schemas/:name', handler: h(disco.schema) },
    { method: 'GET', url: '/v2/schemas/metadefs/:name', handler: h(disco.metadefSchema) },
    { method: 'GET', url: '/v2/info/import', handler: h(disco.infoImport) },
    { method: 'GET', url: '/v2/info/stores', handler: h(disco.infoStores) },
    { method: 'POST', url: '/v2/images', handler: h(images.create) },
    { method: 'GET', url: '/v2/images', handler: h(images.list) },
    { method: 'GET', url: '/v2/images/:image_id', handler: h(images.show) },
    { method: 'PATCH', url: '/v2/images/:image_id', handler: h(images.update) },
    { method: 'DELETE', url: '/v2/images/:image_id', handler: h(images.delete) },
    { method: 'POST', url: '/v2/images/:image_id/actions/deactivate', handler: h(images.deactivate) },
    { method: 'POST', url: '/v2/images/:image_id/actions/reactivate', handler: h(images.reactivate) },
    { method: 'PUT', url: '/v2/images/:image_id/file', handler: h(data.upload) },
    { method: 'GET', url: '/v2/images/:image_id/file', handler: h(data.download) },
    { method: 'PUT', url: '/v2/images/:image_id/stage', handler: h(data.stage) },
    { method: 'POST', url: '/v2/images/:image_id/import', handler: h(data.import) },
    { method: 'GET', url: '/v2/images/:image_id/tasks', handler: h(data.tasks) },
    { method: 'PUT', url: '/v2/images/:image_id/tags/:tag', handler: h(tags.add) },
    { method: 'DELETE', url: '/v2/images/:image_id/tags/:tag', handler: h(tags.delete) },
    { method: 'GET', url: '/v2/images/:image_id/members', handler: h(members.list) },
    { method: 'POST', url: '/v2/images/:image_id/members', handler: h(members.create) },
    { method: 'GET', url: '/v2/images/:image_id/members/:member_id', handler: h(members.show) },
    { method: 'PUT', url: '/v2/images/:image_id/members/:member_id', handler: h(members.update) },
    { method: 'DELETE', url: '/v2/images/:image_id/members/:member_id', handler: h(members.delete) },
    { method: 'GET', url: '/v2/cache', handler: h(cache.list) },
    { method: 'DELETE', url: '/v2/cache', handler: h(cache.clear) },
    { method: 'PUT', url: '/v2/cache/:image_id', handler: h(cache.queue) },
    { method: 'DELETE', url: '/v2/cache/:image_id', handler: h(cache.delete) },
    { method: 'GET', url: '/v2/metadefs/resource_types', handler: h(md.listResourceTypes) },
    { method: 'GET', url: '/v2/metadefs/namespaces', handler: h(md.listNamespaces) },
    { method: 'POST', url: '/v2/metadefs/namespaces', handler: h(md.createNamespace) },
    { method: 'GET', url: NS, handler: h(md.showNamespace) },
    { method: 'PUT', url: NS, handler: h(md.updateNamespace) },
    { method: 'DELETE', url: NS, handler: h(md.deleteNamespace) },
    { method: 'GET', url: `${NS}/resource_types`, handler: h(md.listAssociations) },
    { method: 'POST', url: `${NS}/resource_types`, handler: h(md.createAssociation) },
    { method: 'DELETE', url: `${NS}/resource_types/:name`, handler: h(md.deleteAssociation) },
    { method: 'GET', url: `${NS}/objects`, handler: h(md.listObjects) },
    { method: 'POST', url: `${NS}/objects`, handler: h(md.createObject) },
    { method: 'DELETE', url: `${NS}/objects`, handler: h(md.deleteObjects) },
    { method: 'GET', url: `${NS}/objects/:name`, handler: h(md.showObject) },
    { method: 'PUT', url: `${NS}/objects/:name`, handler: h(md.updateObject) },
    { method: 'DELETE', url: `${NS}/objects/:name`, handler: h(md.deleteObject) },
    { method: 'GET', url: `${NS}/properties`, handler: h(md.listProperties) },
    { method: 'POST', url: `${NS}/properties`, handler: h(md.createProperty) },
    { method: 'DELETE', url: `${NS}/properties`, handler: h(md.deleteProperties) },
    { method: 'GET', url: `${NS}/properties/:name`, handler: h(md.showProperty) },
    { method: 'PUT', url: `${NS}/properties/:name`, handler: h(md.updateProperty) },
    { method: 'DELETE', url: `${NS}/properties/:name`, handler: h(md.deleteProperty) },
    { method: 'GET', url: `${NS}/tags`, handler: h(md.listTags) },
    { method: 'POST', url: `${NS}/tags`, handler: h(md.createTags) },
    { method: 'DELETE', url: `${NS}/tags`, handler: h(md.deleteTags) },
    { method: 'GET', url: `${NS}/tags/:name`, handler: h(md.showTag) },
    { method: 'POST', url: `${NS}/tags/:name`, handler: h(md.createTag) },
    { method: 'PUT', url: `${NS}/tags/:name`, handler: h(md.updateTag) },
    { method: 'DELETE', url: `${NS}/tags/:name`, handler: h(md.deleteTag) },
  ]
}

export function mountRoutes(app: FastifyInstance, d: HandlerDeps): void {
  const table = routeTable(d)
  const methodsOf = new Map<string, Method[]>()
  for (const r of table) {
    app.route({ method: r.method, url: r.url, handler: r.handler, config: { public: r.public ?? false } })
    methodsOf.set(r.url, [...(methodsOf.get(r.url) ?? []), r.method])
  }
  for (const [url, methods] of methodsOf) notAllowed(app, url, methods)
}

/**
 * 405 with an Allow header for every other method of a path.
 * NOTE: the kernel's allowMethods registers GET and HEAD separately, which Fastify
 * rejects for POST-only paths (GET already exposes a HEAD route); this variant does not.
 */
function notAllowed(app: FastifyInstance, url: string, allowed: readonly Method[]): void {
  const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : [...allowed]
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    if (allow.includes(method)) continue
    app.route({
      method,
      url,
      exposeHeadRoute: false,
      config: { public: true },
      handler: async () => {
        throw new MethodNotAllowed(`The method ${method} is not allowed for this resource.`, {
          headers: { allow: allow.join(', ') },
        })
      },
    })
  }
}
