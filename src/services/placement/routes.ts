/**
 * The route table: method + path, the microversion window, and a thin handler (policy,
 * validated input, one domain call, the view for the version).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Version } from '../../kernel/microversion/index.js'
import { STANDARD_RESOURCE_CLASSES } from './data/standard-classes.js'
import { type CandidateRequest, findCandidates, type RequestGroup } from './domain/candidates.js'
import { PlacementState, type Provider } from './domain/model.js'
import {
  type AllocationInput,
  INCOMPLETE_CONSUMER_ID,
  type InventoryInput,
  type Placement,
} from './domain/placement.js'
import {
  parseMemberOf,
  parseRequired,
  parseResources,
  type TraitFilter,
  traitsMatch,
  unknownTrait,
} from './domain/query.js'
import {
  PlacementBadRequest,
  PlacementMethodNotAllowed,
  PlacementNotAcceptable,
  PlacementNotFound,
  QueryBadValue,
} from './errors.js'
import { inventoryView, providerView, summaryResources } from './handlers/views.js'
import {
  acceptsJson,
  body,
  cacheHeaders,
  newest,
  queryAll,
  requireJsonContent,
  validateQuery,
} from './http-support.js'
import { RULES } from './policies/index.js'
import * as S from './schemas/bodies.js'
import { isUuidLike, validate } from './schemas/validate.js'

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>
interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  min?: string
  max?: string
  json?: boolean
  public?: boolean
  /** GETs answer only application/json (upstream's check_accept) unless this is set. */
  anyAccept?: boolean
  /** Status outside the microversion window (upstream's version_handler status_code). */
  outsideVersion?: 405
  handler: Handler
}

type P = { uuid: string; name: string; consumer_uuid: string; resource_class: string }
const params = (req: FastifyRequest) => req.params as P

