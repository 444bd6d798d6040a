/**
 * A small JSON Schema (draft 4 subset) validator whose messages read like Python's
 * jsonschema, which is what upstream's clients and tests look for ("'name' is a required
 * property", "Failed validating 'maxLength'"). Only the keywords placement's schemas use.
 */

export interface Schema {
  type?: string | readonly string[]
  properties?: Readonly<Record<string, Schema>>
  patternProperties?: Readonly<Record<string, Schema>>
  additionalProperties?: boolean
  required?: readonly string[]
  minProperties?: number
  maxProperties?: number
  items?: Schema
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  enum?: readonly unknown[]
  format?: 'uuid'
  anyOf?: readonly Schema[]
}

export interface SchemaViolation {
  message: string
  keyword: string
  path: string
}

/** Python's repr() of a JSON value, as jsonschema's messages show it. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : pyFloat(v)
  if (typeof v === 'string') {
    if (v.includes("'") && !v.includes('"')) return `"${v}"`
    return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`
}

function pyFloat(n: number): string {
  const s = String(n)
  return /[.e]/.test(s) ? s : `${s}.0`
}

const UUID_RE =
  /^(urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/
const regexCache = new Map<string, RegExp>()
function re(p: string): RegExp {
  let r = regexCache.get(p)
  if (!r) {
    r = new RegExp(p, 'u')
    regexCache.set(p, r)
  }
  return r
}

/** Whether a string is a uuid as oslo's format checker accepts it (with or without dashes). */
export function isUuidLike(s: string): boolean {
  return UUID_RE.test(s)
}

function typeOk(v: unknown, t: string): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v)
    case 'array':
      return Array.isArray(v)
    case 'string':
      return typeof v === 'string'
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v)
    case 'number':
      return typeof v === 'number'
    case 'boolean':
      return typeof v === 'boolean'
    case 'null':
      return v === null
    default:
      return false
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The first violation of `schema` by `value`, or undefined when it validates. */
export function validate(value: unknown, schema: Schema, path = '', sp = ''): SchemaViolation | undefined {
  const fail = (keyword: string, message: string): SchemaViolation => ({ keyword, message, path: sp })
  if (schema.anyOf) {
    if (!schema.anyOf.some((s) => validate(value, s, path, sp) === undefined)) {
      return fail('anyOf', `${pyRepr(value)} is not valid under any of the given schemas`)
    }
  }
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type
    if (!types.some((t) => typeOk(value, t))) {
      const shown = types.length === 1 ? pyRepr(types[0]) : types.map((t) => pyRepr(t)).join(', ')
      return fail('type', `${pyRepr(value)} is not of type ${shown}`)
    }
  }
  if (schema.enum && !schema.enum.some((e) => equal(e, value))) {
    return fail('enum', `${pyRepr(value)} is not one of ${pyRepr(schema.enum)}`)
  }
  if (typeof value === 'string') {
    const len = [...value].length
    if (schema.minLength !== undefined && len < schema.minLength) {
      return fail(
        'minLength',
        schema.minLength === 1 ? `${pyRepr(value)} should be non-empty` : `${pyRepr(value)} is too short`,
      )
    }
    if (schema.maxLength !== undefined && len > schema.maxLength)
      return fail('maxLength', `${pyRepr(value)} is too long`)
    if (schema.pattern !== undefined && !re(schema.pattern).test(value)) {
      return fail('pattern', `${pyRepr(value)} does not match ${pyRepr(schema.pattern)}`)
    }
    if (schema.format === 'uuid' && !isUuidLike(value))
      return fail('format', `${pyRepr(value)} is not a 'uuid'`)
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      return fail('minimum', `${pyRepr(value)} is less than the minimum of ${pyRepr(schema.minimum)}`)
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      return fail('maximum', `${pyRepr(value)} is greater than the maximum of ${pyRepr(schema.maximum)}`)
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return fail(
        'minItems',
        value.length === 0 ? `${pyRepr(value)} should be non-empty` : `${pyRepr(value)} is too short`,
      )
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      return fail('maxItems', `${pyRepr(value)} is too long`)
    if (schema.uniqueItems) {
      const seen = new Set(value.map((v) => JSON.stringify(v)))
      if (seen.size !== value.length) return fail('uniqueItems', `${pyRepr(value)} has non-unique elements`)
    }
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const v = validate(value[i], schema.items, `${path}[${i}]`, `${sp}['items']`)
        if (v) return v
      }
    }
  }
  if (typeOk(value, 'object')) {
    const obj = value as Record<string, unknown>
    const keys = Object.keys(obj)
    for (const r of schema.required ?? []) {
      if (!(r in obj)) return fail('required', `${pyRepr(r)} is a required property`)
    }
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
      return fail('minProperties', `${pyRepr(obj)} does not have enough properties`)
    }
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
      return fail('maxProperties', `${pyRepr(obj)} has too many properties`)
    }
    const extras: string[] = []
    for (const k of keys) {
      let matched = false
      const prop = schema.properties?.[k]
      if (prop && Object.hasOwn(schema.properties!, k)) {
        matched = true
        const v = validate(obj[k], prop, `${path}.${k}`, `${sp}['properties'][${pyRepr(k)}]`)
        if (v) return v
      }
      for (const [p, s] of Object.entries(schema.patternProperties ?? {})) {
        if (re(p).test(k)) {
          matched = true
          const v = validate(obj[k], s, `${path}.${k}`, `${sp}['patternProperties'][${pyRepr(p)}]`)
          if (v) return v
        }
      }
      if (!matched) extras.push(k)
    }
    if (schema.additionalProperties === false && extras.length) {
      // NOTE: as jsonschema: with patternProperties the message names the regexes;
      // extras and patterns are listed sorted.
      extras.sort()
      if (schema.patternProperties) {
        const pats = Object.keys(schema.patternProperties)
          .sort()
          .map((p) => pyRepr(p))
          .join(', ')
        const verb = extras.length === 1 ? 'does' : 'do'
        return fail(
          'additionalProperties',
          `${extras.map((e) => pyRepr(e)).join(', ')} ${verb} not match any of the regexes: ${pats}`,
        )
      }
      const verb = extras.length === 1 ? 'was' : 'were'
      return fail(
        'additionalProperties',
        `Additional properties are not allowed (${extras.map((e) => pyRepr(e)).join(', ')} ${verb} unexpected)`,
      )
    }
  }
  return undefined
}

/** The text upstream puts after its prefix: the message, then the failed keyword. */
export function describeViolation(v: SchemaViolation): string {
  return `${v.message}\n\nFailed validating '${v.keyword}' in schema${v.path}`
}
