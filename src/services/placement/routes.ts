/**
 * The route table: method + path -> handler, with the microversion window, the policy
 * rule each route enforces and the schema of its JSON body; mounted by the kernel's
 * `mountRoutes` (405 with Allow, version windows, policy, body validation). Placement's
 * own checks run as the table's guard: JSON-only Accept on GETs and the JSON
 * content type of bodies. The handlers live in handlers/<resource>.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { type MountOptions, mountRoutes, type Route } from '../../kernel/http/index.js'
import { PlacementMethodNotAllowed, PlacementNotAcceptable, PlacementNotFound } from './errors.js'
import * as aggregates from './handlers/aggregates.js'
import * as candidates from './handlers/allocation-candidates.js'
import * as allocations from './handlers/allocations.js'
import type { HandlerDeps } from './handlers/handler.js'
import * as inventories from './handlers/inventories.js'
import * as reshaper from './handlers/reshaper.js'
import * as resourceClasses from './handlers/resource-classes.js'
import * as providers from './handlers/resource-providers.js'
import { versionRoot } from './handlers/root.js'
import * as traits from './handlers/traits.js'
import * as usages from './handlers/usages.js'
import { acceptsJson, requireJsonContent, validBody } from './http-support.js'
import { RULES } from './policies/index.js'
import * as S from './schemas/bodies.js'
import type { Schema } from './schemas/validation.js'
import { VERSIONS } from './versions.js'

export interface PlacementRoute extends Route<HandlerDeps> {
  /** The route takes a JSON body (upstream's require_content). */
  json?: boolean
  /** GETs answer only application/json (upstream's check_accept) unless this is set. */
  anyAccept?: boolean
  /**
   * The handler validates the body itself, after a check upstream makes first (the
   * provider exists; the consumer uuid is well formed); `body` still names the schema.
   */
  bodyInHandler?: boolean
}

const bySince = (since: string, later: Schema, earlier: Schema) => (req: FastifyRequest) =>
  req.version.gte(since) ? later : earlier

const RP = '/resource_providers/:uuid'

