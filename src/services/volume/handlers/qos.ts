/** QoS specs: create, list, show, set and unset keys, delete (force), associations with types. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput } from '../errors.js'
import type { QosRecord } from '../storage/qos.repo.js'
import { bodyOf, params, parseBool, queryOf, serviceUrl, type VolumeDeps } from './common.js'

function view(q: QosRecord) {
  return { id: q.id, name: q.name, consumer: q.consumer, specs: q.specs }
}

function links(req: FastifyRequest, deps: VolumeDeps, q: QosRecord) {
  const project = req.ctx.who.project_id ?? ''
  const base = serviceUrl(req, deps)
  return [
    { rel: 'self', href: `${base}/v3/${project}/qos-specs/${q.id}` },
    { rel: 'bookmark', href: `${base}/${project}/qos-specs/${q.id}` },
  ]
}

function stringSpecs(given: unknown, name: string): Record<string, string> {
  if (!given || typeof given !== 'object' || Array.isArray(given))
    throw new InvalidInput(`Missing required element '${name}' in request body.`)
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    if (!k || k.length > 255) throw new InvalidInput(`Invalid QoS specs key: ${k}`)
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new InvalidInput(`Invalid value for QoS spec ${k}`)
    if (String(v).length > 255) throw new InvalidInput(`Value of QoS spec ${k} is too long.`)
    out[k] = String(v)
  }
  return out
}

export async function createQos(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = stringSpecs(bodyOf(req)?.qos_specs, 'qos_specs')
  const { name, consumer = 'back-end', ...specs } = body
  if (!name?.trim()) throw new InvalidInput('Please specify a name for QoS specs.')
  const q = await deps.qos.create(name.trim(), consumer, specs)
  return { qos_specs: view(q), links: links(req, deps, q) }
}

export async function listQos(_req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { qos_specs: (await deps.qos.list()).map(view) }
}

export async function showQos(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const q = await deps.qos.get(params(req).qos_id!)
  return { qos_specs: view(q), links: links(req, deps, q) }
}

export async function setQosKeys(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const specs = stringSpecs(bodyOf(req)?.qos_specs, 'qos_specs')
  return { qos_specs: await deps.qos.setKeys(params(req).qos_id!, specs) }
}

export async function unsetQosKeys(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const keys = bodyOf(req)?.keys
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new InvalidInput("Missing required element 'keys' in request body.")
  await deps.qos.deleteKeys(params(req).qos_id!, keys)
  return reply.code(202).send()
}

export async function deleteQos(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const q = queryOf(req)
  await deps.qos.delete(params(req).qos_id!, q.force !== undefined && parseBool(q.force, 'force'))
  return reply.code(202).send()
}

export async function qosAssociations(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { qos_associations: await deps.qos.associations(params(req).qos_id!) }
}

function typeIdOf(req: FastifyRequest): string {
  const id = queryOf(req).vol_type_id
  if (!id) throw new InvalidInput('Volume Type id must not be None.')
  return id
}

export async function associateQos(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.qos.associate(params(req).qos_id!, typeIdOf(req))
  return reply.code(202).send()
}

export async function disassociateQos(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.qos.disassociate(params(req).qos_id!, typeIdOf(req))
  return reply.code(202).send()
}

export async function disassociateAllQos(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.qos.disassociateAll(params(req).qos_id!)
  return reply.code(202).send()
}
