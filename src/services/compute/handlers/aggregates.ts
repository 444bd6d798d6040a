/**
 * Host aggregate handlers: list, create, show, update, delete, and the actions
 * (`add_host`, `remove_host`, `set_metadata`) on POST .../action; image pre-caching
 * requests (2.81). Aggregates are named by their integer id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Aggregate } from '../domain/aggregates.js'
import { AZ_KEY } from '../domain/aggregates.js'
import { novaTime } from '../domain/caller.js'
import { AggregateNotFound, ComputeBadRequest } from '../errors.js'
import { AGGREGATE } from '../policies/index.js'
import { ADD_HOST, REMOVE_HOST, SET_METADATA } from '../schemas/aggregates.js'
import { validateBody } from '../schemas/validate.js'
import { bodyOf, type ComputeDeps, params } from './common.js'
import { actionName } from './flavor-access.js'

function aggregateView(req: FastifyRequest, a: Aggregate, full = true) {
  return {
    availability_zone: a.metadata[AZ_KEY] ?? null,
    created_at: novaTime(a.created_at),
    deleted: false,
    deleted_at: null,
    ...(full ? { hosts: a.hosts } : {}),
    id: a.id,
    ...(full ? { metadata: a.metadata } : {}),
    name: a.name,
    updated_at: novaTime(a.updated_at),
    ...(req.version.gte('2.41') ? { uuid: a.uuid } : {}),
  }
}

/** The aggregate id in the URL: an integer, else 400 as upstream. */
function aggregateId(req: FastifyRequest): number {
  const raw = params(req).aggregate_id!
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new ComputeBadRequest('id must be an integer')
  const id = Number.parseInt(raw, 10)
  if (!Number.isSafeInteger(id) || id > 0x7fffffff) throw new ComputeBadRequest('id must be an integer')
  // NOTE: a negative id is an integer, so it is looked up (and not found) as upstream does.
  if (id < 0) throw new AggregateNotFound(id)
  return id
}

/** Upstream strips surrounding whitespace from names it stores. */
const normalise = (s: string) => s.trim()

export async function listAggregates(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { aggregates: (await deps.aggregates.list()).map((a) => aggregateView(req, a)) }
}

export async function createAggregate(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const a = bodyOf(req).aggregate
  const zone = a.availability_zone ? normalise(a.availability_zone) : a.availability_zone
  const created = await deps.aggregates.create(normalise(a.name), zone)
  return { aggregate: aggregateView(req, created, false) }
}

export async function showAggregate(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { aggregate: aggregateView(req, await deps.aggregates.get(aggregateId(req))) }
}

export async function updateAggregate(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const a = bodyOf(req).aggregate
  const id = aggregateId(req)
  const updated = await deps.aggregates.update(id, {
    ...(a.name === undefined ? {} : { name: normalise(a.name) }),
    ...(a.availability_zone === undefined ? {} : { zone: a.availability_zone }),
  })
  return { aggregate: aggregateView(req, updated) }
}

export async function deleteAggregate(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await deps.aggregates.delete(aggregateId(req))
  return reply.code(200).send()
}

/** POST /os-aggregates/{id}/action: the action is the body's one key. */
export async function aggregateAction(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const body = bodyOf(req)
  const key = actionName(body)
  if (key === 'add_host') {
    req.ctx.can(AGGREGATE.ADD_HOST)
    validateBody(ADD_HOST, body)
    const agg = await deps.aggregates.addHost(aggregateId(req), body.add_host.host)
    return { aggregate: aggregateView(req, agg) }
  }
  if (key === 'remove_host') {
    req.ctx.can(AGGREGATE.REMOVE_HOST)
    validateBody(REMOVE_HOST, body)
    const agg = await deps.aggregates.removeHost(aggregateId(req), body.remove_host.host)
    return { aggregate: aggregateView(req, agg) }
  }
  if (key === 'set_metadata') {
    req.ctx.can(AGGREGATE.SET_METADATA)
    validateBody(SET_METADATA, body)
    const agg = await deps.aggregates.setMetadata(aggregateId(req), body.set_metadata.metadata)
    return { aggregate: aggregateView(req, agg) }
  }
  throw new ComputeBadRequest(`There is no such action: ${key}`)
}

/**
 * Image pre-caching (2.81): accepted for the aggregate's hosts. NOTE: the request is
 * checked and acknowledged; the compute agents that fetch images join later.
 */
export async function cacheImages(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const ids = (bodyOf(req).cache as { id: string }[]).map((c) => c.id)
  if (new Set(ids).size !== ids.length) throw new ComputeBadRequest('Duplicate images in request')
  await deps.aggregates.get(aggregateId(req))
  return reply.code(202).send()
}
