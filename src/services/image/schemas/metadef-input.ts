/**
 * Validation of metadata-definition request bodies, as Glance's JSON schemas have them
 * (GET /v2/schemas/metadefs/*): unknown keys and wrong types are 400 "Provided object
 * does not match schema '<name>': ...", read-only keys (self, schema, created_at,
 * updated_at) are 403 "Attribute '<key>' is read-only.".
 */

import type {
  MetadefObject,
  Namespace,
  NamespaceContent,
  NamespaceVisibility,
  PropertySchema,
} from '../domain/metadef.js'
import { InvalidImageInput, ReadOnlyAttribute } from '../errors.js'

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at']
const PROPERTY_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', null]

type Json = Record<string, unknown>

const fail = (schema: string, detail: string): never => {
  throw new InvalidImageInput(`Provided object does not match schema '${schema}': ${detail}`)
}

function objectBody(body: unknown, schema: string): Json {
  if (body === undefined || body === null) throw new InvalidImageInput('Body expected in request.')
  if (typeof body !== 'object' || Array.isArray(body))
    fail(schema, `${JSON.stringify(body)} is not of type 'object'`)
  return body as Json
}

function checkReadOnly(body: Json): void {
  for (const key of READ_ONLY) if (key in body) throw new ReadOnlyAttribute(key)
}

function checkKeys(body: Json, allowed: readonly string[], schema: string): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k))
  if (extra.length > 0)
    fail(
      schema,
      `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} unexpected)`,
    )
}

function str(body: Json, key: string, schema: string, max?: number): string | null {
  const v = body[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') return fail(schema, `${JSON.stringify(v)} is not of type 'string'`)
  if (max !== undefined && v.length > max) fail(schema, `'${v}' is too long`)
  return v
}

function requiredName(body: Json, key: string, schema: string, max = 80): string {
  if (!(key in body)) fail(schema, `'${key}' is a required property`)
  const v = str(body, key, schema, max)
  if (v === null || v.length === 0) fail(schema, `'${key}' should be non-empty`)
  return v as string
}

function stringArray(v: unknown, schema: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    return fail(schema, `${JSON.stringify(v)} is not of type 'array' of strings`)
  if (new Set(v).size !== v.length) fail(schema, `${JSON.stringify(v)} has non-unique elements`)
  return v as string[]
}

const PROPERTY_KEYS = [
  'name',
  'title',
  'description',
  'operators',
  'type',
  'required',
  'minimum',
  'maximum',
  'maxLength',
  'minLength',
  'pattern',
  'enum',
  'readonly',
  'default',
  'items',
  'maxItems',
  'minItems',
  'uniqueItems',
  'additionalItems',
] as const

/** A property definition (without its name), checked as Glance's `property` schema. */
export function parsePropertySchema(def: unknown, schema = 'property'): PropertySchema {
  const body = objectBody(def, schema)
  checkKeys(body, PROPERTY_KEYS, schema)
  if (!('title' in body)) fail(schema, `'title' is a required property`)
  if (!('type' in body)) fail(schema, `'type' is a required property`)
  str(body, 'title', schema)
  str(body, 'description', schema)
  str(body, 'pattern', schema)
  if (!PROPERTY_TYPES.includes(body.type as string | null))
    fail(schema, `${JSON.stringify(body.type)} is not one of ${JSON.stringify(PROPERTY_TYPES)}`)
  for (const k of ['minimum', 'maximum'] as const)
    if (k in body && typeof body[k] !== 'number')
      fail(schema, `${JSON.stringify(body[k])} is not of type 'number'`)
  for (const k of ['maxLength', 'minLength', 'maxItems', 'minItems'] as const) {
    const v = body[k]
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0))
      fail(schema, `${JSON.stringify(v)} is not a non-negative integer`)
  }
  for (const k of ['readonly', 'uniqueItems', 'additionalItems'] as const)
    if (k in body && typeof body[k] !== 'boolean')
      fail(schema, `${JSON.stringify(body[k])} is not of type 'boolean'`)
  if ('enum' in body && !Array.isArray(body.enum))
    fail(schema, `${JSON.stringify(body.enum)} is not of type 'array'`)
  if ('operators' in body) stringArray(body.operators, schema)
  if ('required' in body) stringArray(body.required, schema)
  if ('items' in body && (typeof body.items !== 'object' || body.items === null || Array.isArray(body.items)))
    fail(schema, `${JSON.stringify(body.items)} is not of type 'object'`)
  const { name: _name, ...rest } = body
  return rest
}

