/**
 * Request body and query-string schemas, per microversion window, as upstream's API
 * accepts them (placement/schemas/*.py are the reference for the facts).
 */
import type { Version } from '../../../kernel/microversion/index.js'
import type { Schema } from './validation.js'

export const UUID_PATTERN = '^[0-9a-fA-F-]{36}$'
export const RC_PATTERN = '^[A-Z0-9_]+$'
export const CUSTOM_PATTERN = '^CUSTOM_[A-Z0-9_]+$'
export const CONSUMER_TYPE_GET_PATTERN = '^[A-Z0-9_]+$|^all|^unknown$'
export const GROUP_PAT = '[1-9][0-9]*'
export const GROUP_PAT_1_33 = '[a-zA-Z0-9_-]{1,64}'
const MAX_INT = 2147483647
const SQL_SP_FLOAT_MAX = 3.40282e38

const clone = <T>(x: T): T => structuredClone(x)

/**
 * A schema that depends on the microversion, built once per version: the engine
 * compiles a schema object once, so a new object per request would compile per request.
 */
function perVersion(build: (v: Version) => Schema): (v: Version) => Schema {
  const built = new Map<string, Schema>()
  return (v) => {
    const key = v.toString()
    let schema = built.get(key)
    if (!schema) {
      schema = build(v)
      built.set(key, schema)
    }
    return schema
  }
}

// --- resource providers
export const POST_RP: Schema = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 200 }, uuid: { type: 'string', format: 'uuid' } },
  required: ['name'],
  additionalProperties: false,
}
export const POST_RP_1_14: Schema = {
  ...POST_RP,
  properties: {
    ...POST_RP.properties,
    parent_provider_uuid: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] },
  },
}
export const PUT_RP: Schema = { ...POST_RP, properties: { name: { type: 'string', maxLength: 200 } } }
export const PUT_RP_1_14: Schema = {
  ...POST_RP,
  properties: {
    name: POST_RP_1_14.properties!.name!,
    parent_provider_uuid: POST_RP_1_14.properties!.parent_provider_uuid!,
  },
}

export const getRpsQuery = perVersion((v) => {
  const props: Record<string, Schema> = { name: { type: 'string' }, uuid: { type: 'string', format: 'uuid' } }
  if (v.gte('1.3')) props.member_of = { type: 'string' }
  if (v.gte('1.4')) props.resources = { type: 'string' }
  if (v.gte('1.14')) props.in_tree = { type: 'string', format: 'uuid' }
  if (v.gte('1.18')) props.required = { type: 'string' }
  return { type: 'object', properties: props, additionalProperties: false }
})

// --- aggregates
const AGG_LIST: Schema = { type: 'array', items: { type: 'string', format: 'uuid' }, uniqueItems: true }
export const PUT_AGGREGATES_1_1: Schema = AGG_LIST
export const PUT_AGGREGATES_1_19: Schema = {
  type: 'object',
  properties: { aggregates: AGG_LIST, resource_provider_generation: { type: 'integer' } },
  required: ['aggregates', 'resource_provider_generation'],
  additionalProperties: false,
}

// --- inventories
const intField = (min: number): Schema => ({ type: 'integer', maximum: MAX_INT, minimum: min })
const BASE_INVENTORY: Schema = {
  type: 'object',
  properties: {
    resource_provider_generation: { type: 'integer' },
    total: intField(1),
    reserved: intField(0),
    min_unit: intField(1),
    max_unit: intField(1),
    step_size: intField(1),
    allocation_ratio: { type: 'number', maximum: SQL_SP_FLOAT_MAX },
  },
  required: ['total', 'resource_provider_generation'],
  additionalProperties: false,
}
export const POST_INVENTORY: Schema = {
  ...BASE_INVENTORY,
  properties: { ...BASE_INVENTORY.properties, resource_class: { type: 'string', pattern: RC_PATTERN } },
  required: ['total', 'resource_class'],
}
export const PUT_INVENTORY_RECORD: Schema = { ...BASE_INVENTORY, required: ['total'] }
export const PUT_INVENTORY: Schema = BASE_INVENTORY
export const PUT_INVENTORIES: Schema = {
  type: 'object',
  properties: {
    resource_provider_generation: { type: 'integer' },
    inventories: { type: 'object', patternProperties: { [RC_PATTERN]: PUT_INVENTORY_RECORD } },
  },
  required: ['resource_provider_generation', 'inventories'],
  additionalProperties: false,
}

