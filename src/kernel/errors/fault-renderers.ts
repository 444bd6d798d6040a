/**
 * One renderer per upstream fault style. A service plugin picks its renderer; the
 * kernel's error handler calls it with the fault and the request it answers, so a
 * renderer can follow the request's microversion or Accept header.
 */
import { type Fault, titleOf } from './http-error-mapping.js'

/**
 * What a renderer may read of the request: its id, its headers and, inside a service
 * with microversions, the negotiated version. A Fastify request is one; a request the
 * HTTP parser refused before it existed is given as `{id, headers: {}}`.
 */
export interface FaultRequest {
  readonly id: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly version?: { gte(version: string): boolean } | undefined
}

export interface RenderedFault {
  body: unknown
  headers?: Record<string, string>
  contentType?: string
}

export type FaultRenderer = (fault: Fault, req: FaultRequest) => RenderedFault

/** Keystone: `{"error": {"code", "title", "message"}}`. */
export const keystoneFault: FaultRenderer = (fault) => ({
  body: { error: { code: fault.status, title: titleOf(fault.status), message: fault.message } },
})

/** Placement (API-WG): `{"errors": [{status, title, detail, code, request_id}]}`. */
export const apiWgFault: FaultRenderer = (fault, req) => ({
  body: {
    errors: [
      {
        status: fault.status,
        title: titleOf(fault.status),
        detail: fault.message,
        code: fault.code,
        request_id: req.id,
      },
    ],
  },
})

const COMPUTE_FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
}

/** Compute and Block Storage: `{"<faultName>": {"code", "message"}}`. */
export const computeFault: FaultRenderer = (fault) => {
  const name = COMPUTE_FAULT_NAMES[fault.status] ?? 'computeFault'
  return { body: { [name]: { code: fault.status, message: fault.message } } }
}

/** Networking: `{"NeutronError": {"type", "message", "detail"}}`. */
export const neutronFault: FaultRenderer = (fault) => ({
  body: { NeutronError: { type: fault.code, message: fault.message, detail: '' } },
})

/** Bare Metal: `{"error_message": "..."}` (a JSON string inside, as upstream). */
export const ironicFault: FaultRenderer = (fault) => ({
  body: {
    error_message: JSON.stringify({
      faultstring: fault.message,
      faultcode: fault.status < 500 ? 'Client' : 'Server',
      debuginfo: null,
    }),
  },
})
