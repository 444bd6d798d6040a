/**
 * Request bodies are validated by the kernel's schema engine; this module turns the
 * engine's first failed check into the error Glance answers with:
 *
 *   400 "Provided object does not match schema '<name>': <detail>"   (most checks)
 *   400 "<message>"                     (a node whose `x-message` is marked `x-bare`)
 *   403 "Attribute '<key>' is read-only." / "... is reserved."   (`x-forbidden` nodes)
 *
 * The schemas (bodies.ts) carry the wording where Glance's differs from the generic
 * one: `x-message` is a template, or one per failed keyword, with placeholders
 * {value} (the JSON of the failing value), {raw} (its string), {key} (the property
 * the check is about), {op} (a patch operation's name) and {body.<field>} (a field of
 * the whole body as a string).
 */
import { type JsonSchema, SchemaEngine, type SchemaError } from '../../../kernel/validation/index.js'
import { InvalidImageInput, ReadOnlyAttribute, ReservedAttribute } from '../errors.js'

const engine = new SchemaEngine()

/** What a schema node may carry besides JSON-schema keywords. */
interface Annotated {
  name?: string
  'x-message'?: string | Readonly<Record<string, string>>
  'x-bare'?: boolean
  'x-forbidden'?: 'read-only' | 'reserved'
}

/** Validates `body` against `schema` (whose `name` names it in messages); throws Glance's error. */
export function validateBody(schema: JsonSchema, body: unknown): void {
  const errors = engine.validate(schema, body)
  if (errors?.length) throw glanceError(schema, errors, body)
}

function glanceError(schema: JsonSchema, errors: readonly SchemaError[], body: unknown): Error {
  // The last error is the outermost one that failed (a `oneOf`, `propertyNames` or `not`
  // after the checks inside it); an `if` only says that its branch failed.
  const e = [...errors].reverse().find((x) => x.keyword !== 'if') ?? errors[0]!
  const node = (e.parentSchema ?? {}) as Annotated & Record<string, unknown>
  const key = keyOf(e)
  if (node['x-forbidden'] === 'read-only') return new ReadOnlyAttribute(key)
  if (node['x-forbidden'] === 'reserved') return new ReservedAttribute(key)
  const own = node['x-message']
  const template = typeof own === 'string' ? own : own?.[e.keyword]
  if (template !== undefined) {
    const message = fill(template, e, key, body)
    return new InvalidImageInput(
      node['x-bare'] ? message : `Provided object does not match schema '${nameOf(schema, e)}': ${message}`,
    )
  }
  if (e.instancePath === '' && e.keyword === 'type' && (body === undefined || body === null))
    return new InvalidImageInput('Body expected in request.')
  return new InvalidImageInput(
    `Provided object does not match schema '${nameOf(schema, e)}': ${detail(e, key)}`,
  )
}

/**
 * The name of the innermost named schema the failed check is in: a namespace's tags are
 * judged as 'tag', its objects as the 'namespace' they are part of.
 */
function nameOf(schema: JsonSchema, e: SchemaError): string {
  let node: unknown = schema
  let name = String((schema as Annotated).name ?? 'object')
  for (const part of e.schemaPath.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') break
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    const own = (node as Annotated | undefined)?.name
    if (typeof own === 'string') name = own
  }
  return name
}

/** The property a check is about: a missing, extra or badly named key, else the path's last part. */
function keyOf(e: SchemaError): string {
  const p = e.params as Record<string, unknown>
  const named = p.missingProperty ?? p.additionalProperty ?? p.propertyName
  if (typeof named === 'string') return named
  const last = e.instancePath.split('/').pop() ?? ''
  return last.replace(/~1/g, '/').replace(/~0/g, '~')
}

/** The generic wording, as Python's jsonschema words it. */
function detail(e: SchemaError, key: string): string {
  const data = e.data
  switch (e.keyword) {
    case 'type': {
      const t = (e.params as { type: string | string[] }).type
      return `${JSON.stringify(data)} is not of type '${Array.isArray(t) ? t.join("', '") : t}'`
    }
    case 'required':
      return `'${key}' is a required property`
    case 'additionalProperties': {
      const declared = Object.keys(((e.parentSchema as { properties?: object }).properties ?? {}) as object)
      const extra = Object.keys(data as object).filter((k) => !declared.includes(k))
      return `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} unexpected)`
    }
    case 'maxLength':
      return `'${String(data)}' is too long`
    case 'minLength':
      return `'${key}' should be non-empty`
    case 'enum':
      return `${JSON.stringify(data)} is not one of ${JSON.stringify((e.params as { allowedValues: unknown }).allowedValues)}`
    case 'uniqueItems':
      return `${JSON.stringify(data)} has non-unique elements`
    default:
      return `${JSON.stringify(data)} is not valid for '${key}'`
  }
}

function fill(template: string, e: SchemaError, key: string, body: unknown): string {
  const data = e.data as unknown
  const op = opOf(data)
  return template.replace(/\{(value|raw|key|key40|op|body\.\w+)\}/g, (_, name: string) => {
    if (name === 'value') return JSON.stringify(data)
    if (name === 'raw') return String(data)
    if (name === 'key') return key
    if (name === 'key40') return key.slice(0, 40)
    if (name === 'op') return op
    const field = name.slice('body.'.length)
    return String(
      body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined,
    )
  })
}

/** A patch operation's name: `op` (v2.1) or the one member named after an operation (v2.0). */
function opOf(data: unknown): string {
  if (data === null || typeof data !== 'object') return ''
  const o = data as Record<string, unknown>
  if (typeof o.op === 'string') return o.op
  return ['add', 'remove', 'replace'].find((k) => k in o) ?? ''
}
