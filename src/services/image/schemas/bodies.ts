/**
 * The JSON schemas of the image API's request bodies, validated by the route table
 * before the handler (as Glance's request deserializers validate before the
 * controller): image create, the two JSON-patch dialects, members, import, and the
 * metadata definitions. `x-*` keys carry Glance's wording (see validate-body.ts);
 * `allOf` fixes the order in which checks answer, where Glance's order matters (a
 * read-only attribute is 403 before anything else about the body is judged).
 *
 * What depends on configuration (disk and container formats, import methods, stores)
 * is checked by the domain.
 */
import type { JsonSchema } from '../../../kernel/validation/index.js'
import { MEMBER_STATUSES, READ_ONLY, VISIBILITIES } from '../domain/image.js'

// --- shared pieces

const forbidden = (why: 'read-only' | 'reserved') => ({ 'x-forbidden': why, not: {} })
const bare = (message: string) => ({ 'x-message': message, 'x-bare': true })
/** Any value: the key is declared (not "additional") and judged elsewhere. */
const ANY = {}

// --- images

const UUID_PATTERN = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$'

/** The attributes an image body may set, with their checks; other keys are string properties. */
const IMAGE_VALUES = {
  propertyNames: { minLength: 1, maxLength: 255 },
  'x-message': { propertyNames: "property name '{key40}' is too long or empty" },
  properties: {
    name: {
      type: ['null', 'string'],
      maxLength: 255,
      'x-message': "{value} is not valid under any of the given schemas for 'name'",
    },
    owner: { type: ['null', 'string'], maxLength: 255, 'x-message': "{value} is not valid for 'owner'" },
    visibility: { enum: VISIBILITIES, 'x-message': `{value} is not one of ${JSON.stringify(VISIBILITIES)}` },
    protected: { type: 'boolean' },
    os_hidden: { type: 'boolean' },
    min_disk: {
      type: 'integer',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      'x-message': "{value} is not valid for 'min_disk'",
    },
    min_ram: {
      type: 'integer',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      'x-message': "{value} is not valid for 'min_ram'",
    },
    tags: {
      type: 'array',
      items: { type: 'string', maxLength: 255, 'x-message': '{value} is not a valid tag' },
    },
    // Judged against the configured formats by the domain.
    container_format: ANY,
    disk_format: ANY,
    id: { type: 'string', pattern: UUID_PATTERN, 'x-message': "{value} is not a valid 'id'" },
  },
  additionalProperties: { type: 'string', 'x-message': "{value} is not of type 'string' for '{key}'" },
} as const

/** One attribute's value as a patch sets it (`{ <name>: value }`), with the create checks. */
export const imageValue: JsonSchema = { name: 'image', type: 'object', ...IMAGE_VALUES }

/** POST /v2/images. */
export const imageCreate: JsonSchema = {
  name: 'image',
  type: 'object',
  ...bare('Body expected in request.'),
  allOf: [
    {
      properties: Object.fromEntries(
        [...READ_ONLY, 'locations'].filter((k) => k !== 'id').map((k) => [k, forbidden('read-only')]),
      ),
      patternProperties: { '^os_glance': forbidden('reserved'), '^deleted(_at)?$': forbidden('reserved') },
    },
    IMAGE_VALUES,
  ],
}

export const PATCH_MEDIA_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
] as const

const OPS = ['add', 'replace', 'remove']
const NO_PATH = 'Unable to find `path` in JSON Schema change.'
const NEEDS_VALUE = 'Operation "{op}" requires a member named "value".'
const PATH = { type: 'string', ...bare(NO_PATH) }

/** `{"op": "replace", "path": "/name", "value": ...}` */
const opStyle = {
  allOf: [
    { properties: { op: { enum: OPS, ...bare('Invalid operation: `{raw}`.') } } },
    { required: ['path'], properties: { path: PATH }, ...bare(NO_PATH) },
    { if: { properties: { op: { const: 'remove' } } }, else: { required: ['value'], ...bare(NEEDS_VALUE) } },
  ],
}