export function registerRoutes(
  app: FastifyInstance,
  pl: Placement,
  opts: { prefix: string; randomize: boolean },
) {
  const prefix = opts.prefix
  const rpUrl = (uuid: string) => `${prefix}/resource_providers/${uuid}`
  const lastModifiedOf = (p: Provider) => p.updatedAt ?? p.createdAt

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/',
      public: true,
      anyAccept: true,
      handler: async (req, reply) => {
        cacheHeaders(req, reply, undefined)
        return {
          versions: [
            {
              id: `v${VERSIONS_MAX().split('.')[0]}.0`,
              max_version: VERSIONS_MAX(),
              min_version: '1.0',
              status: 'CURRENT',
              links: [{ rel: 'self', href: '' }],
            },
          ],
        }
      },
    },
    // --- resource providers
    {
      method: 'GET',
      path: '/resource_providers',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_LIST)
        const q = validateQuery(req, S.getRpsQuery(req.version))
        const s = await pl.state()
        const list = filterProviders(s, req, q)
        cacheHeaders(req, reply, newest(...list.map(lastModifiedOf)))
        return { resource_providers: list.map((p) => providerView(prefix, p, req.version)) }
      },
    },
    {
      method: 'POST',
      path: '/resource_providers',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_CREATE)
        const b = body<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(
          req,
          req.version.gte('1.14') ? S.POST_RP_1_14 : S.POST_RP,
        )
        const p = await pl.createProvider({
          name: b.name,
          uuid: b.uuid && normUuid(b.uuid),
          parentUuid: b.parent_provider_uuid,
        })
        reply.header('location', rpUrl(p.uuid))
        if (req.version.gte('1.20')) {
          cacheHeaders(req, reply, lastModifiedOf(p))
          return reply.code(200).send(providerView(prefix, p, req.version))
        }
        return reply.code(201).send()
      },
    },
    {
      method: 'GET',
      path: '/resource_providers/:uuid',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_SHOW)
        const p = await pl.provider(params(req).uuid)
        cacheHeaders(req, reply, lastModifiedOf(p))
        return providerView(prefix, p, req.version)
      },
    },
    {
      method: 'PUT',
      path: '/resource_providers/:uuid',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_UPDATE)
        const b = body<{ name: string; parent_provider_uuid?: string | null }>(
          req,
          req.version.gte('1.14') ? S.PUT_RP_1_14 : S.PUT_RP,
        )
        const p = await pl.updateProvider(
          params(req).uuid,
          { name: b.name, parentUuid: b.parent_provider_uuid, hasParent: 'parent_provider_uuid' in b },
          req.version.gte('1.37'),
        )
        cacheHeaders(req, reply, lastModifiedOf(p))
        return providerView(prefix, p, req.version)
      },
    },
    {
      method: 'DELETE',
      path: '/resource_providers/:uuid',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_DELETE)
        await pl.deleteProvider(params(req).uuid)
        return reply.code(204).send()
      },
    },
    // --- inventories
    {
      method: 'GET',
      path: '/resource_providers/:uuid/inventories',
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_LIST)
        const p = await pl.provider(params(req).uuid)
        cacheHeaders(
          req,
          reply,
          newest(...[...p.inventories.values()].map((i) => i.updatedAt ?? i.createdAt)),
        )
        return inventoriesView(p)
      },
    },
    {
      method: 'POST',
      path: '/resource_providers/:uuid/inventories',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_CREATE)
        const b = body<InventoryInput & { resource_class: string; resource_provider_generation?: number }>(
          req,
          S.POST_INVENTORY,
        )
        const p = await pl.createInventory(params(req).uuid, b.resource_class, b, req.version.gte('1.26'))
        reply.header('location', `${rpUrl(p.uuid)}/inventories/${b.resource_class}`)
        const i = p.inventories.get(b.resource_class)!
        cacheHeaders(req, reply, i.updatedAt ?? i.createdAt)
        return reply.code(201).send({ resource_provider_generation: p.generation, ...inventoryView(i) })
      },
    },
    {
      method: 'PUT',
      path: '/resource_providers/:uuid/inventories',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_UPDATE)
        const b = body<{ resource_provider_generation: number; inventories: Record<string, InventoryInput> }>(
          req,
          S.PUT_INVENTORIES,
        )
        const p = await pl.setInventories(
          params(req).uuid,
          b.resource_provider_generation,
          b.inventories,
          req.version.gte('1.26'),
        )
        cacheHeaders(req, reply, undefined)
        return inventoriesView(p)
      },
    },
    {
      method: 'DELETE',
      path: '/resource_providers/:uuid/inventories',
      min: '1.5',
      outsideVersion: 405,
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_DELETE)
        await pl.deleteAllInventories(params(req).uuid)
        return reply.code(204).send()
      },
    },
    {
      method: 'GET',
      path: '/resource_providers/:uuid/inventories/:resource_class',
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_SHOW)
        const { uuid, resource_class: rc } = params(req)
        const p = await pl.provider(uuid)
        const i = p.inventories.get(rc)
        if (!i) throw new PlacementNotFound(`No inventory of class ${rc} for ${uuid}`)
        cacheHeaders(req, reply, i.updatedAt ?? i.createdAt)
        return { resource_provider_generation: p.generation, ...inventoryView(i) }
      },
    },
    {
      method: 'PUT',
      path: '/resource_providers/:uuid/inventories/:resource_class',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_UPDATE)
        const b = body<InventoryInput & { resource_provider_generation: number }>(req, S.PUT_INVENTORY)
        const { uuid, resource_class: rc } = params(req)
        const p = await pl.updateInventory(uuid, rc, b, req.version.gte('1.26'))
        const i = p.inventories.get(rc)!
        cacheHeaders(req, reply, i.updatedAt ?? i.createdAt)
        return { resource_provider_generation: p.generation, ...inventoryView(i) }
      },
    },
    {
      method: 'DELETE',
      path: '/resource_providers/:uuid/inventories/:resource_class',
      handler: async (req, reply) => {
        req.ctx.can(RULES.INV_DELETE)
        const { uuid, resource_class: rc } = params(req)
        await pl.deleteInventory(uuid, rc)
        return reply.code(204).send()
      },
    },
    // --- usages
    {
      method: 'GET',
      path: '/resource_providers/:uuid/usages',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_USAGES)
        const p = await pl.provider(params(req).uuid)
        const usages: Record<string, number> = {}
        for (const rc of p.inventories.keys()) usages[rc] = p.usages.get(rc) ?? 0
        cacheHeaders(req, reply, undefined)
        return { resource_provider_generation: p.generation, usages }
      },
    },
    {
      method: 'GET',
      path: '/usages',
      min: '1.9',
      handler: async (req, reply) => {
        const q = validateQuery(req, S.usagesQuery(req.version))
        req.ctx.can(RULES.TOTAL_USAGES, { project_id: q.project_id })
        const s = await pl.state()
        cacheHeaders(req, reply, undefined)
        return usagesView(s, q, req.version)
      },
    },
    // --- aggregates
    {
      method: 'GET',
      path: '/resource_providers/:uuid/aggregates',
      min: '1.1',
      handler: async (req, reply) => {
        req.ctx.can(RULES.AGG_LIST)
        const p = await pl.provider(params(req).uuid)
        cacheHeaders(req, reply, undefined)
        return aggregatesView(p, req.version)
      },
    },
    {
      method: 'PUT',
      path: '/resource_providers/:uuid/aggregates',
      min: '1.1',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.AGG_UPDATE)
        await pl.provider(params(req).uuid) // 404 before the body is looked at (upstream)
        let aggs: string[]
        let gen: number | undefined
        if (req.version.gte('1.19')) {
          const b = body<{ aggregates: string[]; resource_provider_generation: number }>(
            req,
            S.PUT_AGGREGATES_1_19,
          )
          aggs = b.aggregates
          gen = b.resource_provider_generation
        } else aggs = body<string[]>(req, S.PUT_AGGREGATES_1_1)
        const p = await pl.setAggregates(params(req).uuid, aggs.map(normUuid), gen)
        cacheHeaders(req, reply, undefined)
        return aggregatesView(p, req.version)
      },
    },
    // --- traits
    {
      method: 'GET',
      path: '/traits',
      min: '1.6',
      handler: async (req, reply) => {
        req.ctx.can(RULES.TRAITS_LIST)
        const q = validateQuery(req, S.LIST_TRAITS_QUERY)
        const s = await pl.state()
        let names = [...s.traits.keys()]
        if (q.name !== undefined) {
          if (q.name.startsWith('in:')) {
            const want = new Set(q.name.slice(3).split(','))
            names = names.filter((n) => want.has(n))
          } else if (q.name.startsWith('startswith:')) {
            const pre = q.name.slice('startswith:'.length)
            names = names.filter((n) => n.startsWith(pre))
          } else {
            throw new PlacementBadRequest(
              `Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${q.name}"`,
            )
          }
        }
        if (q.associated !== undefined) {
          if (q.associated !== 'true' && q.associated !== 'false') {
            throw new PlacementBadRequest('The query parameter "associated" only accepts "true" or "false"')
          }
          const used = new Set<string>()
          for (const p of s.providers.values()) for (const t of p.traits) used.add(t)
          names = names.filter((n) => used.has(n) === (q.associated === 'true'))
        }
        cacheHeaders(req, reply, newest(...names.map((n) => s.traits.get(n)!.createdAt)))
        return { traits: names.sort() }
      },
    },
    {
      method: 'GET',
      path: '/traits/:name',
      min: '1.6',
      anyAccept: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.TRAITS_SHOW)
        const name = params(req).name
        const t = (await pl.state()).traits.get(name)
        if (!t) throw new PlacementNotFound(`No such trait(s): ${name}.`)
        cacheHeaders(req, reply, t.updatedAt ?? t.createdAt)
        return reply.code(204).send()
      },
    },
    {
      method: 'PUT',
      path: '/traits/:name',
      min: '1.6',
      handler: async (req, reply) => {
        req.ctx.can(RULES.TRAITS_UPDATE)
        const name = params(req).name
        if (validate(name, { type: 'string', minLength: 1, maxLength: 255, pattern: S.CUSTOM_PATTERN })) {
          throw new PlacementBadRequest(
            'The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"',
          )
        }
        const created = await pl.createTrait(name)
        const t = (await pl.state()).traits.get(name)
        reply.header('location', `${prefix}/traits/${name}`)
        cacheHeaders(req, reply, t?.updatedAt ?? t?.createdAt)
        return reply.code(created ? 201 : 204).send()
      },
    },
    {
      method: 'DELETE',
      path: '/traits/:name',
      min: '1.6',
      handler: async (req, reply) => {
        req.ctx.can(RULES.TRAITS_DELETE)
        await pl.deleteTrait(params(req).name)
        return reply.code(204).send()
      },
    },
    {
      method: 'GET',
      path: '/resource_providers/:uuid/traits',
      min: '1.6',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_TRAIT_LIST)
        const p = await pl.provider(params(req).uuid)
        cacheHeaders(req, reply, undefined)
        return { resource_provider_generation: p.generation, traits: [...p.traits].sort() }
      },
    },
    {
      method: 'PUT',
      path: '/resource_providers/:uuid/traits',
      min: '1.6',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_TRAIT_UPDATE)
        const b = body<{ traits: string[]; resource_provider_generation: number }>(req, S.SET_RP_TRAITS)
        const p = await pl.setProviderTraits(params(req).uuid, b.traits, b.resource_provider_generation)
        cacheHeaders(req, reply, undefined)
        return { resource_provider_generation: p.generation, traits: [...p.traits].sort() }
      },
    },
    {
      method: 'DELETE',
      path: '/resource_providers/:uuid/traits',
      min: '1.6',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_TRAIT_DELETE)
        await pl.deleteProviderTraits(params(req).uuid)
        return reply.code(204).send()
      },
    },
    // --- resource classes
    {
      method: 'GET',
      path: '/resource_classes',
      min: '1.2',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_LIST)
        const s = await pl.state()
        const list = [...s.resourceClasses.values()].sort((a, b) => a.id - b.id)
        cacheHeaders(req, reply, newest(...list.map((r) => r.updatedAt ?? r.createdAt)))
        return {
          resource_classes: list.map((r) => ({
            name: r.name,
            links: [{ rel: 'self', href: `${prefix}/resource_classes/${r.name}` }],
          })),
        }
      },
    },
    {
      method: 'POST',
      path: '/resource_classes',
      min: '1.2',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_CREATE)
        const b = body<{ name: string }>(req, S.POST_RC)
        await pl.createResourceClass(b.name)
        reply.header('location', `${prefix}/resource_classes/${b.name}`)
        return reply.code(201).send()
      },
    },
    {
      method: 'GET',
      path: '/resource_classes/:name',
      min: '1.2',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_SHOW)
        const name = params(req).name
        const r = (await pl.state()).resourceClasses.get(name)
        if (!r) throw new PlacementNotFound(`No such resource class ${name}.`)
        cacheHeaders(req, reply, r.updatedAt ?? r.createdAt)
        return { name: r.name, links: [{ rel: 'self', href: `${prefix}/resource_classes/${r.name}` }] }
      },
    },
    {
      method: 'PUT',
      path: '/resource_classes/:name',
      min: '1.2',
      max: '1.6',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_UPDATE)
        const b = body<{ name: string }>(req, S.POST_RC)
        await pl.updateResourceClass(params(req).name, b.name)
        const r = (await pl.state()).resourceClasses.get(b.name)!
        return reply.send({
          name: r.name,
          links: [{ rel: 'self', href: `${prefix}/resource_classes/${r.name}` }],
        })
      },
    },
    {
      method: 'PUT',
      path: '/resource_classes/:name',
      min: '1.7',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_UPDATE)
        const name = params(req).name
        if (validate(name, { type: 'string', pattern: S.CUSTOM_PATTERN, maxLength: 255 })) {
          const v = validate(name, { type: 'string', pattern: S.CUSTOM_PATTERN, maxLength: 255 })!
          throw new PlacementBadRequest(
            `JSON does not validate: ${v.message}\n\nFailed validating '${v.keyword}' in schema['properties']['name']`,
          )
        }
        const s = await pl.state(true)
        reply.header('location', `${prefix}/resource_classes/${name}`)
        // NOTE: no cache headers here, as upstream (last-modified is for GETs).
        if (s.resourceClasses.has(name)) return reply.code(204).send()
        await pl.createResourceClass(name)
        return reply.code(201).send()
      },
    },
    {
      method: 'DELETE',
      path: '/resource_classes/:name',
      min: '1.2',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RC_DELETE)
        await pl.deleteResourceClass(params(req).name)
        return reply.code(204).send()
      },
    },
    // --- allocations
    {
      method: 'GET',
      path: '/allocations/:consumer_uuid',
      handler: async (req, reply) => {
        req.ctx.can(RULES.ALLOC_LIST)
        const s = await pl.state()
        const c = s.consumers.get(params(req).consumer_uuid)
        const allocations: Record<string, unknown> = {}
        for (const a of c?.allocations ?? []) {
          allocations[a.provider.uuid] ??= { generation: a.provider.generation, resources: {} }
          const e = allocations[a.provider.uuid] as {
            resources: Record<string, number>
          }
          e.resources[a.resourceClass] = a.used
        }
        const out: Record<string, unknown> = { allocations }
        if (c?.allocations.length && req.version.gte('1.12')) {
          out.project_id = c.projectId
          out.user_id = c.userId
          if (req.version.gte('1.28')) out.consumer_generation = c.generation
          if (req.version.gte('1.38')) out.consumer_type = c.consumerType ?? 'unknown'
        }
        cacheHeaders(req, reply, undefined)
        return out
      },
    },
    {
      method: 'PUT',
      path: '/allocations/:consumer_uuid',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.ALLOC_UPDATE)
        const uuid = params(req).consumer_uuid
        if (!isUuidLike(uuid)) throw new PlacementBadRequest(`Malformed consumer_uuid: ${uuid}`)
        const b = body<Record<string, unknown>>(req, S.putAllocationSchema(req.version))
        await pl.setAllocations([allocationInput(normUuid(uuid), b, req.version)])
        return reply.code(204).send()
      },
    },
    {
      method: 'POST',
      path: '/allocations',
      min: '1.13',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.ALLOC_MANAGE)
        const b = body<Record<string, Record<string, unknown>>>(req, S.postAllocationsSchema(req.version))
        await pl.setAllocations(
          Object.entries(b).map(([uuid, entry]) => allocationInput(normUuid(uuid), entry, req.version)),
        )
        return reply.code(204).send()
      },
    },
    {
      method: 'DELETE',
      path: '/allocations/:consumer_uuid',
      handler: async (req, reply) => {
        req.ctx.can(RULES.ALLOC_DELETE)
        await pl.deleteAllocations(params(req).consumer_uuid)
        return reply.code(204).send()
      },
    },
    {
      method: 'GET',
      path: '/resource_providers/:uuid/allocations',
      handler: async (req, reply) => {
        req.ctx.can(RULES.RP_ALLOC_LIST)
        const s = await pl.state()
        const uuid = params(req).uuid
        const p = s.byUuid.get(uuid)
        if (!p)
          throw new PlacementNotFound(
            `Resource provider '${uuid}' not found: No resource provider with uuid ${uuid} found`,
          )
        const allocations: Record<string, { resources: Record<string, number> }> = {}
        for (const c of s.consumers.values()) {
          for (const a of c.allocations) {
            if (a.provider !== p) continue
            allocations[c.uuid] ??= { resources: {} }
            allocations[c.uuid]!.resources[a.resourceClass] = a.used
          }
        }
        cacheHeaders(req, reply, undefined)
        return { resource_provider_generation: p.generation, allocations }
      },
    },
    // --- reshaper
    {
      method: 'POST',
      path: '/reshaper',
      min: '1.30',
      json: true,
      handler: async (req, reply) => {
        req.ctx.can(RULES.RESHAPE)
        const b = body<{
          inventories: Record<
            string,
            { resource_provider_generation: number; inventories: Record<string, InventoryInput> }
          >
          allocations: Record<string, Record<string, unknown>>
        }>(req, S.reshaperSchema(req.version))
        await pl.setAllocations(
          Object.entries(b.allocations).map(([uuid, e]) => allocationInput(uuid, e, req.version)),
          {
            reshape: Object.entries(b.inventories).map(([uuid, e]) => ({
              uuid,
              generation: e.resource_provider_generation,
              inventories: e.inventories,
            })),
          },
        )
        return reply.code(204).send()
      },
    },
    // --- allocation candidates
    {
      method: 'GET',
      path: '/allocation_candidates',
      min: '1.10',
      handler: async (req, reply) => {
        req.ctx.can(RULES.AC_LIST)
        validateQuery(req, S.candidatesQuery(req.version))
        const s = await pl.state()
        const { creq, empty } = candidateRequest(s, req)
        const found = empty ? [] : findCandidates(s, creq)
        cacheHeaders(req, reply, undefined)
        return candidatesView(s, found, creq, req.version)
      },
    },
  ]

  const byPath = new Map<string, Route[]>()
  for (const r of routes) {
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
          const out = await route.handler(req, reply)
          if (reply.sent) return reply
          return out
        },
      })
    }
  }
}

