/**
 * Turns anything thrown inside a request into a `Fault`: status, code, message, headers.
 * The fault renderers (one per OpenStack style) then shape the body.
 *
 * NOTE: Fastify's own errors (bad JSON, body too large, wrong content type, schema
 * validation) carry a statusCode; we keep their status and a cleaned message. Anything
 * else is an unexpected failure: a generic 500 message, the details only in the log.
 */
import { isValueOutOfRange } from '../db/errors.js'
import { DomainError, STATUS_OF_KIND } from './domain-error.js'

export interface Fault {
  status: number
  code: string
  message: string
  headers: Record<string, string>
  /** True when the error was not anticipated: log it with its stack. */
  unexpected: boolean
}

interface FastifyLikeError {
  statusCode?: number
  code?: string
  message?: string
  validation?: unknown
  validationContext?: string
}

export const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
}

export function titleOf(status: number): string {
  return TITLES[status] ?? 'Error'
}

const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON in request body.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Malformed JSON in request body.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request is too large.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Request body size did not match Content-Length header.',
}

export function toFault(error: unknown): Fault {
  if (error instanceof DomainError) {
    return {
      status: STATUS_OF_KIND[error.kind],
      code: error.code,
      message: error.message,
      headers: error.headers,
      unexpected: error.kind === 'internal',
    }
  }
  const e = (error ?? {}) as FastifyLikeError
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    let message = (e.code && FASTIFY_MESSAGES[e.code]) || e.message || titleOf(e.statusCode)
    // SyntaxError text from JSON.parse is noisy but useful; keep Fastify's summary.
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' && e.message)
      message = `Malformed JSON in request body: ${e.message}`
    if (e.validation)
      message = `Invalid input for field/attribute ${e.validationContext ?? 'body'}: ${e.message ?? ''}`
    return { status: e.statusCode, code: `http.${e.statusCode}`, message, headers: {}, unexpected: false }
  }
  // NOTE: a value longer or larger than its column allows is refused by PostgreSQL and
  // MariaDB (SQLite stores it). It is the caller's input at fault: a 400, as upstream
  // Keystone answers when a string exceeds its column, never a 500.
  if (isValueOutOfRange(error))
    return {
      status: 400,
      code: 'cloudlet.input.out_of_range',
      message: 'Invalid input: a value is longer or larger than the field that stores it allows.',
      headers: {},
      unexpected: false,
    }
  return {
    status: 500,
    code: 'cloudlet.internal',
    message: 'An unexpected error prevented the server from fulfilling your request.',
    headers: {},
    unexpected: true,
  }
}