// --- resource classes and traits
export const POST_RC: Schema = {
  type: 'object',
  properties: { name: { type: 'string', pattern: CUSTOM_PATTERN, maxLength: 255 } },
  required: ['name'],
  additionalProperties: false,
}
const TRAIT: Schema = { type: 'string', minLength: 1, maxLength: 255 }
export const SET_RP_TRAITS: Schema = {
  type: 'object',
  properties: { traits: { type: 'array', items: TRAIT }, resource_provider_generation: { type: 'integer' } },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
}
export const LIST_TRAITS_QUERY: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, associated: { type: 'string' } },
  additionalProperties: false,
}

// --- allocations
const RESOURCES: Schema = {
  type: 'object',
  minProperties: 1,
  patternProperties: { [RC_PATTERN]: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
}
export const ALLOCATION_1_0: Schema = {
  type: 'object',
  properties: {
    allocations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          resource_provider: {
            type: 'object',
            properties: { uuid: { type: 'string', format: 'uuid' } },
            additionalProperties: false,
            required: ['uuid'],
          },
          resources: RESOURCES,
        },
        required: ['resource_provider', 'resources'],
        additionalProperties: false,
      },
    },
  },
  required: ['allocations'],
  additionalProperties: false,
}
const ID_FIELD: Schema = { type: 'string', minLength: 1, maxLength: 255 }
export const ALLOCATION_1_8: Schema = {
  ...ALLOCATION_1_0,
  properties: { ...ALLOCATION_1_0.properties, project_id: ID_FIELD, user_id: ID_FIELD },
  required: ['allocations', 'project_id', 'user_id'],
}
export const ALLOCATION_1_12: Schema = {
  type: 'object',
  properties: {
    allocations: {
      type: 'object',
      minProperties: 1,
      patternProperties: {
        [UUID_PATTERN]: {
          type: 'object',
          properties: { generation: { type: 'integer' }, resources: RESOURCES },
          required: ['resources'],
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    project_id: ID_FIELD,
    user_id: ID_FIELD,
  },
  additionalProperties: false,
  required: ['allocations', 'project_id', 'user_id'],
}
const DELETABLE = clone(ALLOCATION_1_12) as {
  properties: Record<string, Schema & { minProperties?: number }>
} & Schema
DELETABLE.properties.allocations!.minProperties = 0
const GENERATION: Schema = { type: ['integer', 'null'] }
const MAPPINGS: Schema = {
  type: 'object',
  minProperties: 1,
  patternProperties: {
    [GROUP_PAT_1_33]: { type: 'array', minItems: 1, items: { type: 'string', format: 'uuid' } },
  },
}
const CONSUMER_TYPE: Schema = { type: 'string', pattern: RC_PATTERN, minLength: 1, maxLength: 255 }

export const ALLOCATION_1_28: Schema = {
  ...DELETABLE,
  properties: { ...DELETABLE.properties, consumer_generation: GENERATION },
  required: [...DELETABLE.required!, 'consumer_generation'],
}
export const ALLOCATION_1_34: Schema = {
  ...ALLOCATION_1_28,
  properties: { ...ALLOCATION_1_28.properties, mappings: MAPPINGS },
}
export const ALLOCATION_1_38: Schema = {
  ...ALLOCATION_1_34,
  properties: { ...ALLOCATION_1_34.properties, consumer_type: CONSUMER_TYPE },
  required: [...ALLOCATION_1_34.required!, 'consumer_type'],
}
const postOf = (inner: Schema, minProperties = 1): Schema => ({
  type: 'object',
  minProperties,
  additionalProperties: false,
  patternProperties: { [UUID_PATTERN]: inner },
})
export const POST_ALLOCATIONS_1_13 = postOf(DELETABLE)
export const POST_ALLOCATIONS_1_28 = postOf(ALLOCATION_1_28)
export const POST_ALLOCATIONS_1_34 = postOf(ALLOCATION_1_34)
export const POST_ALLOCATIONS_1_38 = postOf(ALLOCATION_1_38)

export function putAllocationSchema(v: Version): Schema {
  if (v.gte('1.38')) return ALLOCATION_1_38
  if (v.gte('1.34')) return ALLOCATION_1_34
  if (v.gte('1.28')) return ALLOCATION_1_28
  if (v.gte('1.12')) return ALLOCATION_1_12
  if (v.gte('1.8')) return ALLOCATION_1_8
  return ALLOCATION_1_0
}
function postAllocations(v: Version, minProperties: number): Schema {
  const s = v.gte('1.38')
    ? POST_ALLOCATIONS_1_38
    : v.gte('1.34')
      ? POST_ALLOCATIONS_1_34
      : v.gte('1.28')
        ? POST_ALLOCATIONS_1_28
        : POST_ALLOCATIONS_1_13
  return { ...s, minProperties }
}
export const postAllocationsSchema = perVersion((v) => postAllocations(v, 1))

export const reshaperSchema = perVersion((v) => {
  return {
    type: 'object',
    properties: {
      inventories: {
        type: 'object',
        patternProperties: { [UUID_PATTERN]: PUT_INVENTORIES },
        minProperties: 1,
        additionalProperties: false,
      },
      allocations: postAllocations(v, 0),
    },
    required: ['inventories', 'allocations'],
    additionalProperties: false,
  }
})

// --- usages
export const usagesQuery = perVersion((v) => {
  const props: Record<string, Schema> = { project_id: ID_FIELD, user_id: ID_FIELD }
  if (v.gte('1.38'))
    props.consumer_type = { type: 'string', pattern: CONSUMER_TYPE_GET_PATTERN, minLength: 1, maxLength: 255 }
  return { type: 'object', properties: props, required: ['project_id'], additionalProperties: false }
})

// --- allocation candidates
export const candidatesQuery = perVersion((v) => {
  const props: Record<string, Schema> = {}
  if (!v.gte('1.25')) {
    props.resources = { type: 'string' }
    if (v.gte('1.16'))
      props.limit = { type: ['integer', 'string'], pattern: '^[1-9][0-9]*$', minimum: 1, minLength: 1 }
    if (v.gte('1.17')) props.required = { type: ['string'] }
    if (v.gte('1.21')) props.member_of = { type: ['string'] }
    return { type: 'object', properties: props, required: ['resources'], additionalProperties: false }
  }
  props.limit = { type: ['integer', 'string'], pattern: '^[1-9][0-9]*$', minimum: 1, minLength: 1 }
  props.group_policy = { type: 'string', enum: ['none', 'isolate'] }
  if (v.gte('1.35')) props.root_required = { type: ['string'] }
  if (v.gte('1.36')) props.same_subtree = { type: ['string'] }
  const pat = v.gte('1.33') ? GROUP_PAT_1_33 : GROUP_PAT
  const kinds = v.gte('1.31')
    ? ['resources', 'required', 'member_of', 'in_tree']
    : ['resources', 'required', 'member_of']
  const patternProperties: Record<string, Schema> = {}
  for (const k of kinds) patternProperties[`^${k}(${pat})?$`] = { type: 'string' }
  return { type: 'object', properties: props, patternProperties, additionalProperties: false }
})