let versionMax = '1.39'
const VERSIONS_MAX = () => versionMax
export function setVersionMax(v: string) {
  versionMax = v
}

function normUuid(u: string): string {
  const hex = u
    .replace(/[{}-]/g, '')
    .replace(/^urn:uuid:/, '')
    .toLowerCase()
  if (!/^[0-9a-f]{32}$/.test(hex)) return u
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function inventoriesView(p: Provider) {
  const inventories: Record<string, unknown> = {}
  for (const [rc, i] of p.inventories) inventories[rc] = inventoryView(i)
  return { resource_provider_generation: p.generation, inventories }
}

function aggregatesView(p: Provider, v: Version) {
  const out: Record<string, unknown> = { aggregates: [...p.aggregates] }
  if (v.gte('1.19')) out.resource_provider_generation = p.generation
  return out
}

function allocationInput(uuid: string, b: Record<string, unknown>, v: Version): AllocationInput {
  const allocations = new Map<string, Map<string, number>>()
  if (Array.isArray(b.allocations)) {
    for (const a of b.allocations as {
      resource_provider: { uuid: string }
      resources: Record<string, number>
    }[]) {
      const m = allocations.get(a.resource_provider.uuid) ?? new Map<string, number>()
      for (const [rc, n] of Object.entries(a.resources)) m.set(rc, n)
      allocations.set(a.resource_provider.uuid, m)
    }
  } else {
    for (const [rp, a] of Object.entries(
      b.allocations as Record<string, { resources: Record<string, number> }>,
    )) {
      allocations.set(rp, new Map(Object.entries(a.resources)))
    }
  }
  return {
    consumerUuid: uuid,
    allocations,
    projectId: (b.project_id as string | undefined) ?? INCOMPLETE_CONSUMER_ID,
    userId: (b.user_id as string | undefined) ?? INCOMPLETE_CONSUMER_ID,
    consumerType: v.gte('1.38') ? (b.consumer_type as string) : undefined,
    consumerGeneration: v.gte('1.28') ? (b.consumer_generation as number | null) : undefined,
  }
}

function filterProviders(s: PlacementState, req: FastifyRequest, q: Record<string, string>): Provider[] {
  const v = req.version
  let list = [...s.providers.values()]
  if (q.name !== undefined) list = list.filter((p) => p.name === q.name)
  if (q.uuid !== undefined) list = list.filter((p) => p.uuid === normUuid(q.uuid!))
  if (q.in_tree !== undefined) {
    const t = s.byUuid.get(normUuid(q.in_tree))
    list = t ? list.filter((p) => p.root === t.root) : []
  }
  const memberOf = queryAll(req, 'member_of')
  if (memberOf.length) {
    if (memberOf.length > 1 && !v.gte('1.24'))
      throw new PlacementBadRequest('Multiple member_of parameters are not supported')
    const f = parseMemberOf(memberOf, v.gte('1.32'))
    list = list.filter((p) => {
      for (const any of f.memberOf) if (!any.some((a) => p.aggregates.has(a))) return false
      for (const a of f.forbidden) if (p.aggregates.has(a)) return false
      return true
    })
  }
  const required = queryAll(req, 'required')
  if (required.length) {
    const f = parseRequired(v.gte('1.39') ? required : [required[required.length - 1]!], s, {
      allowForbidden: v.gte('1.22'),
      allowAnyOf: v.gte('1.39'),
    })
    list = list.filter((p) => traitsMatch(p.traits, f))
  }
  if (q.resources !== undefined) {
    const res = parseResources(q.resources, s)
    list = list.filter((p) => {
      for (const [rc, n] of res) {
        const inv = p.inventories.get(rc)
        if (!inv) return false
        const cap = Math.floor((inv.total - inv.reserved) * inv.allocationRatio + 1e-9)
        if ((p.usages.get(rc) ?? 0) + n > cap) return false
        if (n < inv.minUnit || n > inv.maxUnit || n % inv.stepSize !== 0) return false
      }
      return true
    })
  }
  return list
}

function usagesView(s: PlacementState, q: Record<string, string>, v: Version) {
  const consumers = [...s.consumers.values()].filter(
    (c) => c.projectId === q.project_id && (q.user_id === undefined || c.userId === q.user_id),
  )
  if (!v.gte('1.38')) {
    const usages: Record<string, number> = {}
    for (const c of consumers)
      for (const a of c.allocations) usages[a.resourceClass] = (usages[a.resourceClass] ?? 0) + a.used
    return { usages }
  }
  const want = q.consumer_type
  const groups: Record<string, Record<string, number>> = {}
  for (const c of consumers) {
    if (c.allocations.length === 0) continue
    const type = c.consumerType ?? 'unknown'
    if (want !== undefined && want !== 'all' && want !== type) continue
    const key = want === 'all' ? 'all' : type
    groups[key] ??= { consumer_count: 0 }
    const g = groups[key]!
    g.consumer_count!++
    for (const a of c.allocations) g[a.resourceClass] = (g[a.resourceClass] ?? 0) + a.used
  }
  return { usages: groups }
}

const GROUP_KEY = /^(resources|required|member_of|in_tree)([1-9][0-9]*)?$/
const GROUP_KEY_1_33 = /^(resources|required|member_of|in_tree)([a-zA-Z0-9_-]{1,64})?$/

/** Python's repr of a list of strings, as upstream's messages print them. */
const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`

/**
 * Turns the query string into a candidate request in upstream's order: request-wide
 * parameters, then each group's syntax, then the structural rules (orphans, same_subtree,
 * conflicting traits, group_policy), and only then names against the state. `empty`
 * means the request is valid but can match nothing (upstream answers 200 with no
 * candidates, e.g. for an unknown in_tree provider).
 */
function candidateRequest(
  s: PlacementState,
  req: FastifyRequest,
): { creq: CandidateRequest; empty: boolean } {
  const v = req.version
  const query = req.query as Record<string, string | string[]>
  const all = (k: string) => queryAll(req, k)
  // --- request-wide parameters
  const limitValues = all('limit')
  const limit = limitValues.length ? Number(limitValues[0]) : undefined
  const policy = all('group_policy')[0]
  let rootRequired: TraitFilter | undefined
  const rootValues = v.gte('1.35') ? all('root_required') : []
  if (rootValues.length > 1) {
    throw new PlacementBadRequest(
      "Query parameter 'root_required' may be specified only once.",
      'placement.query.duplicate_key',
    )
  }
  if (rootValues.length) {
    rootRequired = parseRequired(rootValues, s, {
      allowForbidden: true,
      allowAnyOf: false,
      param: 'root_required',
      resolve: false,
    })
    const conflicts = rootRequired.required
      .map((x) => [...x][0]!)
      .filter((t) => rootRequired!.forbidden.has(t))
    if (conflicts.length) {
      throw new QueryBadValue(
        `Conflicting required and forbidden traits found in root_required: ${[...new Set(conflicts)].join(', ')}`,
      )
    }
  }
  const sameSubtree: string[][] = []
  if (v.gte('1.36')) {
    for (const value of all('same_subtree')) {
      const suffixes = [...new Set(value.split(',').map((x) => x.trim()))]
      if (suffixes.includes('')) {
        throw new QueryBadValue('Empty string (unsuffixed group) can not be specified in `same_subtree` ')
      }
      sameSubtree.push(suffixes)
    }
  }
  // --- groups, syntax only
  const groups = new Map<string, RequestGroup>()
  const inTreeUuid = new Map<string, string>()
  const group = (suffix: string): RequestGroup => {
    let g = groups.get(suffix)
    if (!g) {
      g = {
        suffix,
        resources: new Map(),
        traits: { required: [], forbidden: new Set() },
        aggregates: { memberOf: [], forbidden: new Set() },
        inTree: undefined,
        sameProvider: suffix !== '',
      }
      groups.set(suffix, g)
    }
    return g
  }
  const keyPattern = v.gte('1.33') ? GROUP_KEY_1_33 : GROUP_KEY
  for (const key of Object.keys(query)) {
    const m = keyPattern.exec(key)
    if (!m) continue
    const kind = m[1]!
    const suffix = m[2] ?? ''
    const values = all(key)
    const g = group(suffix)
    if (kind === 'resources') {
      g.resources = parseResources(values[values.length - 1]!, s, false)
    } else if (kind === 'required') {
      const f = parseRequired(v.gte('1.39') ? values : [values[values.length - 1]!], s, {
        allowForbidden: v.gte('1.22'),
        allowAnyOf: v.gte('1.39'),
        param: key,
        resolve: false,
      })
      g.traits = f
    } else if (kind === 'member_of') {
      if (values.length > 1 && !v.gte('1.24'))
        throw new PlacementBadRequest(`Multiple member_of${suffix} parameters are not supported`)
      const f = parseMemberOf(values, v.gte('1.32'), suffix)
      g.aggregates = f
    } else if (kind === 'in_tree') {
      const t = values[values.length - 1]!
      if (!isUuidLike(t)) {
        throw new PlacementBadRequest(
          `Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: ${t}`,
        )
      }
      inTreeUuid.set(suffix, normUuid(t))
    }
  }
  // --- structure
  const list = [...groups.values()]
  const resourceless = list.filter((g) => g.resources.size === 0).map((g) => g.suffix)
  if (v.gte('1.36')) {
    if (resourceless.length === list.length) {
      throw new PlacementBadRequest(
        'There must be at least one resources or resources[$S] parameter.',
        'placement.query.missing_value',
      )
    }
    const inSubtree = new Set(sameSubtree.flat())
    const bad = resourceless.filter((sfx) => !inSubtree.has(sfx))
    if (bad.length) {
      throw new QueryBadValue(
        `Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${pyList(bad)}.`,
      )
    }
    const notFound = [...inSubtree].filter((sfx) => !groups.has(sfx))
    if (notFound.length) {
      throw new QueryBadValue(
        `Real suffixes should be specified in \`same_subtree\`: ${pyList(notFound)} not found in ${pyList([...groups.keys()])}.`,
      )
    }
  } else {
    const orphanTraits = list
      .filter((g) => g.traits.required.length && g.resources.size === 0)
      .map((g) => `required${g.suffix}`)
    if (orphanTraits.length) {
      throw new PlacementBadRequest(
        `All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${orphanTraits.join(', ')}`,
      )
    }
    const orphanAggs = list
      .filter(
        (g) =>
          g.resources.size === 0 && (g.aggregates.memberOf.length > 0 || g.aggregates.forbidden.size > 0),
      )
      .map((g) => `member_of${g.suffix}`)
    if (orphanAggs.length) {
      throw new PlacementBadRequest(
        `All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${orphanAggs.join(', ')}`,
      )
    }
    if (resourceless.length) throw new PlacementBadRequest('All request groups must specify resources.')
    if (list.length === 0) {
      throw new PlacementBadRequest(
        'At least one request group (`resources` or `resources{$S}`) is required.',
      )
    }
  }
  if (v.gte('1.22')) {
    const conflicts: string[] = []
    for (const g of list) {
      for (const any of g.traits.required) {
        if ([...any].every((t) => g.traits.forbidden.has(t)))
          conflicts.push(`required${g.suffix}: (${[...any].sort().join(', ')})`)
      }
    }
    if (conflicts.length) {
      throw new PlacementBadRequest(
        `Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(', ')}`,
      )
    }
  }
  if (policy === undefined && list.filter((g) => g.sameProvider).length > 1) {
    throw new PlacementBadRequest(
      'The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.',
    )
  }
  // --- names against the state, in upstream's order: anchor traits, then each group's
  // resource classes, traits and in_tree.
  let empty = false
  const missingTrait = (f: TraitFilter) => {
    const t = unknownTrait(f, s)
    if (t !== undefined) throw new PlacementBadRequest(`No such trait(s): ${t}.`)
  }
  if (rootRequired) {
    missingTrait(rootRequired)
    if (!s.roots.some((r) => traitsMatch(r.traits, rootRequired!))) empty = true
  }
  for (const g of empty ? [] : list) {
    for (const rc of g.resources.keys()) {
      if (!s.resourceClasses.has(rc))
        throw new PlacementBadRequest(
          `Invalid resource class in resources parameter: No such resource class ${rc}.`,
        )
    }
    missingTrait(g.traits)
    const t = inTreeUuid.get(g.suffix)
    if (t !== undefined) {
      g.inTree = s.byUuid.get(t)
      if (!g.inTree) {
        empty = true
        break
      }
    }
  }
  return {
    creq: {
      groups: list,
      isolate: policy === 'isolate',
      limit,
      rootRequired,
      sameSubtree,
      nestedAware: v.gte('1.29'),
    },
    empty,
  }
}

