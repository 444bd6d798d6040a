/**
 * The image API's route table: method and path, the Glance policy rule each route
 * enforces, the JSON body's schema, and the handler. Paths are relative to the service
 * prefix (/image); Glance has no microversions, so no route has a window. Mounted with
 * the kernel's `mountRoutes`, which answers 405 with Allow from this table.
 *
 * Where the rule is enforced:
 * - `enforce: 'handler'` (most routes): the rule's target is the loaded image or
 *   namespace, and the caller who may not see it gets 404 before any policy answer, as
 *   Glance hides existence; the domain enforces the rule once it has the object, and
 *   the table fails the request if it did not.
 * - `enforce: 'route'`: rules whose target is the caller's own project, checked before
 *   the handler (the cache's list and clear, the resource-type list, namespace create).
 */
import type { FastifyRequest } from 'fastify'
import type { Route } from '../../kernel/http/index.js'
import * as cache from './handlers/cache.js'
import type { HandlerDeps } from './handlers/deps.js'
import * as discovery from './handlers/discovery.js'
import * as imageData from './handlers/image-data.js'
import * as images from './handlers/images.js'
import * as members from './handlers/members.js'
import * as metadefs from './handlers/metadefs.js'
import * as tags from './handlers/tags.js'
import * as taskHandlers from './handlers/tasks.js'
import { CACHE_POLICIES as C } from './policies/cache.js'
import { IMAGE_POLICIES as I } from './policies/images.js'
import { METADEF_POLICIES as M } from './policies/metadefs.js'
import * as body from './schemas/bodies.js'

export interface ImageRoute extends Route<HandlerDeps> {
  /** The body's media types; any other is 415 (before the body is judged). */
  mediaTypes?: readonly string[]
}

/** The caller's own project: the target of rules about the caller's own scope. */
const ownProject = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })

const IMG = '/v2/images/:image_id'
const NS = '/v2/metadefs/namespaces/:namespace'

