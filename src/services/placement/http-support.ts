/**
 * Placement's HTTP conventions: microversion negotiation with upstream's messages (the
 * kernel's negotiation), the API-WG fault body (code from 1.23, HTML when the client
 * asks for it), JSON-only content negotiation, body and query validation with
 * upstream's 400s, cache headers.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type FaultRenderer, titleOf } from '../../kernel/errors/index.js'
import { negotiate, type Version } from '../../kernel/microversion/index.js'
import { PlacementBadRequest, PlacementUnsupportedMediaType } from './errors.js'
import { describeViolation, type Schema, validate } from './schemas/validation.js'
import { VERSIONS } from './versions.js'

/** The request's microversion: the kernel's negotiation with upstream's wording. */
export function negotiateVersion(req: FastifyRequest): Version {
  return negotiate(req.headers, {
    serviceType: 'placement',
    versions: VERSIONS,
    // NOTE: upstream's middleware keeps the last placement value of the header.
    pick: 'last',
    invalidMessage: (requested) => `invalid version string: ${requested}`,
  })
}

/** Whether an Accept header admits application/json (missing header: yes). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (q && Number(q.slice(2)) === 0) return false
    const t = type!.trim().toLowerCase()
    return t === 'application/json' || t === 'application/*' || t === '*/*'
  })
}

function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const first = accept.split(',')[0]!.trim().toLowerCase()
  return first.startsWith('text/html') && !acceptsJson(accept)
}

/**
 * Placement's fault body: API-WG errors with the stable code from 1.23, or an HTML page
 * when the client asks for HTML first.
 */
export const placementFault: FaultRenderer = (fault, req) => {
  const withCode = req.version ? req.version.gte('1.23') : false
  const accept = req.headers.accept
  if (prefersHtml(typeof accept === 'string' ? accept : undefined)) {
    const title = titleOf(fault.status)
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    return {
      contentType: 'text/html; charset=UTF-8',
      body: `<html>\n <head>\n  <title>${fault.status} ${title}</title>\n </head>\n <body>\n  <h1>${fault.status} ${title}</h1>\n  ${esc(fault.message)}<br /><br />\n\n\n\n </body>\n</html>`,
    }
  }
  const code = fault.code.startsWith('placement.') ? fault.code : 'placement.undefined_code'
  const err: Record<string, unknown> = {
    status: fault.status,
    title: titleOf(fault.status),
    detail: fault.message,
    request_id: req.id,
  }
  if (withCode) err.code = code
  return { body: { errors: [err] } }
}

/** Enforces what upstream's require_content does for JSON bodies. */
export function requireJsonContent(req: FastifyRequest): void {
  const ct = req.headers['content-type']
  if (!ct) {
    const len = req.headers['content-length']
    if (len !== undefined && len !== '0')
      throw new PlacementBadRequest('content-type header required when content-length is set')
    throw new PlacementUnsupportedMediaType('The media type None is not supported, use application/json')
  }
  const type = ct.split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json')
    throw new PlacementUnsupportedMediaType(`The media type ${type} is not supported, use application/json`)
}

/**
 * Validates a JSON body against a schema, with upstream's 400 messages (an empty body
 * is malformed JSON). The route table calls it; handlers that check something first
 * (`bodyInHandler`) call it themselves.
 */
export function validBody<T>(req: FastifyRequest, schema: Schema): T {
  const data = req.body
  if (data === undefined)
    throw new PlacementBadRequest('Malformed JSON: Expecting value: line 1 column 1 (char 0)')
  const v = validate(data, schema)
  if (v) throw new PlacementBadRequest(`JSON does not validate: ${describeViolation(v)}`)
  return data as T
}

/** The query string as upstream's validators see it: one (last) value per key. */
export function queryFlat(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.query as Record<string, string | string[]>)) {
    out[k] = Array.isArray(v) ? v[v.length - 1]! : v
  }
  return out
}

export function queryAll(req: FastifyRequest, key: string): string[] {
  const v = (req.query as Record<string, string | string[]>)[key]
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

export function validateQuery(req: FastifyRequest, schema: Schema): Record<string, string> {
  const q = queryFlat(req)
  const v = validate(q, schema)
  if (v) throw new PlacementBadRequest(`Invalid query string parameters: ${describeViolation(v)}`)
  return q
}

export function httpDate(iso: string | null | undefined): string {
  return (iso ? new Date(iso) : new Date()).toUTCString()
}

/** Sets last-modified and cache-control from 1.15 on. */
export function cacheHeaders(
  req: FastifyRequest,
  reply: FastifyReply,
  lastModified: string | null | undefined,
): void {
  if (!req.version.gte('1.15')) return
  reply.header('last-modified', httpDate(lastModified))
  reply.header('cache-control', 'no-cache')
}

export function newest(...ts: (string | null | undefined)[]): string | undefined {
  let best: string | undefined
  for (const t of ts) if (t && (!best || t > best)) best = t
  return best
}

/** Above this many chunks a body is joined: many small writes cost more than one copy. */
const CHUNKS_SENT_APART = 16

/**
 * A body given as chunks, sent one after the other with its Content-Length (no
 * chunked encoding) rather than joined into one new buffer first; a long list of
 * small chunks is joined.
 */
export function chunkedBody(reply: FastifyReply, chunks: Buffer[]): Buffer | Readable {
  if (chunks.length === 1) return chunks[0]!
  let length = 0
  for (const c of chunks) length += c.length
  if (chunks.length > CHUNKS_SENT_APART) return Buffer.concat(chunks, length)
  reply.header('content-length', length)
  return Readable.from(chunks, { objectMode: false })
}
