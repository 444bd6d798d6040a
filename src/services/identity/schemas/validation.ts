/**
 * Identity's request validation: the kernel's SchemaEngine, with Keystone's 400 wording.
 *
 *   route table ─▶ validateBody(req, schema)
 *                    │ engine.validate (every failed check)
 *                    ▼
 *                  the check Keystone reports first ─▶ "Invalid input for field 'user/name': ..."
 *
 * Two wordings: resource bodies (`{"user": {...}}` made with `wrapped`, or bare ones
 * such as `{"tags": [...]}`) report the first failed check of a depth-first walk of the
 * body, keys in the order the client sent them; the token request (schemas/auth.ts)
 * reports in the order of its schema, with the auth API's own phrases.
 */
import type { FastifyRequest } from 'fastify'
import { type JsonSchema, SchemaEngine, type SchemaError } from '../../../kernel/validation/index.js'
import { AuthSchemaError, ValidationFailed } from '../errors.js'
import type { Schema } from './parameter-types.js'

// NOTE: every failed check is collected, so that the one Keystone names first can be
// picked whatever order the engine evaluated them in.
const engine = new SchemaEngine({ allErrors: true })

/** Schemas of `{"<wrapper>": {...}}` bodies, by wrapper name. */
const wrappers = new WeakMap<object, string>()
/** Schemas worded as the token request's. */
const authStyle = new WeakSet<object>()

/** The body `{"<name>": <inner>}`, Keystone's envelope for one resource. */
export function wrapped(name: string, inner: Schema): JsonSchema {
  const schema = { type: 'object', required: [name], properties: { [name]: { type: 'object', ...inner } } }
  wrappers.set(schema, name)
  return schema
}

/** Marks the token request's schema (schemas/auth.ts). */
export function authWorded(schema: Schema): JsonSchema {
  authStyle.add(schema)
  return schema
}

/** For the route table: throws the 400 Keystone answers when `req.body` does not satisfy `schema`. */
export function validateBody(req: FastifyRequest, schema: JsonSchema): void {
  const body = req.body
  const errors = engine.validate(schema, body)
  if (!errors) return
  if (authStyle.has(schema)) throw authError(errors)
  const wrapper = wrappers.get(schema)
  const first = firstInBodyOrder(errors, body)
  if (wrapper !== undefined && first.instancePath === '') {
    if (first.keyword === 'required')
      throw new ValidationFailed(`Invalid input for field '/': '${wrapper}' is a required property`)
    throw new ValidationFailed(`Invalid input for field '${wrapper}': the request body must be a JSON object`)
  }
  throw new ValidationFailed(resourceMessage(first, ''))
}

/** Validates one value (a path parameter), naming it `field` in the message. */
export function validateValue(value: unknown, schema: Schema, field = ''): void {
  const errors = engine.validate(schema, value)
  if (errors) throw new ValidationFailed(resourceMessage(firstInBodyOrder(errors, value), field))
}

// --- resource bodies --------------------------------------------------------------

/** Within one value, the order Keystone's validator checks keywords in. */
const KEYWORD_ORDER = [
  'type',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'required',
]

/**
 * The failed check a depth-first walk of `data` meets first: a value's own checks before
 * its members', members in the order the client sent them.
 */
function firstInBodyOrder(errors: readonly SchemaError[], data: unknown): SchemaError {
  const position = new Map<string, number>()
  const walk = (v: unknown, pointer: string) => {
    position.set(pointer, position.size)
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${pointer}/${i}`)
    } else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, `${pointer}/${escapePointer(k)}`)
  }
  walk(data, '')
  const rank = (e: SchemaError): [number, number] => {
    // An unexpected member is reported where the walk meets it.
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty)
      return [position.get(`${e.instancePath}/${escapePointer(key)}`) ?? 0, -1]
    }
    const k = KEYWORD_ORDER.indexOf(e.keyword)
    return [position.get(e.instancePath) ?? 0, k < 0 ? KEYWORD_ORDER.length : k]
  }
  let best = errors[0]!
  let bestRank = rank(best)
  for (const e of errors.slice(1)) {
    const r = rank(e)
    if (r[0] < bestRank[0] || (r[0] === bestRank[0] && r[1] < bestRank[1])) {
      best = e
      bestRank = r
    }
  }
  return best
}

function resourceMessage(e: SchemaError, field: string): string {
  const rest = unescapePointer(e.instancePath.slice(1))
  const path = field && rest ? `${field}/${rest}` : field || rest
  const value = e.data
  const schema = (e.parentSchema ?? {}) as Schema
  const problem = (() => {
    switch (e.keyword) {
      case 'type': {
        const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? [])
        return `${JSON.stringify(value)} is not of type '${types.join("', '")}'`
      }
      case 'enum':
        return `${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`
      case 'minLength':
        return `'${value}' is too short`
      case 'maxLength':
        return `'${String(value).slice(0, 80)}' is too long`
      case 'pattern':
        return `'${value}' does not match '${schema.pattern}'`
      case 'minimum':
        return `${value} is less than the minimum of ${schema.minimum}`
      case 'maximum':
        return `${value} is greater than the maximum of ${schema.maximum}`
      case 'minItems':
        return `${JSON.stringify(value)} is too short`
      case 'maxItems':
        return `${JSON.stringify(value)} is too long`
      case 'uniqueItems':
        return `${JSON.stringify(value)} has non-unique elements`
      case 'minProperties':
        return `${JSON.stringify(value)} does not have enough properties`
      case 'required':
        return `'${(e.params as { missingProperty: string }).missingProperty}' is a required property`
      case 'additionalProperties':
        return `Additional properties are not allowed ('${(e.params as { additionalProperty: string }).additionalProperty}' was unexpected)`
      default:
        return e.message ?? 'is not valid'
    }
  })()
  return `Invalid input for field '${path}': ${problem}`
}

// --- the token request ------------------------------------------------------------

/**
 * The first failed check in the order of the schema (`allOf` orders the checks of one
 * object where Keystone's differ from the engine's), with the auth API's phrases and
 * paths relative to `auth` (`identity/password/user`).
 */
function authError(errors: readonly SchemaError[]): AuthSchemaError {
  // `if` only says that its `else` failed; the failure itself comes before it.
  const e = errors.find((x) => x.keyword !== 'if') ?? errors[0]!
  const pointer = e.instancePath
  if (pointer === '') {
    if (e.data === undefined || e.data === null)
      return new AuthSchemaError('auth', "'auth' is a required property")
    if (e.keyword === 'required')
      return new AuthSchemaError(
        'auth',
        `'${(e.params as { missingProperty: string }).missingProperty}' is a required property`,
      )
  }
  const path =
    pointer === '' ? 'body' : pointer === '/auth' ? 'auth' : unescapePointer(pointer.replace(/^\/auth\//, ''))
  switch (e.keyword) {
    case 'required':
      return new AuthSchemaError(
        path,
        `'${(e.params as { missingProperty: string }).missingProperty}' is a required property`,
      )
    case 'maxLength':
      return new AuthSchemaError(path, 'is too long')
    case 'type':
      return new AuthSchemaError(path, `${show(e.data)} is not of type '${(e.parentSchema as Schema).type}'`)
    default:
      return new AuthSchemaError(path, e.message ?? 'is not valid')
  }
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

function unescapePointer(path: string): string {
  return path.replace(/~1/g, '/').replace(/~0/g, '~')
}