export const ROUTES: readonly PlacementRoute[] = [
  { method: 'GET', path: '/', public: true, anyAccept: true, handler: versionRoot },
  // --- resource providers
  { method: 'GET', path: '/resource_providers', policy: RULES.RP_LIST, handler: providers.listProviders },
  {
    method: 'POST',
    path: '/resource_providers',
    json: true,
    body: bySince('1.14', S.POST_RP_1_14, S.POST_RP),
    policy: RULES.RP_CREATE,
    handler: providers.createProvider,
  },
  { method: 'GET', path: RP, policy: RULES.RP_SHOW, handler: providers.showProvider },
  {
    method: 'PUT',
    path: RP,
    json: true,
    body: bySince('1.14', S.PUT_RP_1_14, S.PUT_RP),
    policy: RULES.RP_UPDATE,
    handler: providers.updateProvider,
  },
  { method: 'DELETE', path: RP, policy: RULES.RP_DELETE, handler: providers.deleteProvider },
  // --- inventories
  { method: 'GET', path: `${RP}/inventories`, policy: RULES.INV_LIST, handler: inventories.listInventories },
  {
    method: 'POST',
    path: `${RP}/inventories`,
    json: true,
    body: S.POST_INVENTORY,
    policy: RULES.INV_CREATE,
    handler: inventories.createInventory,
  },
  {
    method: 'PUT',
    path: `${RP}/inventories`,
    json: true,
    body: S.PUT_INVENTORIES,
    policy: RULES.INV_UPDATE,
    handler: inventories.setInventories,
  },
  {
    method: 'DELETE',
    path: `${RP}/inventories`,
    min: '1.5',
    outsideVersion: 405,
    policy: RULES.INV_DELETE,
    handler: inventories.deleteInventories,
  },
  {
    method: 'GET',
    path: `${RP}/inventories/:resource_class`,
    policy: RULES.INV_SHOW,
    handler: inventories.showInventory,
  },
  {
    method: 'PUT',
    path: `${RP}/inventories/:resource_class`,
    json: true,
    body: S.PUT_INVENTORY,
    policy: RULES.INV_UPDATE,
    handler: inventories.updateInventory,
  },
  {
    method: 'DELETE',
    path: `${RP}/inventories/:resource_class`,
    policy: RULES.INV_DELETE,
    handler: inventories.deleteInventory,
  },
  // --- usages
  { method: 'GET', path: `${RP}/usages`, policy: RULES.RP_USAGES, handler: usages.providerUsages },
  {
    method: 'GET',
    path: '/usages',
    min: '1.9',
    policy: RULES.TOTAL_USAGES,
    target: usages.usagesTarget,
    handler: usages.totalUsages,
  },
  // --- aggregates
  {
    method: 'GET',
    path: `${RP}/aggregates`,
    min: '1.1',
    policy: RULES.AGG_LIST,
    handler: aggregates.listAggregates,
  },
  {
    method: 'PUT',
    path: `${RP}/aggregates`,
    min: '1.1',
    json: true,
    body: bySince('1.19', S.PUT_AGGREGATES_1_19, S.PUT_AGGREGATES_1_1),
    bodyInHandler: true,
    policy: RULES.AGG_UPDATE,
    handler: aggregates.setAggregates,
  },
  // --- traits
  { method: 'GET', path: '/traits', min: '1.6', policy: RULES.TRAITS_LIST, handler: traits.listTraits },
  {
    method: 'GET',
    path: '/traits/:name',
    min: '1.6',
    anyAccept: true,
    policy: RULES.TRAITS_SHOW,
    handler: traits.showTrait,
  },
  {
    method: 'PUT',
    path: '/traits/:name',
    min: '1.6',
    policy: RULES.TRAITS_UPDATE,
    handler: traits.createTrait,
  },
  {
    method: 'DELETE',
    path: '/traits/:name',
    min: '1.6',
    policy: RULES.TRAITS_DELETE,
    handler: traits.deleteTrait,
  },
  {
    method: 'GET',
    path: `${RP}/traits`,
    min: '1.6',
    policy: RULES.RP_TRAIT_LIST,
    handler: traits.listProviderTraits,
  },
  {
    method: 'PUT',
    path: `${RP}/traits`,
    min: '1.6',
    json: true,
    body: S.SET_RP_TRAITS,
    policy: RULES.RP_TRAIT_UPDATE,
    handler: traits.setProviderTraits,
  },
  {
    method: 'DELETE',
    path: `${RP}/traits`,
    min: '1.6',
    policy: RULES.RP_TRAIT_DELETE,
    handler: traits.deleteProviderTraits,
  },
  // --- resource classes
  {
    method: 'GET',
    path: '/resource_classes',
    min: '1.2',
    policy: RULES.RC_LIST,
    handler: resourceClasses.listResourceClasses,
  },
  {
    method: 'POST',
    path: '/resource_classes',
    min: '1.2',
    json: true,
    body: S.POST_RC,
    policy: RULES.RC_CREATE,
    handler: resourceClasses.createResourceClass,
  },
  {
    method: 'GET',
    path: '/resource_classes/:name',
    min: '1.2',
    policy: RULES.RC_SHOW,
    handler: resourceClasses.showResourceClass,
  },
  {
    method: 'PUT',
    path: '/resource_classes/:name',
    min: '1.2',
    max: '1.6',
    json: true,
    body: S.POST_RC,
    policy: RULES.RC_UPDATE,
    handler: resourceClasses.updateResourceClass,
  },
  {
    method: 'PUT',
    path: '/resource_classes/:name',
    min: '1.7',
    policy: RULES.RC_UPDATE,
    handler: resourceClasses.ensureResourceClass,
  },
  {
    method: 'DELETE',
    path: '/resource_classes/:name',
    min: '1.2',
    policy: RULES.RC_DELETE,
    handler: resourceClasses.deleteResourceClass,
  },
  // --- allocations
  {
    method: 'GET',
    path: '/allocations/:consumer_uuid',
    policy: RULES.ALLOC_LIST,
    handler: allocations.showAllocations,
  },
  {
    method: 'PUT',
    path: '/allocations/:consumer_uuid',
    json: true,
    body: (req) => S.putAllocationSchema(req.version),
    bodyInHandler: true,
    policy: RULES.ALLOC_UPDATE,
    handler: allocations.setAllocations,
  },
  {
    method: 'POST',
    path: '/allocations',
    min: '1.13',
    json: true,
    body: (req) => S.postAllocationsSchema(req.version),
    policy: RULES.ALLOC_MANAGE,
    handler: allocations.setManyAllocations,
  },
  {
    method: 'DELETE',
    path: '/allocations/:consumer_uuid',
    policy: RULES.ALLOC_DELETE,
    handler: allocations.deleteAllocations,
  },
  {
    method: 'GET',
    path: `${RP}/allocations`,
    policy: RULES.RP_ALLOC_LIST,
    handler: allocations.listProviderAllocations,
  },
  // --- reshaper
  {
    method: 'POST',
    path: '/reshaper',
    min: '1.30',
    json: true,
    body: (req) => S.reshaperSchema(req.version),
    policy: RULES.RESHAPE,
    handler: reshaper.reshape,
  },
  // --- allocation candidates
  {
    method: 'GET',
    path: '/allocation_candidates',
    min: '1.10',
    policy: RULES.AC_LIST,
    handler: candidates.listAllocationCandidates,
  },
]

/** How the table is mounted: placement's guard, validation, errors and methods. */
export function mountOptions(deps: HandlerDeps): MountOptions<HandlerDeps, PlacementRoute> {
  return {
    deps,
    versions: VERSIONS,
    guard: (req, route) => {
      if (route.method === 'GET' && !route.anyAccept && !acceptsJson(req.headers.accept))
        throw new PlacementNotAcceptable('Only application/json is provided')
      if (route.json) requireJsonContent(req)
    },
    validateBody: (req, schema, route) => {
      if (!route.bodyInHandler) validBody(req, schema as Schema)
    },
    // NOTE: upstream handlers check the policy before they read the body, and its
    // authentication middleware sits in front of the router: an anonymous call to a
    // method a path lacks is a 401, not a 405.
    policyBeforeBody: true,
    publicMethodNotAllowed: false,
    // As upstream's router: a method the path never declares is a 405 listing every
    // declared method (HEAD is Fastify's twin of GET, not listed); a declared method
    // outside its microversion window is a 404, or a 405 where the route says so.
    methodNotAllowed: (method, allowed) =>
      new PlacementMethodNotAllowed(
        method,
        allowed.filter((m) => m !== 'HEAD'),
      ),
    notFound: () => new PlacementNotFound('The resource could not be found.'),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    greedyTail: 'name',
  }
}

export function registerRoutes(app: FastifyInstance, deps: HandlerDeps): void {
  mountRoutes(app, ROUTES, mountOptions(deps))
}