function candidatesView(
  s: PlacementState,
  found: ReturnType<typeof findCandidates>,
  creq: CandidateRequest,
  v: Version,
) {
  const requested = new Set<string>()
  for (const g of creq.groups) for (const rc of g.resources.keys()) requested.add(rc)
  const summaryProviders = new Set<Provider>()
  for (const c of found) {
    for (const p of c.alloc.keys()) {
      if (v.gte('1.29')) for (const q of PlacementState.treeOf(p.root)) summaryProviders.add(q)
      else summaryProviders.add(p)
    }
    if (v.gte('1.29')) for (const q of PlacementState.treeOf(c.anchor)) summaryProviders.add(q)
  }
  const provider_summaries: Record<string, unknown> = {}
  for (const p of [...summaryProviders].sort((a, b) => a.id - b.id)) {
    const sum: Record<string, unknown> = {
      resources: summaryResources(p, v.gte('1.27') ? undefined : requested),
    }
    // NOTE: upstream lists a provider's traits in trait id order (its database order).
    if (v.gte('1.17')) sum.traits = [...p.traits].sort((a, b) => traitId(s, a) - traitId(s, b))
    if (v.gte('1.29')) {
      sum.parent_provider_uuid = p.parent?.uuid ?? null
      sum.root_provider_uuid = p.root.uuid
    }
    provider_summaries[p.uuid] = sum
  }
  const allocation_requests = found.map((c) => {
    if (!v.gte('1.12')) {
      return {
        allocations: [...c.alloc].map(([p, m]) => ({
          resource_provider: { uuid: p.uuid },
          resources: Object.fromEntries(m),
        })),
      }
    }
    const allocations: Record<string, unknown> = {}
    for (const [p, m] of c.alloc) allocations[p.uuid] = { resources: Object.fromEntries(m) }
    const out: Record<string, unknown> = { allocations }
    if (v.gte('1.34'))
      out.mappings = Object.fromEntries([...c.mappings].map(([sfx, ps]) => [sfx, ps.map((p) => p.uuid)]))
    return out
  })
  return { allocation_requests, provider_summaries }
}

export { STANDARD_RESOURCE_CLASSES }

function traitId(s: PlacementState, name: string): number {
  return s.traits.get(name)?.id ?? Number.MAX_SAFE_INTEGER
}