/** `{"replace": "/name", "value": ...}` */
const namedStyle = {
  allOf: [
    {
      oneOf: OPS.map((op) => ({ required: [op] })),
      ...bare('Operation objects must contain exactly one member named "add", "remove", or "replace".'),
    },
    { properties: { add: PATH, remove: PATH, replace: PATH } },
    { if: { required: ['remove'] }, else: { required: ['value'], ...bare(NEEDS_VALUE) } },
  ],
}

const patchList = (item: object): JsonSchema => ({
  name: 'image',
  type: 'array',
  ...bare('Request body must be a JSON array of operation objects.'),
  items: {
    type: 'object',
    'x-message': { type: 'Operations must be JSON objects.' },
    'x-bare': true,
    ...item,
  },
})

/** PATCH /v2/images/{id}, by media type: v2.1 takes both styles, v2.0 the named one. */
export const IMAGE_PATCH: Readonly<Record<string, JsonSchema>> = {
  // With an `op` member the operation is in op style, else in the named one (written as
  // two if/else pairs: a schema object with a `then` key would look like a promise).
  [PATCH_MEDIA_TYPES[0]]: patchList({
    allOf: [
      { if: { required: ['op'] }, else: namedStyle },
      { if: { not: { required: ['op'] } }, else: opStyle },
    ],
  }),
  [PATCH_MEDIA_TYPES[1]]: patchList(namedStyle),
}

const NO_METHOD = "Import request requires a 'method' field."

/** POST /v2/images/{id}/import (the method's and stores' names are the domain's). */
export const imageImport: JsonSchema = {
  name: 'import',
  type: 'object',
  required: ['method'],
  ...bare(NO_METHOD),
  properties: {
    method: {
      type: 'object',
      required: ['name'],
      ...bare(NO_METHOD),
      properties: { name: { type: 'string', ...bare(NO_METHOD) } },
    },
  },
}

// --- members

const NO_MEMBER = 'Member to be added not specified'

/** POST /v2/images/{id}/members. */
export const memberCreate: JsonSchema = {
  name: 'member',
  type: 'object',
  required: ['member'],
  ...bare(NO_MEMBER),
  properties: { member: { type: 'string', minLength: 1, maxLength: 255, ...bare(NO_MEMBER) } },
}

const BAD_STATUS = `'{body.status}' is not one of ['pending', 'accepted', 'rejected']`

/** PUT /v2/images/{id}/members/{member_id}. */
export const memberUpdate: JsonSchema = {
  name: 'member',
  type: 'object',
  required: ['status'],
  'x-message': BAD_STATUS,
  properties: { status: { enum: MEMBER_STATUSES, 'x-message': BAD_STATUS } },
}

// --- metadata definitions

const METADEF_READ_ONLY = {
  properties: Object.fromEntries(
    ['self', 'schema', 'created_at', 'updated_at'].map((k) => [k, forbidden('read-only')]),
  ),
}
const only = (keys: readonly string[]) => ({
  additionalProperties: false,
  properties: Object.fromEntries(keys.map((k) => [k, ANY])),
})
/** An optional string (null is absent). */
const str = (maxLength?: number) => ({
  type: ['string', 'null'],
  ...(maxLength === undefined ? {} : { maxLength }),
  'x-message': { type: "{value} is not of type 'string'" },
})
/** A required name: a non-empty string of at most 80 characters. */
const NAME = {
  type: ['string', 'null'],
  maxLength: 80,
  minLength: 1,
  not: { type: 'null' },
  'x-message': { type: "{value} is not of type 'string'", not: "'{key}' should be non-empty" },
}
const stringList = (nullable: boolean) => ({
  type: nullable ? ['array', 'null'] : 'array',
  not: { type: 'array', contains: { not: { type: 'string' } } },
  uniqueItems: true,
  'x-message': {
    type: "{value} is not of type 'array' of strings",
    not: "{value} is not of type 'array' of strings",
  },
})
const nonNegative = { type: 'integer', minimum: 0, 'x-message': '{value} is not a non-negative integer' }
const list = (items: object) => ({
  type: ['array', 'null'],
  items,
  'x-message': { type: "{value} is not of type 'array'" },
})

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
]