export const ROUTES: readonly ImageRoute[] = [
  // --- discovery
  { method: 'GET', path: '/', public: true, handler: discovery.versions },
  { method: 'GET', path: '/versions', public: true, handler: discovery.versions },
  { method: 'GET', path: '/v2/schemas/:name', authenticated: true, handler: discovery.schema },
  {
    method: 'GET',
    path: '/v2/schemas/metadefs/:name',
    authenticated: true,
    handler: discovery.metadefSchema,
  },
  { method: 'GET', path: '/v2/info/import', authenticated: true, handler: discovery.infoImport },
  { method: 'GET', path: '/v2/info/stores', authenticated: true, handler: discovery.infoStores },
  {
    method: 'GET',
    path: '/v2/info/stores/detail',
    policy: I.STORES_INFO,
    target: ownProject,
    handler: discovery.infoStoresDetail,
  },
  {
    method: 'DELETE',
    path: '/v2/stores/:store_id/:image_id',
    policy: I.DELETE_FROM_STORE,
    enforce: 'handler',
    handler: imageData.deleteFromStore,
  },
  // --- tasks (Glance's tasks API: tasks_api_access at the route, get_task(s) in the domain)
  {
    method: 'GET',
    path: '/v2/tasks',
    policy: I.TASKS_ACCESS,
    target: ownProject,
    handler: taskHandlers.list,
  },
  {
    method: 'GET',
    path: '/v2/tasks/:task_id',
    policy: I.TASKS_ACCESS,
    target: ownProject,
    handler: taskHandlers.show,
  },
  // --- images
  {
    method: 'POST',
    path: '/v2/images',
    policy: I.ADD,
    enforce: 'handler',
    body: body.imageCreate,
    handler: images.create,
  },
  { method: 'GET', path: '/v2/images', policy: I.LIST, enforce: 'handler', handler: images.list },
  { method: 'GET', path: IMG, policy: I.GET, enforce: 'handler', handler: images.show },
  {
    method: 'PATCH',
    path: IMG,
    policy: I.MODIFY,
    enforce: 'handler',
    mediaTypes: body.PATCH_MEDIA_TYPES,
    body: (req) => body.IMAGE_PATCH[images.mediaTypeOf(req.headers)],
    handler: images.update,
  },
  { method: 'DELETE', path: IMG, policy: I.DELETE, enforce: 'handler', handler: images.remove },
  {
    method: 'POST',
    path: `${IMG}/actions/deactivate`,
    policy: I.DEACTIVATE,
    enforce: 'handler',
    handler: images.deactivate,
  },
  {
    method: 'POST',
    path: `${IMG}/actions/reactivate`,
    policy: I.REACTIVATE,
    enforce: 'handler',
    handler: images.reactivate,
  },
  // --- image data
  { method: 'PUT', path: `${IMG}/file`, policy: I.UPLOAD, enforce: 'handler', handler: imageData.upload },
  { method: 'GET', path: `${IMG}/file`, policy: I.DOWNLOAD, enforce: 'handler', handler: imageData.download },
  { method: 'PUT', path: `${IMG}/stage`, policy: I.UPLOAD, enforce: 'handler', handler: imageData.stage },
  {
    method: 'POST',
    path: `${IMG}/import`,
    policy: I.MODIFY,
    enforce: 'handler',
    body: body.imageImport,
    handler: imageData.importImage,
  },
  { method: 'GET', path: `${IMG}/tasks`, policy: I.GET, enforce: 'handler', handler: imageData.tasks },
  // --- tags
  { method: 'PUT', path: `${IMG}/tags/:tag`, policy: I.MODIFY, enforce: 'handler', handler: tags.add },
  { method: 'DELETE', path: `${IMG}/tags/:tag`, policy: I.MODIFY, enforce: 'handler', handler: tags.remove },
  // --- members
  { method: 'GET', path: `${IMG}/members`, policy: I.GET_MEMBERS, enforce: 'handler', handler: members.list },
  {
    method: 'POST',
    path: `${IMG}/members`,
    policy: I.ADD_MEMBER,
    enforce: 'handler',
    body: body.memberCreate,
    handler: members.create,
  },
  {
    method: 'GET',
    path: `${IMG}/members/:member_id`,
    policy: I.GET_MEMBER,
    enforce: 'handler',
    handler: members.show,
  },
  {
    method: 'PUT',
    path: `${IMG}/members/:member_id`,
    policy: I.MODIFY_MEMBER,
    enforce: 'handler',
    body: body.memberUpdate,
    handler: members.update,
  },
  {
    method: 'DELETE',
    path: `${IMG}/members/:member_id`,
    policy: I.DELETE_MEMBER,
    enforce: 'handler',
    handler: members.remove,
  },
  // --- cache (the rules' target is the caller's project, or the image's owner)
  { method: 'GET', path: '/v2/cache', policy: C.CACHE_LIST, target: ownProject, handler: cache.list },
  { method: 'DELETE', path: '/v2/cache', policy: C.CACHE_DELETE, target: ownProject, handler: cache.clear },
  {
    method: 'PUT',
    path: '/v2/cache/:image_id',
    policy: C.CACHE_IMAGE,
    enforce: 'handler',
    handler: cache.queue,
  },
  {
    method: 'DELETE',
    path: '/v2/cache/:image_id',
    policy: C.CACHE_DELETE,
    enforce: 'handler',
    handler: cache.remove,
  },
  // --- metadefs: resource types and namespaces
  {
    method: 'GET',
    path: '/v2/metadefs/resource_types',
    policy: M.LIST_RESOURCE_TYPES,
    target: ownProject,
    handler: metadefs.listResourceTypes,
  },
  {
    method: 'GET',
    path: '/v2/metadefs/namespaces',
    policy: M.GET_NAMESPACES,
    enforce: 'handler',
    handler: metadefs.listNamespaces,
  },
  {
    method: 'POST',
    path: '/v2/metadefs/namespaces',
    policy: M.ADD_NAMESPACE,
    target: ownProject,
    body: body.namespace,
    handler: metadefs.createNamespace,
  },
  { method: 'GET', path: NS, policy: M.GET_NAMESPACE, enforce: 'handler', handler: metadefs.showNamespace },
  {
    method: 'PUT',
    path: NS,
    policy: M.MODIFY_NAMESPACE,
    enforce: 'handler',
    body: body.namespace,
    handler: metadefs.updateNamespace,
  },
  {
    method: 'DELETE',
    path: NS,
    policy: M.DELETE_NAMESPACE,
    enforce: 'handler',
    handler: metadefs.deleteNamespace,
  },
  // --- metadefs: resource-type associations
  {
    method: 'GET',
    path: `${NS}/resource_types`,
    policy: M.GET_RESOURCE_TYPE,
    enforce: 'handler',
    handler: metadefs.listAssociations,
  },
  {
    method: 'POST',
    path: `${NS}/resource_types`,
    policy: M.ADD_RESOURCE_TYPE_ASSOCIATION,
    enforce: 'handler',
    body: body.association,
    handler: metadefs.createAssociation,
  },
  {
    method: 'DELETE',
    path: `${NS}/resource_types/:name`,
    policy: M.REMOVE_RESOURCE_TYPE_ASSOCIATION,
    enforce: 'handler',
    handler: metadefs.deleteAssociation,
  },
  // --- metadefs: objects
  {
    method: 'GET',
    path: `${NS}/objects`,
    policy: M.GET_OBJECTS,
    enforce: 'handler',
    handler: metadefs.listObjects,
  },
  {
    method: 'POST',
    path: `${NS}/objects`,
    policy: M.ADD_OBJECT,
    enforce: 'handler',
    body: body.object,
    handler: metadefs.createObject,
  },
  {
    method: 'DELETE',
    path: `${NS}/objects`,
    policy: M.DELETE_NAMESPACE,
    enforce: 'handler',
    handler: metadefs.deleteObjects,
  },
  {
    method: 'GET',
    path: `${NS}/objects/:name`,
    policy: M.GET_OBJECT,
    enforce: 'handler',
    handler: metadefs.showObject,
  },
  {
    method: 'PUT',
    path: `${NS}/objects/:name`,
    policy: M.MODIFY_OBJECT,
    enforce: 'handler',
    body: body.object,
    handler: metadefs.updateObject,
  },
  {
    method: 'DELETE',
    path: `${NS}/objects/:name`,
    policy: M.DELETE_OBJECT,
    enforce: 'handler',
    handler: metadefs.deleteObject,
  },
  // --- metadefs: properties
  {
    method: 'GET',
    path: `${NS}/properties`,
    policy: M.GET_PROPERTIES,
    enforce: 'handler',
    handler: metadefs.listProperties,
  },
  {
    method: 'POST',
    path: `${NS}/properties`,
    policy: M.ADD_PROPERTY,
    enforce: 'handler',
    body: body.property,
    handler: metadefs.createProperty,
  },
  {
    method: 'DELETE',
    path: `${NS}/properties`,
    policy: M.DELETE_NAMESPACE,
    enforce: 'handler',
    handler: metadefs.deleteProperties,
  },
  {
    method: 'GET',
    path: `${NS}/properties/:name`,
    policy: M.GET_PROPERTY,
    enforce: 'handler',
    handler: metadefs.showProperty,
  },
  {
    method: 'PUT',
    path: `${NS}/properties/:name`,
    policy: M.MODIFY_PROPERTY,
    enforce: 'handler',
    body: body.property,
    handler: metadefs.updateProperty,
  },
  {
    method: 'DELETE',
    path: `${NS}/properties/:name`,
    policy: M.REMOVE_PROPERTY,
    enforce: 'handler',
    handler: metadefs.deleteProperty,
  },
  // --- metadefs: tags
  { method: 'GET', path: `${NS}/tags`, policy: M.GET_TAGS, enforce: 'handler', handler: metadefs.listTags },
  {
    method: 'POST',
    path: `${NS}/tags`,
    policy: M.ADD_TAGS,
    enforce: 'handler',
    body: body.tags,
    handler: metadefs.createTags,
  },
  {
    method: 'DELETE',
    path: `${NS}/tags`,
    policy: M.DELETE_TAGS,
    enforce: 'handler',
    handler: metadefs.deleteTags,
  },
  {
    method: 'GET',
    path: `${NS}/tags/:name`,
    policy: M.GET_TAG,
    enforce: 'handler',
    handler: metadefs.showTag,
  },
  {
    method: 'POST',
    path: `${NS}/tags/:name`,
    policy: M.ADD_TAG,
    enforce: 'handler',
    handler: metadefs.createTag,
  },
  {
    method: 'PUT',
    path: `${NS}/tags/:name`,
    policy: M.MODIFY_TAG,
    enforce: 'handler',
    body: body.tag,
    handler: metadefs.updateTag,
  },
  {
    method: 'DELETE',
    path: `${NS}/tags/:name`,
    policy: M.DELETE_TAG,
    enforce: 'handler',
    handler: metadefs.deleteTag,
  },
]
