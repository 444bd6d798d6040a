/**
 * Unified limits: /v3/registered_limits, /v3/limits and /v3/limits/model. Creates
 * take a list and answer it without collection links, as Keystone does.
 */
import type { FastifyRequest } from 'fastify'
import { listLimit } from '../domain/config.js'
import type {
  Limit,
  LimitInput,
  LimitViewer,
  RegisteredLimit,
  RegisteredLimitInput,
} from '../domain/limits.js'
import type { PolicyModel } from '../policies/strict.js'
import { bodyOf, can, collection, noContent, params, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'

const registeredView = (req: FastifyRequest, r: RegisteredLimit) => ({
  id: r.id,
  service_id: r.service_id,
  region_id: r.region_id,
  resource_name: r.resource_name,
  default_limit: r.default_limit,
  description: r.description,
  links: selfLink(req, `registered_limits/${r.id}`),
})

const limitView = (req: FastifyRequest, l: Limit) => ({
  id: l.id,
  project_id: l.project_id,
  domain_id: l.domain_id,
  service_id: l.service_id,
  region_id: l.region_id,
  resource_name: l.resource_name,
  resource_limit: l.resource_limit,
  description: l.description,
  links: selfLink(req, `limits/${l.id}`),
})

/**
 * Whose limits a caller lists, as Keystone decides: a system token (or, unless the
 * strict persona model holds, an admin or service role) sees all, a domain token its
 * domain, a project token its project.
 */
function viewerOf(req: FastifyRequest, model: PolicyModel): LimitViewer {
  const who = req.ctx.who
  if (who.system_scope) return { all: true }
  if (model !== 'strict' && (who.roles.includes('admin') || who.roles.includes('service')))
    return { all: true }
  if (who.domain_id) return { domainId: who.domain_id }
  return { projectId: who.project_id ?? '' }
}

// Registered limits

/** GET /v3/registered_limits */
export const listRegisteredLimits: Handler = async (req, _reply, d) => {
  const q = query(req)
  const list = await d.limits.listRegistered({
    service_id: qs(q, 'service_id'),
    region_id: qs(q, 'region_id'),
    resource_name: qs(q, 'resource_name'),
  })
  return collection(
    req,
    'registered_limits',
    list.map((x) => registeredView(req, x)),
    {},
    listLimit(d.config, 'unified_limit'),
  )
}

/** POST /v3/registered_limits */
export const createRegisteredLimits: Handler = async (req, reply, d) => {
  const created = await d.limits.createRegistered(bodyOf<RegisteredLimitInput[]>(req, 'registered_limits'))
  return reply.code(201).send({ registered_limits: created.map((x) => registeredView(req, x)) })
}

/** GET /v3/registered_limits/:id */
export const getRegisteredLimit: Handler = async (req, _reply, d) => {
  return { registered_limit: registeredView(req, await d.limits.getRegistered(params(req).id)) }
}

/** PATCH /v3/registered_limits/:id */
export const updateRegisteredLimit: Handler = async (req, _reply, d) => {
  const body = bodyOf<Partial<RegisteredLimitInput>>(req, 'registered_limit')
  return { registered_limit: registeredView(req, await d.limits.updateRegistered(params(req).id, body)) }
}

/** DELETE /v3/registered_limits/:id */
export const deleteRegisteredLimit: Handler = async (req, reply, d) => {
  await d.limits.deleteRegistered(params(req).id)
  return noContent(reply)
}

// Limits

/** GET /v3/limits/model */
export const getLimitModel: Handler = async (_req, _reply, d) => {
  return { model: d.limits.model() }
}

/** GET /v3/limits */
export const listLimits: Handler = async (req, _reply, d) => {
  const q = query(req)
  const list = await d.limits.listLimits(
    {
      service_id: qs(q, 'service_id'),
      region_id: qs(q, 'region_id'),
      resource_name: qs(q, 'resource_name'),
      project_id: qs(q, 'project_id'),
      domain_id: qs(q, 'domain_id'),
    },
    viewerOf(req, d.policyModel),
  )
  return collection(
    req,
    'limits',
    list.map((x) => limitView(req, x)),
    {},
    listLimit(d.config, 'unified_limit'),
  )
}

/** POST /v3/limits */
export const createLimits: Handler = async (req, reply, d) => {
  const created = await d.limits.createLimits(bodyOf<LimitInput[]>(req, 'limits'))
  return reply.code(201).send({ limits: created.map((x) => limitView(req, x)) })
}

/** GET /v3/limits/:id: readable by its domain and its project (the rule looks at the limit). */
export const getLimit: Handler = async (req, _reply, d) => {
  const limit = await d.limits.getLimit(params(req).id)
  const owner = limit.project_id ? await d.projects.find(limit.project_id) : undefined
  can(req, 'identity:get_limit', {
    limit: {
      ...limit,
      ...(owner ? { project: { id: owner.id, domain_id: owner.domain_id } } : {}),
      ...(limit.domain_id ? { domain: { id: limit.domain_id } } : {}),
    },
  })
  return { limit: limitView(req, limit) }
}

/** PATCH /v3/limits/:id */
export const updateLimit: Handler = async (req, _reply, d) => {
  const body = bodyOf<{ resource_limit?: number; description?: string | null }>(req, 'limit')
  return { limit: limitView(req, await d.limits.updateLimit(params(req).id, body)) }
}

/** DELETE /v3/limits/:id */
export const deleteLimit: Handler = async (req, reply, d) => {
  await d.limits.deleteLimit(params(req).id)
  return noContent(reply)
}
