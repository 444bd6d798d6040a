/**
 * Flavor extra specs: list, show, create/replace (several keys), update (one key, named
 * in the URL and the body alike) and delete. From 2.86 keys and values are validated.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { normaliseSpecs } from '../domain/flavors.js'
import { ComputeBadRequest } from '../errors.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'

export async function listSpecs(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const flavor = await deps.flavors.get(callerOf(req), params(req).flavor_id!)
  return { extra_specs: await deps.flavors.extraSpecs(flavor) }
}

export async function showSpec(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const { flavor_id, key } = params(req) as { flavor_id: string; key: string }
  return { [key]: await deps.flavors.extraSpec(callerOf(req), flavor_id, key) }
}

export async function createSpecs(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const body = bodyOf(req)
  await deps.flavors.setExtraSpecs(
    callerOf(req),
    params(req).flavor_id!,
    body.extra_specs,
    req.version.gte('2.86'),
  )
  return body
}

export async function updateSpec(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const body = bodyOf(req)
  const { flavor_id, key } = params(req) as { flavor_id: string; key: string }
  // NOTE: upstream checks the value before the URL/body match.
  normaliseSpecs(body, req.version.gte('2.86'))
  if (!(key in body)) throw new ComputeBadRequest('Request body and URI mismatch')
  await deps.flavors.setExtraSpecs(callerOf(req), flavor_id, body, req.version.gte('2.86'))
  return body
}

export async function deleteSpec(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const { flavor_id, key } = params(req) as { flavor_id: string; key: string }
  await deps.flavors.deleteExtraSpec(callerOf(req), flavor_id, key)
  return reply.code(200).send()
}