function propertyMap(v: unknown, schema: string): Record<string, PropertySchema> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return fail(schema, `${JSON.stringify(v)} is not of type 'object'`)
  const out: Record<string, PropertySchema> = {}
  for (const [name, def] of Object.entries(v as Json)) {
    if (name.length === 0 || name.length > 80)
      fail(schema, `property name '${name}' must be 1 to 80 characters`)
    out[name] = parsePropertySchema(def, schema)
  }
  return out
}

/** A standalone property (POST/PUT .../properties): a definition plus its name. */
export function parsePropertyBody(body: unknown): { name: string; schema: PropertySchema } {
  const b = objectBody(body, 'property')
  checkReadOnly(b)
  const name = requiredName(b, 'name', 'property')
  return { name, schema: parsePropertySchema(b, 'property') }
}

export type ObjectInput = Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>

export function parseObjectBody(body: unknown, schema = 'object'): ObjectInput {
  const b = objectBody(body, schema)
  checkReadOnly(b)
  checkKeys(b, ['name', 'description', 'required', 'properties'], schema)
  return {
    name: requiredName(b, 'name', schema),
    description: str(b, 'description', schema),
    required: b.required === undefined || b.required === null ? null : stringArray(b.required, schema),
    properties: b.properties === undefined || b.properties === null ? {} : propertyMap(b.properties, schema),
  }
}

export function parseTagName(name: string): string {
  if (name.length === 0 || name.length > 80)
    fail('tag', `tag name '${name.slice(0, 80)}' must be 1 to 80 characters`)
  return name
}

export function parseTagBody(body: unknown): string {
  const b = objectBody(body, 'tag')
  checkReadOnly(b)
  checkKeys(b, ['name'], 'tag')
  return parseTagName(requiredName(b, 'name', 'tag'))
}

export function parseTagsBody(body: unknown): string[] {
  const b = objectBody(body, 'tags')
  checkKeys(b, ['tags'], 'tags')
  if (!Array.isArray(b.tags)) return fail('tags', `'tags' is a required property of type 'array'`)
  return b.tags.map((t) => parseTagBody(t))
}

export function parseAssociationBody(body: unknown): NamespaceContent['associations'][number] {
  const b = objectBody(body, 'resource_type_association')
  checkReadOnly(b)
  checkKeys(b, ['name', 'prefix', 'properties_target'], 'resource_type_association')
  return {
    name: requiredName(b, 'name', 'resource_type_association'),
    prefix: str(b, 'prefix', 'resource_type_association', 80),
    properties_target: str(b, 'properties_target', 'resource_type_association', 80),
  }
}

export type NamespaceInput = Pick<
  Namespace,
  'namespace' | 'display_name' | 'description' | 'visibility' | 'protected'
> & { owner: string | null }

/** A namespace body for create (with content) or update (content keys ignored, as upstream). */
export function parseNamespaceBody(body: unknown): { fields: NamespaceInput; content: NamespaceContent } {
  const s = 'namespace'
  const b = objectBody(body, s)
  checkReadOnly(b)
  checkKeys(
    b,
    [
      'namespace',
      'display_name',
      'description',
      'visibility',
      'protected',
      'owner',
      'resource_type_associations',
      'properties',
      'objects',
      'tags',
    ],
    s,
  )
  const visibility = b.visibility ?? 'private'
  if (visibility !== 'public' && visibility !== 'private')
    fail(s, `${JSON.stringify(visibility)} is not one of ['public', 'private']`)
  const prot = b.protected ?? false
  if (typeof prot !== 'boolean') fail(s, `${JSON.stringify(prot)} is not of type 'boolean'`)
  const fields: NamespaceInput = {
    namespace: requiredName(b, 'namespace', s),
    display_name: str(b, 'display_name', s, 80),
    description: str(b, 'description', s, 500),
    visibility: visibility as NamespaceVisibility,
    protected: prot as boolean,
    owner: str(b, 'owner', s, 255),
  }
  const list = (key: string): unknown[] => {
    const v = b[key]
    if (v === undefined || v === null) return []
    if (!Array.isArray(v)) return fail(s, `${JSON.stringify(v)} is not of type 'array'`)
    return v
  }
  const content: NamespaceContent = {
    associations: list('resource_type_associations').map(parseAssociationBody),
    objects: list('objects').map((o) => parseObjectBody(o, s)),
    properties: Object.entries(b.properties == null ? {} : propertyMap(b.properties, s)).map(
      ([name, schema]) => ({ name, schema }),
    ),
    tags: list('tags').map(parseTagBody),
  }
  return { fields, content }
}
