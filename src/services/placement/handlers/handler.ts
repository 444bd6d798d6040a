/**
 * What every handler receives: the request (version negotiated, policy enforced and
 * body validated by the route table), the reply, and the service's dependencies.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CandidateOptions } from '../domain/candidates.js'
import type { Placement } from '../domain/placement.js'

export interface HandlerDeps {
  pl: Placement
  /** Where the service is mounted, for links and Location headers. */
  prefix: string
  /** `[placement]` options for allocation candidates. */
  candidates: CandidateOptions
}

export type Handler = (req: FastifyRequest, reply: FastifyReply, d: HandlerDeps) => Promise<unknown>

/** The JSON body, already validated against the route's schema by the table. */
export const input = <T>(req: FastifyRequest) => req.body as T

type PathParams = { uuid: string; name: string; consumer_uuid: string; resource_class: string }

/** The path parameters of placement's routes. */
export const params = (req: FastifyRequest) => req.params as PathParams

export const providerUrl = (d: HandlerDeps, uuid: string) => `${d.prefix}/resource_providers/${uuid}`
