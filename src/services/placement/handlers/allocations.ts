/**
 * /allocations/{consumer_uuid}, POST /allocations (1.13) and
 * /resource_providers/{uuid}/allocations.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import { type AllocationInput, INCOMPLETE_CONSUMER_ID } from '../domain/allocations.js'
import { normalizeUuid } from '../domain/query.js'
import { PlacementBadRequest } from '../errors.js'
import { cacheHeaders, validBody } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import { isUuidLike } from '../schemas/validation.js'
import { type Handler, input, params } from './handler.js'
import { consumerAllocationsView, providerAllocationsView } from './views.js'

export const showAllocations: Handler = async (req, reply, d) => {
  const c = await d.pl.consumer(params(req).consumer_uuid)
  cacheHeaders(req, reply, undefined)
  return consumerAllocationsView(c, req.version)
}

export const setAllocations: Handler = async (req, reply, d) => {
  const uuid = params(req).consumer_uuid
  if (!isUuidLike(uuid)) throw new PlacementBadRequest(`Malformed consumer_uuid: ${uuid}`)
  const b = validBody<AllocationBody>(req, S.putAllocationSchema(req.version))
  await d.pl.allocations.set([allocationInput(normalizeUuid(uuid), b, req.version)])
  return reply.code(204).send()
}

export const setManyAllocations: Handler = async (req, reply, d) => {
  const b = input<Record<string, AllocationBody>>(req)
  await d.pl.allocations.set(
    Object.entries(b).map(([uuid, entry]) => allocationInput(normalizeUuid(uuid), entry, req.version)),
  )
  return reply.code(204).send()
}

export const deleteAllocations: Handler = async (req, reply, d) => {
  await d.pl.allocations.delete(params(req).consumer_uuid)
  return reply.code(204).send()
}

export const listProviderAllocations: Handler = async (req, reply, d) => {
  const { provider, allocations, generations } = await d.pl.providerAllocations(params(req).uuid)
  cacheHeaders(req, reply, undefined)
  return providerAllocationsView(provider, allocations, generations, req.version)
}

/** One consumer's allocations as a body carries them (already schema-validated). */
export type AllocationBody = Record<string, unknown>

/**
 * A consumer's allocations body (a list of {resource_provider, resources} before 1.12, a
 * dict keyed by provider from 1.12) as the domain's input, with the fields of the
 * request's version.
 */
export function allocationInput(uuid: string, b: AllocationBody, v: Version): AllocationInput {
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
