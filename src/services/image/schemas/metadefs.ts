/**
 * The metadata-definition schema documents (GET /v2/schemas/metadefs/*), which let
 * clients discover the shapes the metadefs API (/v2/metadefs/*) takes and returns.
 */
const str = (description: string, extra: Record<string, unknown> = {}) => ({
  type: 'string',
  description,
  ...extra,
})
const time = { type: 'string', readOnly: true, format: 'date-time' }

const property = {
  name: 'property',
  properties: {
    name: str('Name of the property', { maxLength: 255 }),
    title: str('Title of the property'),
    description: str('Description of the property'),
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
    required: { type: 'array', items: { type: 'string' } },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { type: 'integer', minimum: 0 },
    minLength: { type: 'integer', minimum: 0 },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: { type: 'object' },
    maxItems: { type: 'integer', minimum: 0 },
    minItems: { type: 'integer', minimum: 0 },
    uniqueItems: { type: 'boolean', default: false },
    additionalItems: { type: 'boolean' },
  },
  required: ['name', 'title', 'type'],
  additionalProperties: false,
}

const tag = {
  name: 'tag',
  properties: { name: str('Name of the tag', { maxLength: 255 }), created_at: time, updated_at: time },
  required: ['name'],
  additionalProperties: false,
}

const object = {
  name: 'object',
  properties: {
    name: str('Name of the object', { maxLength: 255 }),
    description: str('Description of the object'),
    required: { type: 'array', items: { type: 'string' } },
    properties: { type: 'object', additionalProperties: property },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    created_at: time,
    updated_at: time,
  },
  required: ['name'],
  additionalProperties: false,
}

const resourceType = {
  name: 'resource_type_association',
  properties: {
    name: str('Resource type names should be aligned with Heat resource types whenever possible', {
      maxLength: 80,
    }),
    prefix: str('Specifies the prefix to use for the given resource type', { maxLength: 80 }),
    properties_target: str('Some resource types allow more than one key / value pair per instance', {
      maxLength: 80,
    }),
    created_at: time,
    updated_at: time,
  },
  required: ['name'],
  additionalProperties: false,
}

const namespace = {
  name: 'namespace',
  properties: {
    namespace: str('The unique namespace text.', { maxLength: 80 }),
    display_name: str('The user friendly name for the namespace.', { maxLength: 80 }),
    description: str('Provides a user friendly description of the namespace.', { maxLength: 500 }),
    visibility: { type: 'string', enum: ['public', 'private'] },
    protected: { type: 'boolean' },
    owner: str('Owner of the namespace.', { maxLength: 255 }),
    created_at: time,
    updated_at: time,
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    resource_type_associations: { type: 'array', items: resourceType },
    properties: { type: 'object', additionalProperties: property },
    objects: { type: 'array', items: object },
    tags: { type: 'array', items: tag },
  },
  required: ['namespace'],
  additionalProperties: false,
}

const collection = (name: string, key: string, item: unknown) => ({
  name,
  properties: {
    [key]: { type: 'array', items: item },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
})

export const METADEF_SCHEMAS: Readonly<Record<string, unknown>> = {
  namespace,
  namespaces: collection('namespaces', 'namespaces', namespace),
  object,
  objects: collection('objects', 'objects', object),
  property,
  properties: {
    name: 'properties',
    properties: { properties: { type: 'object', additionalProperties: property } },
  },
  resource_type: resourceType,
  resource_types: collection('resource_type_associations', 'resource_type_associations', resourceType),
  tag,
  tags: collection('tags', 'tags', tag),
}
