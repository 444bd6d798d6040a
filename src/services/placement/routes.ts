/**
 * The route table: method + path -> handler, with the microversion window and the policy
 * rule each route enforces, and the one place routes are mounted (405s, version windows,
 * Accept and content-type checks, policy). The handlers live in handlers/<resource>.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { CandidateOptions } from './domain/candidates.js'
import type { Placement } from './domain/placement.js'
import { PlacementMethodNotAllowed, PlacementNotAcceptable, PlacementNotFound } from './errors.js'
import * as aggregates from './handlers/aggregates.js'
import * as candidates from './handlers/allocation-candidates.js'
import * as allocations from './handlers/allocations.js'
import type { Handler, HandlerDeps } from './handlers/handler.js'
import * as inventories from './handlers/inventories.js'
import * as reshaper from './handlers/reshaper.js'
import * as resourceClasses from './handlers/resource-classes.js'
import * as providers from './handlers/resource-providers.js'
import { versionRoot } from './handlers/root.js'
import * as traits from './handlers/traits.js'
import * as usages from './handlers/usages.js'
import { acceptsJson, requireJsonContent } from './http-support.js'
import { RULES } from './policies/index.js'
import { VERSIONS } from './versions.js'

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  /** Microversion window (inclusive); open ends when unset. */
  min?: string
  max?: string
  /** The policy rule enforced before the handler runs (none: the public root). */
  policy?: string
  /** The policy target, when the rule needs one (evaluated first; may answer 400). */
  target?: (req: FastifyRequest) => Record<string, unknown>
  /** The route takes a JSON body (upstream's require_content). */
  json?: boolean
  /** May be called without a token. */
  public?: boolean
  /** GETs answer only application/json (upstream's check_accept) unless this is set. */
  anyAccept?: boolean
  /** Status outside the microversion window (upstream's version_handler status_code). */
  outsideVersion?: 405
  handler: Handler
}

const RP = '/resource_providers/:uuid'

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', public: true, anyAccept: true, handler: versionRoot },
  // --- resource providers
  { method: 'GET', path: '/resource_providers', policy: RULES.RP_LIST, handler: providers.listProviders },
  {
    method: 'POST',
    path: '/resource_providers',
    json: true,
    policy: RULES.RP_CREATE,
    handler: providers.createProvider,
  },
  { method: 'GET', path: RP, policy: RULES.RP_SHOW, handler: providers.showProvider },
  { method: 'PUT', path: RP, json: true, policy: RULES.RP_UPDATE, handler: providers.updateProvider },
  { method: 'DELETE', path: RP, policy: RULES.RP_DELETE, handler: providers.deleteProvider },
  // --- inventories
  { method: 'GET', path: `${RP}/inventories`, policy: RULES.INV_LIST, handler: inventories.listInventories },
  {
    method: 'POST',
    path: `${RP}/inventories`,
    json: true,
    policy: RULES.INV_CREATE,
    handler: inventories.createInventory,
  },
  {
    method: 'PUT',
    path: `${RP}/inventories`,
    json: true,
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
    policy: RULES.ALLOC_UPDATE,
    handler: allocations.setAllocations,
  },
  {
    method: 'POST',
    path: '/allocations',
    min: '1.13',
    json: true,
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

export function registerRoutes(
  app: FastifyInstance,
  pl: Placement,
  opts: { prefix: string; candidates: CandidateOptions },
) {
  const deps: HandlerDeps = { pl, prefix: opts.prefix, candidates: opts.candidates }
  const byPath = new Map<string, Route[]>()
  for (const r of ROUTES) {
    VERSIONS.assertKnown(r.min)
    VERSIONS.assertKnown(r.max)
    const l = byPath.get(r.path) ?? []
    l.push(r)
    byPath.set(r.path, l)
  }
  for (const [path, list] of byPath) {
    const methods = [...new Set(list.map((r) => r.method))]
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) {
      const candidates = list.filter((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'))
      const isPublic = list.some((r) => r.public)
      // NOTE: a trailing `:name` is routed as a wildcard so an over-long name reaches
      // the handler (and its schema's 400) instead of the router's 414 (maxParamLength).
      const wild = path.endsWith('/:name')
      app.route({
        method,
        url: wild ? `${path.slice(0, -':name'.length)}*` : path,
        config: { public: isPublic },
        exposeHeadRoute: false,
        handler: async (req, reply) => {
          if (wild) {
            const p = req.params as Record<string, string>
            const name = p['*'] ?? ''
            if (name === '' || name.includes('/'))
              throw new PlacementNotFound('The resource could not be found.')
            p.name = name
          }
          const v = req.version
          const route = candidates.find((r) => v.matches(r.min, r.max))
          if (!route) {
            // As upstream's router: a method the path never declares is a 405 listing
            // every declared method, whatever the version; a declared method outside
            // its microversion window is a 404.
            if (candidates.length === 0) throw new PlacementMethodNotAllowed(method, methods)
            if (candidates.some((r) => r.outsideVersion === 405))
              throw new PlacementMethodNotAllowed(method, [])
            throw new PlacementNotFound('The resource could not be found.')
          }
          if (route.method === 'GET' && !route.anyAccept && !acceptsJson(req.headers.accept))
            throw new PlacementNotAcceptable('Only application/json is provided')
          if (route.json) requireJsonContent(req)
          if (route.policy) req.ctx.can(route.policy, route.target?.(req))
          const out = await route.handler(req, reply, deps)
          if (reply.sent) return reply
          return out
        },
      })
    }
  }
}
