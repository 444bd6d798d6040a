/**
 * A small JSON-schema validator for request bodies, with Keystone's 400 wording.
 *
 * NOTE: Fastify's built-in validation coerces types (`"name": 5` becomes `"5"`), which
 * Keystone does not; so resource bodies are validated here, strictly, after parsing.
 */
import { ValidationFailed } from '../domain/errors.js'

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null'

export interface Schema {
  type?: JsonType | readonly JsonType[]
  properties?: Readonly<Record<string, Schema>>
  required?: readonly string[]
  additionalProperties?: boolean | Schema
  minLength?: number
  maxLength?: number
  pattern?: string
  enum?: readonly unknown[]
  items?: Schema
  minItems?: number
  minimum?: number
  minProperties?: number
}

/** Keystone's create body of a resource: its properties, some of them required. */
export function createBody(
  properties: Record<string, Schema>,
  required: readonly string[] = ['name'],
): Schema {
  return { properties, required }
}

/** Keystone's update body of a resource: the same properties, at least one given. */
export function updateBody(properties: Record<string, Schema>): Schema {
  return { properties, minProperties: 1 }
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v as JsonType
}

function check(schema: Schema, value: unknown, path: string): string | undefined {
  if (schema.type !== undefined) {
    const allowed = typeof schema.type === 'string' ? [schema.type] : schema.type
    const t = typeOf(value)
    const ok = allowed.includes(t) || (t === 'integer' && allowed.includes('number'))
    if (!ok)
      return `Invalid input for field '${path}': ${JSON.stringify(value)} is not of type '${allowed.join("', '")}'`
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return `Invalid input for field '${path}': ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      return `Invalid input for field '${path}': '${value}' is too short`
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      return `Invalid input for field '${path}': '${value.slice(0, 80)}' is too long`
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      return `Invalid input for field '${path}': '${value}' does not match '${schema.pattern}'`
    }
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    return `Invalid input for field '${path}': ${value} is less than the minimum of ${schema.minimum}`
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return `Invalid input for field '${path}': ${JSON.stringify(value)} is too short`
    }
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const e = check(schema.items, value[i], `${path}/${i}`)
        if (e) return e
      }
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    if (schema.minProperties !== undefined && Object.keys(obj).length < schema.minProperties) {
      return `Invalid input for field '${path}': ${JSON.stringify(obj)} does not have enough properties`
    }
    for (const r of schema.required ?? []) {
      if (!(r in obj)) return `Invalid input for field '${path}': '${r}' is a required property`
    }
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k]
      const child = path ? `${path}/${k}` : k
      if (sub) {
        const e = check(sub, v, child)
        if (e) return e
      } else if (schema.additionalProperties === false) {
        return `Invalid input for field '${path}': Additional properties are not allowed ('${k}' was unexpected)`
      } else if (typeof schema.additionalProperties === 'object') {
        const e = check(schema.additionalProperties, v, child)
        if (e) return e
      }
    }
  }
  return undefined
}

/**
 * Validates `body` against `{ [wrapper]: schema }` and returns the inner object.
 * Throws ValidationFailed (400) otherwise.
 */
export function validateBody<T = Record<string, unknown>>(body: unknown, wrapper: string, schema: Schema): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationFailed(`Invalid input for field '${wrapper}': the request body must be a JSON object`)
  }
  const inner = (body as Record<string, unknown>)[wrapper]
  if (inner === undefined)
    throw new ValidationFailed(`Invalid input for field '/': '${wrapper}' is a required property`)
  const e = check({ type: 'object', ...schema }, inner, wrapper)
  if (e) throw new ValidationFailed(e)
  return inner as T
}

/** Validates a bare value (e.g. a whole body without wrapper). */
export function validateValue<T>(value: unknown, schema: Schema, path = ''): T {
  const e = check(schema, value, path)
  if (e) throw new ValidationFailed(e)
  return value as T
}

// Building blocks reused by the resource schemas (Keystone's parameter_types).
export const id64: Schema = { type: 'string', minLength: 1, maxLength: 64 }
export const nullableId: Schema = { type: ['string', 'null'], minLength: 1, maxLength: 64 }
export const name64: Schema = { type: 'string', minLength: 1, maxLength: 64 }
export const name255: Schema = { type: 'string', minLength: 1, maxLength: 255 }
export const description: Schema = { type: ['string', 'null'] }
export const boolean: Schema = { type: 'boolean' }
export const url: Schema = { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' }
/** Project tag: no '/' or ',', at most 255 characters. */
export const tag: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' }
