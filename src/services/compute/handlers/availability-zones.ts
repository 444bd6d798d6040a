/** Availability zone handlers: the zone list anyone may read, and the admin's detail with hosts. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ComputeDeps } from './common.js'

export async function listZones(_req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { availabilityZoneInfo: await deps.zones.list(false) }
}

export async function listZoneDetails(_req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { availabilityZoneInfo: await deps.zones.list(true) }
}
