/**
 * GET /allocation_candidates (1.10).
 */
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { cacheHeaders, chunkedBody, validateQuery } from '../http-support.js'
import * as S from '../schemas/bodies.js'
import type { Handler } from './handler.js'
import { candidatesBody } from './views.js'

export const listAllocationCandidates: Handler = async (req, reply, d) => {
  validateQuery(req, S.candidatesQuery(req.version))
  const s = await d.pl.state()
  const { creq, empty } = parseCandidateRequest(
    s,
    req.query as Record<string, string | string[]>,
    req.version,
  )
  const found = empty ? [] : findCandidates(s, creq, d.candidates)
  cacheHeaders(req, reply, undefined)
  // The body is assembled as JSON text (handlers/views.ts); same bytes as the object view.
  reply.type('application/json')
  return chunkedBody(reply, candidatesBody(s, found, creq, req.version))
}
