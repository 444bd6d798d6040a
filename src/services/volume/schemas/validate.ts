/**
 * Request validation in Cinder's words (cinder/api/validation): bodies are checked with
 * the kernel's SchemaEngine and the first failure becomes the 400 Cinder's jsonschema
 * validator gives ("Invalid input for field/attribute size. Value: 0. 0 is less than
 * the minimum of 1").
 */
import { type JsonSchema, SchemaEngine, type SchemaError } from '../../../kernel/validation/index.js'
import { VolumeBadRequest } from '../errors.js'

const engine = new SchemaEngine({ allErrors: true })

export function validateBody(schema: JsonSchema, given: unknown): void {
  const body = given === undefined || given === '' ? {} : given
  const errors = engine.validate(schema, body)
  if (errors) throw new VolumeBadRequest(describe(pickFirst(errors)))
}

const ORDER = ['type', 'enum', 'pattern', 'format', 'minLength', 'maxLength', 'minimum', 'maximum']

function pickFirst(errors: readonly SchemaError[]): SchemaError {
  const useful = errors.filter((e) => !['anyOf', 'oneOf', 'allOf', 'if'].includes(e.keyword))
  const list = useful.length ? useful : errors
  const depth = (e: SchemaError) => (e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1)
  const rank = (e: SchemaError) => (ORDER.indexOf(e.keyword) < 0 ? ORDER.length : ORDER.indexOf(e.keyword))
  return [...list].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0]!
}

function describe(e: SchemaError): string {
  const p = e.params as Record<string, unknown>
  const v = repr(e.data)
  let message: string
  switch (e.keyword) {
    case 'type':
      message = `${v} is not of type ${[e.schema]
        .flat()
        .map((t) => repr(t))
        .join(', ')}`
      break
    case 'required':
      message = `${repr(p.missingProperty)} is a required property`
      break
    case 'additionalProperties':
      message = `Additional properties are not allowed (${repr(p.additionalProperty)} was unexpected)`
      break
    case 'minLength':
      message = `${v} is too short`
      break
    case 'maxLength':
      message = `${v} is too long`
      break
    case 'minimum':
      message = `${v} is less than the minimum of ${p.limit}`
      break
    case 'maximum':
      message = `${v} is greater than the maximum of ${p.limit}`
      break
    case 'enum':
      message = `${v} is not one of ${repr(p.allowedValues)}`
      break
    case 'pattern':
      message = `${v} does not match ${repr(p.pattern)}`
      break
    case 'minProperties':
      message = `${v} does not have enough properties`
      break
    case 'maxProperties':
      message = `${v} has too many properties`
      break
    default:
      message = e.message ?? 'is invalid'
  }
  const segments = e.instancePath.split('/').slice(1)
  if (!segments.length) return `Invalid input received: ${message}`
  const field = segments[segments.length - 1]!.replace(/~1/g, '/').replace(/~0/g, '~')
  return `Invalid input for field/attribute ${field}. Value: ${typeof e.data === 'string' ? e.data : v}. ${message}`
}

function repr(x: unknown): string {
  if (x === null || x === undefined) return 'None'
  if (x === true) return 'True'
  if (x === false) return 'False'
  if (typeof x === 'string') return `'${x}'`
  if (Array.isArray(x)) return `[${x.map(repr).join(', ')}]`
  if (typeof x === 'object')
    return `{${Object.entries(x as Record<string, unknown>)
      .map(([k, val]) => `'${k}': ${repr(val)}`)
      .join(', ')}}`
  return String(x)
}
