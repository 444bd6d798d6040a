/** Workers cleanup (3.24): the body's filters checked as Cinder's workers controller does, then one domain call. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CLEANABLE_TYPES, type CleanupFilter } from '../domain/workers.js'
import { InvalidInput } from '../errors.js'
import { parseBool, type VolumeDeps } from './common.js'

const ALLOWED = new Set([
  'service_id',
  'cluster_name',
  'host',
  'binary',
  'is_up',
  'disabled',
  'resource_id',
  'resource_type',
  'until',
])
const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

function filterOf(body: unknown): CleanupFilter {
  if (body === null || body === undefined) return { isUp: false }
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InvalidInput('The request body must be an object.')
  const b = body as Record<string, unknown>
  const invalid = Object.keys(b).filter((k) => !ALLOWED.has(k))
  if (invalid.length) throw new InvalidInput(`Invalid filter keys: ${invalid.join(', ')}`)
  const str = (k: string): string | undefined => {
    const v = b[k]
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'string' || v.length > 255)
      throw new InvalidInput(`Invalid value for ${k}: must be a string.`)
    return v
  }
  const f: CleanupFilter = { isUp: false }
  if (b.binary !== undefined && b.binary !== null) {
    if (b.binary !== 'cinder-volume' && b.binary !== 'cinder-scheduler')
      throw new InvalidInput('binary must be empty or set to cinder-volume or cinder-scheduler')
    f.binary = b.binary
  }
  if (b.is_up !== undefined && b.is_up !== null) f.isUp = parseBool(b.is_up, 'is_up')
  if (b.disabled !== undefined && b.disabled !== null) f.disabled = parseBool(b.disabled, 'disabled')
  if (b.service_id !== undefined && b.service_id !== null) {
    const raw = b.service_id
    const n =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'string' && /^[0-9]{1,11}$/.test(raw)
          ? Number(raw)
          : Number.NaN
    if (!Number.isInteger(n) || n < 0) throw new InvalidInput(`Invalid value for service_id: ${String(raw)}.`)
    f.serviceId = n
  }
  if ('cluster_name' in b) f.clusterName = str('cluster_name') ?? null
  const host = str('host')
  if (host !== undefined) f.host = host
  const type = str('resource_type')
  if (type) {
    const titled = type.charAt(0).toUpperCase() + type.slice(1).toLowerCase()
    if (!(CLEANABLE_TYPES as readonly string[]).includes(titled))
      throw new InvalidInput(`Resource type ${type} not valid, must be ${CLEANABLE_TYPES.join(' or ')}.`)
    f.resourceType = titled as CleanupFilter['resourceType']
  }
  const id = str('resource_id')
  if (id) {
    if (!UUID_LIKE.test(id)) throw new InvalidInput(`Resource ID must be a UUID, and ${id} is not.`)
    f.resourceId = id
  }
  return f
}

export async function cleanup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const filter = filterOf(req.body)
  const result = await deps.workers.cleanup(filter)
  reply.code(202)
  return result
}
