/** Port forwardings: a sub-collection of a floating IP (`/floatingips/<id>/port_forwardings`). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseListQuery, pickFields } from '../domain/query.js'
import { PORT_FORWARDING } from '../schemas/attributes.js'
import { caller, fieldsOf, type NetworkDeps, params, query } from './common.js'

export async function list(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const q = parseListQuery(query(req), PORT_FORWARDING)
  const page = await deps.portForwardings.list(caller(req), params(req).id!, q)
  return { port_forwardings: page.items.map((i) => pickFields(i, q.fields)) }
}

export async function show(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const pf = await deps.portForwardings.show(caller(req), params(req).id!, params(req).pf_id!)
  return { port_forwarding: pickFields(pf, fieldsOf(req)) }
}

export async function create(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  const pf = await deps.portForwardings.create(caller(req), params(req).id!, req.body)
  return reply.code(201).send({ port_forwarding: pf })
}

export async function update(req: FastifyRequest, _reply: FastifyReply, deps: NetworkDeps) {
  const p = params(req)
  return { port_forwarding: await deps.portForwardings.update(caller(req), p.id!, p.pf_id!, req.body) }
}

export async function remove(req: FastifyRequest, reply: FastifyReply, deps: NetworkDeps) {
  await deps.portForwardings.delete(caller(req), params(req).id!, params(req).pf_id!)
  return reply.code(204).send()
}
