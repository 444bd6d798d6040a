/**
 * The input guard: what every request must satisfy before a handler, a validator or a
 * database sees it. Strings a database cannot store (NUL, unpaired UTF-16 surrogates,
 * bytes that are not UTF-8) are refused in the URL (path and query) and in JSON bodies;
 * JSON nesting is bounded so that recursive validators and serializers cannot run out
 * of stack. Each refusal is a `DomainError`, so it renders in the fault format of the
 * service the request reached.
 *
 *   request ─▶ onRequest hooks (version, auth) ─▶ preParsing: checkRequestUrl
 *           ─▶ JSON parser: parseGuardedJson (UTF-8, depth, strings) ─▶ validation ─▶ handler
 *
 * `installInputGuard` puts both checks on an app; a service that parses JSON itself
 * (placement, for its own "Malformed JSON" wording) calls `parseGuardedJson` too.
 * Bodies of other types (image data as application/octet-stream) are never inspected.
 */
import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import { DomainError } from '../errors/index.js'

/**
 * How deep a JSON body may nest (objects and arrays). The deepest documented OpenStack
 * bodies (federation mapping rules, metadata definitions) need fewer than ten levels.
 */
export const DEFAULT_MAX_JSON_DEPTH = 64

/** A string a database cannot store faithfully: a NUL or an unpaired UTF-16 surrogate. */
export class UnstorableCharacter extends DomainError {
  constructor(message: string) {
    super('bad_request', 'cloudlet.input.unstorable_character', message)
  }
}

/** Bytes that are not UTF-8, in the URL once percent-decoded or in a JSON body. */
export class InvalidUtf8 extends DomainError {
  constructor(where: string) {
    super('bad_request', 'cloudlet.input.invalid_utf8', `Invalid input: ${where} is not valid UTF-8.`)
  }
}

/** JSON nested deeper than the guard allows. */
export class JsonTooDeep extends DomainError {
  constructor(maxDepth: number) {
    super(
      'bad_request',
      'cloudlet.input.too_deep',
      `Invalid input: the JSON body is nested more than ${maxDepth} levels deep.`,
    )
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u

/** Why a string cannot be stored, or undefined when it can. */
export function unstorable(text: string): 'a NUL character' | 'an unpaired UTF-16 surrogate' | undefined {
  if (text.includes('\u0000')) return 'a NUL character'
  // In a `u` regex a well-formed pair is one code point; only a lone half matches.
  if (LONE_SURROGATE.test(text)) return 'an unpaired UTF-16 surrogate'
  return undefined
}

/**
 * Refuses a request URL whose path or query, once percent-decoded, holds a NUL byte or
 * bytes that are not UTF-8. `url` is the raw request target as received.
 */
export function checkRequestUrl(url: string): void {
  // NOTE: the router and the query-string parser each decode on their own terms (the
  // router refuses bad UTF-8 in a path parameter, the query parser keeps `%ff` as three
  // literal characters and turns `%00` into a NUL). Decoding the raw target once here
  // judges path and query alike, before either is used.
  if (!url.includes('%') && !url.includes('\u0000')) return
  const bytes = percentDecode(url)
  if (bytes.includes(0))
    throw new UnstorableCharacter('Invalid input: the request URL contains a NUL character (%00).')
  if (!isUtf8(bytes)) throw new InvalidUtf8('the request URL, once percent-decoded,')
}

const HEX_PAIR = /^[0-9a-fA-F]{2}$/

function percentDecode(url: string): Buffer {
  const out = Buffer.allocUnsafe(url.length)
  let n = 0
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i)
    const hex = c === 0x25 ? url.slice(i + 1, i + 3) : ''
    if (HEX_PAIR.test(hex)) {
      out[n++] = Number.parseInt(hex, 16)
      i += 2
      continue
    }
    // The HTTP parser hands the target over byte for byte (latin1); a raw byte above
    // 0x7f is judged with the decoded ones.
    out[n++] = c & 0xff
  }
  return out.subarray(0, n)
}

