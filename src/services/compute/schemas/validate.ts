/**
 * Request validation in Nova's words: bodies and query strings are checked with the
 * kernel's SchemaEngine, and the first failure becomes the 400 message Nova's
 * jsonschema-based validator gives ("Invalid input for field/attribute name. Value:
 * 5. 5 is not of type 'string'"), Python reprs included.
 */
import { type JsonSchema, SchemaEngine, type SchemaError } from '../../../kernel/validation/index.js'
import { ComputeBadRequest } from '../errors.js'
import { NAME_FORMATS, nameFormatMessage } from './types.js'

const engine = new SchemaEngine({
  allErrors: true,
  formats: Object.fromEntries(Object.entries(NAME_FORMATS).map(([k, f]) => [k, f.test])),
})

/** Validates a body; throws the 400 Nova answers. */
export function validateBody(schema: JsonSchema, given: unknown): void {
  // NOTE: upstream validates a missing body as an empty object ("'flavor' is a required property").
  const body = given === undefined || given === '' ? {} : given
  const errors = engine.validate(schema, body)
  if (errors) throw new ComputeBadRequest(describe(pickFirst(errors), 'body'))
  checkNumericStrings(schema, body, undefined)
}

/**
 * NOTE: Nova applies minimum and maximum to numbers given as strings too ("ram": "0"
 * is below the minimum of 1); JSON Schema ignores them for strings, so they are
 * checked here, along the schema's declared properties, with Nova's message.
 */
function checkNumericStrings(schema: JsonSchema, value: unknown, key: string | undefined): void {
  const s = schema as Record<string, unknown>
  if (
    typeof value === 'string' &&
    key !== undefined &&
    (s.minimum !== undefined || s.maximum !== undefined)
  ) {
    const n = Number(value)
    if (value.trim() === '' || Number.isNaN(n)) return
    if (typeof s.minimum === 'number' && n < s.minimum)
      throw new ComputeBadRequest(
        `Invalid input for field/attribute ${key}. Value: ${value}. ${n} is less than the minimum of ${s.minimum}`,
      )
    if (typeof s.maximum === 'number' && n > s.maximum)
      throw new ComputeBadRequest(
        `Invalid input for field/attribute ${key}. Value: ${value}. ${n} is greater than the maximum of ${s.maximum}`,
      )
    return
  }
  const props = s.properties as Record<string, JsonSchema> | undefined
  if (props && value && typeof value === 'object' && !Array.isArray(value))
    for (const [k, sub] of Object.entries(props))
      if (k in (value as object)) checkNumericStrings(sub, (value as Record<string, unknown>)[k], k)
}

/**
 * Validates a query string as Nova does: every parameter is a list of values (repeated
 * keys), checked against a schema of `multi_params` properties.
 */
export function validateQuery(schema: JsonSchema, query: unknown): Record<string, string[]> {
  const multi = toMulti(query)
  const errors = engine.validate(schema, multi)
  if (errors) throw new ComputeBadRequest(describe(pickFirst(errors), 'query'))
  return multi
}

/** The query as lists of values, whatever Fastify parsed. */
export function toMulti(query: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : [String(v)]
  }
  return out
}

// NOTE: jsonschema reports the first failure it meets, walking properties before the
// parent's required/additionalProperties; the deepest failure is the closest match.
const KEYWORD_ORDER = ['type', 'enum', 'pattern', 'format', 'minLength', 'maxLength', 'minimum', 'maximum']

function pickFirst(errors: readonly SchemaError[]): SchemaError {
  const useful = errors.filter((e) => !['anyOf', 'allOf', 'if'].includes(e.keyword) || errors.length === 1)
  const list = useful.length ? useful : errors
  const depth = (e: SchemaError) => (e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1)
  const rank = (e: SchemaError) => {
    const i = KEYWORD_ORDER.indexOf(e.keyword)
    return i < 0 ? KEYWORD_ORDER.length : i
  }
  return [...list].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0]!
}

function describe(e: SchemaError, where: 'body' | 'query'): string {
  if (e.keyword === 'format' && typeof e.params.format === 'string' && e.params.format in NAME_FORMATS)
    return nameFormatMessage(e.params.format, e.data)
  const message = messageOf(e)
  const segments = e.instancePath.split('/').slice(1).map(unescapePointer)
  if (segments.length === 0) return message
  if (where === 'query')
    return `Invalid input for query parameters ${segments[0]}. Value: ${pyStr(e.data)}. ${message}`
  return `Invalid input for field/attribute ${segments[segments.length - 1]}. Value: ${pyStr(e.data)}. ${message}`
}

const unescapePointer = (p: string) => p.replace(/~1/g, '/').replace(/~0/g, '~')

function messageOf(e: SchemaError): string {
  const v = pyRepr(e.data)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'type': {
      const types = Array.isArray(e.schema) ? e.schema : [e.schema]
      return `${v} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`
    }
    case 'required':
      return `${pyRepr(p.missingProperty)} is a required property`
    case 'additionalProperties':
      return `Additional properties are not allowed (${pyRepr(p.additionalProperty)} was unexpected)`
    case 'minLength':
    case 'minItems':
      return `${v} is too short`
    case 'maxLength':
    case 'maxItems':
      return `${v} is too long`
    case 'minimum':
      return `${v} is less than the minimum of ${pyRepr(p.limit)}`
    case 'maximum':
      return `${v} is greater than the maximum of ${pyRepr(p.limit)}`
    case 'exclusiveMinimum':
      return `${v} is less than or equal to the minimum of ${pyRepr(p.limit)}`
    case 'pattern':
      return `${v} does not match ${pyRepr(p.pattern)}`
    case 'enum':
      return `${v} is not one of ${pyRepr(p.allowedValues)}`
    case 'minProperties':
      return `${v} does not have enough properties`
    case 'maxProperties':
      return `${v} has too many properties`
    case 'uniqueItems':
      return `${v} has non-unique elements`
    case 'format':
      return `${v} is not a ${pyRepr(p.format)}`
    case 'additionalItems':
      return `Additional items are not allowed (${v} was unexpected)`
    case 'oneOf':
    case 'anyOf':
      return `${v} is not valid under any of the given schemas`
    default:
      return `${v} is not valid: ${e.message ?? e.keyword}`
  }
}

/** Python's repr() of a JSON value, as jsonschema's messages show it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
    const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t')
    return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(', ')}}`
}

/** Python's str(): a string as it is, anything else as repr(). */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}
