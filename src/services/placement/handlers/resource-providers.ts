/**
 * /resource_providers and /resource_providers/{uuid}.
 */
import type { FastifyRequest } from 'fastify'
import type { PlacementState, Provider } from '../domain/model.js'
import { normalizeUuid, parseMemberOf, parseRequired, parseResources } from '../domain/query.js'
import { filterProviders, type ProviderFilter } from '../domain/resource-providers.js'
import { PlacementBadRequest } from '../errors.js'
import { cacheHeaders, newest, queryAll, validateQuery } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { type Handler, input, params, providerUrl } from './handler.js'
import { providerView } from './views.js'

const lastModifiedOf = (p: Provider) => p.updatedAt ?? p.createdAt

export const listProviders: Handler = async (req, reply, d) => {
  const q = validateQuery(req, S.getRpsQuery(req.version))
  const s = await d.pl.state()
  const list = filterProviders(s, providerFilter(req, q, s))
  cacheHeaders(req, reply, newest(...list.map(lastModifiedOf)))
  return { resource_providers: list.map((p) => providerView(d.prefix, p, req.version)) }
}

export const createProvider: Handler = async (req, reply, d) => {
  const b = input<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(req)
  const p = await d.pl.providers.create({
    name: b.name,
    uuid: b.uuid && normalizeUuid(b.uuid),
    parentUuid: b.parent_provider_uuid,
  })
  reply.header('location', providerUrl(d, p.uuid))
  if (!req.version.gte('1.20')) return reply.code(201).send()
  cacheHeaders(req, reply, lastModifiedOf(p))
  return reply.code(200).send(providerView(d.prefix, p, req.version))
}

export const showProvider: Handler = async (req, reply, d) => {
  const p = await d.pl.provider(params(req).uuid)
  cacheHeaders(req, reply, lastModifiedOf(p))
  return providerView(d.prefix, p, req.version)
}

export const updateProvider: Handler = async (req, reply, d) => {
  const b = input<{ name: string; parent_provider_uuid?: string | null }>(req)
  const p = await d.pl.providers.update(
    params(req).uuid,
    { name: b.name, parentUuid: b.parent_provider_uuid, hasParent: 'parent_provider_uuid' in b },
    req.version.gte('1.37'),
  )
  cacheHeaders(req, reply, lastModifiedOf(p))
  return providerView(d.prefix, p, req.version)
}

export const deleteProvider: Handler = async (req, reply, d) => {
  await d.pl.providers.delete(params(req).uuid)
  return reply.code(204).send()
}

/**
 * The list's query parameters as a filter, parsed in upstream's order (member_of, then
 * required, then resources) with the rules of the request's version.
 */
function providerFilter(req: FastifyRequest, q: Record<string, string>, s: PlacementState): ProviderFilter {
  const v = req.version
  const f: ProviderFilter = { name: q.name, uuid: q.uuid, inTree: q.in_tree }
  const memberOf = queryAll(req, 'member_of')
  if (memberOf.length) {
    if (memberOf.length > 1 && !v.gte('1.24'))
      throw new PlacementBadRequest('Multiple member_of parameters are not supported')
    f.memberOf = parseMemberOf(memberOf, v.gte('1.32'))
  }
  const required = queryAll(req, 'required')
  if (required.length) {
    f.required = parseRequired(v.gte('1.39') ? required : [required[required.length - 1]!], s, {
      allowForbidden: v.gte('1.22'),
      allowAnyOf: v.gte('1.39'),
    })
  }
  if (q.resources !== undefined) f.resources = parseResources(q.resources, s)
  return f
}