/** A property definition (a JSON-schema fragment with a title and a type). */
const propertyDefinition = {
  type: 'object',
  allOf: [
    only(PROPERTY_KEYS),
    { required: ['title'] },
    { required: ['type'] },
    {
      properties: {
        title: str(),
        description: str(),
        pattern: str(),
        type: { enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
        minimum: { type: 'number' },
        maximum: { type: 'number' },
        maxLength: nonNegative,
        minLength: nonNegative,
        maxItems: nonNegative,
        minItems: nonNegative,
        readonly: { type: 'boolean' },
        uniqueItems: { type: 'boolean' },
        additionalItems: { type: 'boolean' },
        enum: { type: 'array' },
        operators: stringList(false),
        required: stringList(false),
        items: { type: 'object' },
      },
    },
  ],
}

/** Property definitions by name. */
const propertyMap = {
  type: ['object', 'null'],
  propertyNames: { minLength: 1, maxLength: 80 },
  additionalProperties: propertyDefinition,
  'x-message': {
    type: "{value} is not of type 'object'",
    propertyNames: "property name '{key}' must be 1 to 80 characters",
  },
}

/** POST/PUT .../properties[/{name}]: a definition with its name. */
export const property: JsonSchema = {
  name: 'property',
  type: 'object',
  allOf: [METADEF_READ_ONLY, { required: ['name'] }, { properties: { name: NAME } }, propertyDefinition],
}

const objectDefinition = {
  type: 'object',
  allOf: [
    METADEF_READ_ONLY,
    only(['name', 'description', 'required', 'properties']),
    { required: ['name'] },
    {
      properties: {
        name: NAME,
        description: str(),
        required: stringList(true),
        properties: propertyMap,
      },
    },
  ],
}

/** POST/PUT .../objects[/{name}]. */
export const object: JsonSchema = { name: 'object', ...objectDefinition }

/** POST .../resource_types. */
export const association: JsonSchema = {
  name: 'resource_type_association',
  type: 'object',
  allOf: [
    METADEF_READ_ONLY,
    only(['name', 'prefix', 'properties_target']),
    { required: ['name'] },
    { properties: { name: NAME, prefix: str(80), properties_target: str(80) } },
  ],
}

/** PUT .../tags/{name}, and each tag of a list. */
export const tag: JsonSchema = {
  name: 'tag',
  type: 'object',
  allOf: [METADEF_READ_ONLY, only(['name']), { required: ['name'] }, { properties: { name: NAME } }],
}

const NO_TAGS = "'tags' is a required property of type 'array'"

/** POST .../tags: `{"tags": [{"name": ...}, ...]}`. */
export const tags: JsonSchema = {
  name: 'tags',
  type: 'object',
  allOf: [
    only(['tags']),
    {
      required: ['tags'],
      'x-message': { required: NO_TAGS },
      properties: { tags: { type: 'array', items: tag, 'x-message': { type: NO_TAGS } } },
    },
  ],
}

/** POST /v2/metadefs/namespaces and PUT .../{namespace} (whose content keys are ignored). */
export const namespace: JsonSchema = {
  name: 'namespace',
  type: 'object',
  allOf: [
    METADEF_READ_ONLY,
    only([
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
    ]),
    {
      properties: {
        visibility: {
          enum: ['public', 'private', null],
          'x-message': "{value} is not one of ['public', 'private']",
        },
        protected: { type: ['boolean', 'null'], 'x-message': "{value} is not of type 'boolean'" },
      },
    },
    { required: ['namespace'] },
    {
      properties: {
        namespace: NAME,
        display_name: str(80),
        description: str(500),
        owner: str(255),
        resource_type_associations: list(association),
        objects: list(objectDefinition),
        properties: propertyMap,
        tags: list(tag),
      },
    },
  ],
}
