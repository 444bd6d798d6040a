/**
 * Placement's validation: the kernel's schema engine, and its failures in the wording of
 * upstream's validator (Python's jsonschema), which clients and the gabbi files read:
 * "'name' is a required property\n\nFailed validating 'required' in schema".
 *
 *   data ─▶ SchemaEngine (every failed check) ─▶ the one upstream reports ─▶ its message
 *
 * Upstream reports one failure per request. The engine reports all of them, and
 * `firstFailure` picks the one a depth-first walk meets first: at each value, anyOf,
 * type, enum and the value's own limits (length, pattern, range, items, required,
 * property counts); then its members in the order the body gives them (a property's
 * own schema before the pattern schemas it matches); then unexpected properties.
 */
import { type JsonSchema, SchemaEngine, type SchemaError } from '../../../kernel/validation/index.js'

/** The keywords placement's schemas use (a subset of draft 4); a type, so it is a JsonSchema. */
export type Schema = {
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

/** One failure as upstream words it. */
export interface SchemaViolation {
  message: string
  keyword: string
  /** Where in the schema, as Python subscripts: `['properties']['name']`. */
  path: string
}

// NOTE: every failed check is needed to pick the one upstream reports first; a valid
// body costs the same as with first-failure mode.
const engine = new SchemaEngine({ allErrors: true })

/** The violation upstream reports for `value`, or undefined when it validates. */
export function validate(value: unknown, schema: Schema): SchemaViolation | undefined {
  const errors = engine.validate(schema as JsonSchema, value)
  return errors ? firstFailure(errors, value) : undefined
}

/** The text upstream puts after its prefix: the message, then the failed keyword. */
export function describeViolation(v: SchemaViolation): string {
  return `${v.message}\n\nFailed validating '${v.keyword}' in schema${v.path}`
}

const UUID_RE =
  /^(urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/

/** Whether a string is a uuid as oslo's format checker accepts it (with or without dashes). */
export function isUuidLike(s: string): boolean {
  return UUID_RE.test(s)
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

/** Checks on the value itself, in the order upstream's validator meets them. */
const BEFORE_MEMBERS: Readonly<Record<string, number>> = {
  anyOf: -10,
  type: -9,
  enum: -8,
  minLength: -7,
  maxLength: -6,
  pattern: -5,
  format: -4,
  minimum: -7,
  maximum: -6,
  minItems: -7,
  maxItems: -6,
  uniqueItems: -5,
  required: -7,
  minProperties: -6,
  maxProperties: -5,
}

const segments = (pointer: string): string[] =>
  pointer === '' || pointer === '#'
    ? []
    : pointer
        .replace(/^#/, '')
        .split('/')
        .slice(1)
        .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))

/**
 * Where a failure sits in the depth-first walk: per level, the member's position in the
 * value (its own schema before pattern schemas), then the check's rank at its value.
 */
function walkKey(e: SchemaError, root: unknown): number[] {
  const schemaPath = segments(e.schemaPath)
  const instance = segments(e.instancePath)
  const key: number[] = []
  let data = root
  let j = 0
  for (let i = 0; i < schemaPath.length - 1; ) {
    const seg = schemaPath[i]!
    if (seg === 'properties' || seg === 'patternProperties' || seg === 'items') {
      const member = instance[j++]!
      const position = Array.isArray(data)
        ? Number(member)
        : Object.keys(data as Record<string, unknown>).indexOf(member)
      key.push(position * 2 + (seg === 'patternProperties' ? 1 : 0))
      data = (data as Record<string, unknown>)[member]
      i += seg === 'items' ? 1 : 2
    } else i++
  }
  key.push(
    e.keyword === 'additionalProperties' ? Number.POSITIVE_INFINITY : (BEFORE_MEMBERS[e.keyword] ?? -1),
  )
  return key
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** The failure upstream reports, among every failed check. */
export function firstFailure(errors: readonly SchemaError[], root: unknown): SchemaViolation {
  // A branch of an anyOf failing is reported as the anyOf failing.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`)
  const reported = errors.filter((e) => !anyOfs.some((p) => e.schemaPath.startsWith(p)))
  let first = reported[0]!
  let firstKey = walkKey(first, root)
  for (const e of reported.slice(1)) {
    const k = walkKey(e, root)
    if (compareKeys(k, firstKey) < 0) {
      first = e
      firstKey = k
    }
  }
  const path = segments(first.schemaPath)
    .slice(0, -1)
    .map((s) => `[${pyRepr(s)}]`)
    .join('')
  return { keyword: first.keyword, path, message: messageOf(first, reported) }
}

function messageOf(e: SchemaError, all: readonly SchemaError[]): string {
  const value = pyRepr(e.data)
  const parent = e.parentSchema as Schema
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'anyOf':
      return `${value} is not valid under any of the given schemas`
    case 'type': {
      const types = typeof parent.type === 'string' ? [parent.type] : (parent.type ?? [])
      return `${value} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`
    }
    case 'enum':
      return `${value} is not one of ${pyRepr(parent.enum)}`
    case 'minLength':
      return parent.minLength === 1 ? `${value} should be non-empty` : `${value} is too short`
    case 'maxLength':
    case 'maxItems':
      return `${value} is too long`
    case 'pattern':
      return `${value} does not match ${pyRepr(p.pattern)}`
    case 'format':
      return `${value} is not a ${pyRepr(p.format)}`
    case 'minimum':
      return `${value} is less than the minimum of ${pyRepr(p.limit)}`
    case 'maximum':
      return `${value} is greater than the maximum of ${pyRepr(p.limit)}`
    case 'minItems':
      return (e.data as unknown[]).length === 0 ? `${value} should be non-empty` : `${value} is too short`
    case 'uniqueItems':
      return `${value} has non-unique elements`
    case 'required':
      return `${pyRepr(p.missingProperty)} is a required property`
    case 'minProperties':
      return `${value} does not have enough properties`
    case 'maxProperties':
      return `${value} has too many properties`
    case 'additionalProperties': {
      // NOTE: as jsonschema, every unexpected property in one message, sorted; with
      // pattern properties the message names the patterns (sorted) instead.
      const names = all
        .filter((x) => x.keyword === 'additionalProperties' && x.instancePath === e.instancePath)
        .map((x) => String((x.params as { additionalProperty: string }).additionalProperty))
        .sort()
      const extras = names.map((x) => pyRepr(x)).join(', ')
      const many = names.length > 1
      if (parent.patternProperties) {
        const patterns = Object.keys(parent.patternProperties)
          .sort()
          .map((x) => pyRepr(x))
          .join(', ')
        return `${extras} ${many ? 'do' : 'does'} not match any of the regexes: ${patterns}`
      }
      return `Additional properties are not allowed (${extras} ${many ? 'were' : 'was'} unexpected)`
    }
    default:
      return e.message ?? `${value} is not valid`
  }
}