/**
 * Refuses JSON text nested deeper than `maxDepth`, by counting brackets outside
 * strings; runs before JSON.parse so that no later stage ever holds a deep value.
 */
export function checkJsonDepth(text: string, maxDepth: number): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonTooDeep(maxDepth)
    } else if (c === 0x7d || c === 0x5d) depth--
  }
}

/**
 * Refuses a parsed JSON value holding a string (key or value) a database cannot store;
 * the message names where, e.g. `user.name` or `[0].value`.
 */
export function checkJsonStrings(value: unknown): void {
  // NOTE: an explicit stack, not recursion: this must hold for any value it is given.
  const stack: Array<[unknown, string]> = [[value, '']]
  while (stack.length > 0) {
    const [v, path] = stack.pop()!
    if (typeof v === 'string') {
      const problem = unstorable(v)
      if (problem) throw new UnstorableCharacter(describe(problem, path || 'the body'))
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`])
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const keyProblem = unstorable(key)
        const at = path ? `${path}.${printable(key)}` : printable(key)
        if (keyProblem) throw new UnstorableCharacter(describe(keyProblem, `the key ${at}`))
        stack.push([child, at])
      }
    }
  }
}

function describe(problem: string, where: string): string {
  return `Invalid input for ${where}: it contains ${problem}, which cannot be stored.`
}

/** A key as it may appear in a message: the characters at fault escaped. */
function printable(key: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is escaped here.
  return key.replace(/[\u0000]|\p{Surrogate}/gu, (s) => `\\u${s.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export interface JsonGuardOptions {
  /** @default DEFAULT_MAX_JSON_DEPTH */
  maxDepth?: number
  /** Parses checked text; defaults to JSON.parse. Its errors pass through unchanged. */
  parse?: (text: string) => unknown
}

/**
 * Turns a JSON body into a value every later stage may trust: UTF-8, bounded depth,
 * storable strings. An empty body gives undefined (the handler judges whether one was
 * needed). Throws the guard's errors, or whatever `parse` throws for malformed JSON.
 */
export function parseGuardedJson(body: Buffer | string, options: JsonGuardOptions = {}): unknown {
  let text: string
  if (typeof body === 'string') text = body
  else {
    if (!isUtf8(body)) throw new InvalidUtf8('the request body')
    text = body.toString('utf8')
  }
  if (text.trim() === '') return undefined
  checkJsonDepth(text, options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH)
  const value = (options.parse ?? JSON.parse)(text)
  checkJsonStrings(value)
  return value
}

export interface InputGuardOptions {
  /** @default DEFAULT_MAX_JSON_DEPTH */
  maxJsonDepth?: number
}

/**
 * Installs the guard on an app: the URL check for every request, and the JSON parser
 * for every JSON media type (application/json, application/*+json, Glance's
 * json-patch types). Call on the root app; services mounted later inherit both.
 */
export function installInputGuard(app: FastifyInstance, options: InputGuardOptions = {}): void {
  const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH
  // NOTE: preParsing, not onRequest: it runs after each service's own onRequest hooks
  // (microversion, authentication), so the refusal renders with the request's version,
  // and still before any body is read or any handler runs.
  app.addHook('preParsing', async (req, _reply, payload) => {
    checkRequestUrl(req.raw.url ?? req.url)
    return payload
  })
  // Fastify's own parser keeps its prototype-poisoning defence; the guard wraps it.
  const fastifyJson = app.getDefaultJsonParser('error', 'ignore')
  const parse = (req: Parameters<typeof fastifyJson>[0]) => (text: string) => {
    let result: unknown
    let failure: Error | undefined
    fastifyJson(req, text, (err, value) => {
      failure = err ?? undefined
      result = value
    })
    if (failure) throw failure
    return result
  }
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    /^application\/([\w.+-]*json[\w.+-]*)/,
    { parseAs: 'buffer' },
    (req, body, done) => {
      try {
        done(null, parseGuardedJson(body, { maxDepth, parse: parse(req) }))
      } catch (error) {
        done(error as Error, undefined)
      }
    },
  )
}
