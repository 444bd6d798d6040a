/** Request bodies of /v3/registered_limits and /v3/limits, with Keystone's bounds. */
import { description, id64, name255, type Schema } from './parameter-types.js'
import { wrapped } from './validation.js'

/** -1 (unlimited) up to the largest signed 32-bit integer. */
const limitValue: Schema = { type: 'integer', minimum: -1, maximum: 0x7fffffff }
const regionId: Schema = { type: ['string', 'null'], minLength: 1, maxLength: 255 }
const nullableId64: Schema = { type: ['string', 'null'], minLength: 1, maxLength: 64 }

/** A batch: `{"registered_limits": [{...}, ...]}`, at least one. */
export const registeredLimitsCreate = wrapped('registered_limits', {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: {
      service_id: id64,
      region_id: regionId,
      resource_name: name255,
      default_limit: limitValue,
      description,
    },
    required: ['service_id', 'resource_name', 'default_limit'],
    additionalProperties: false,
  },
})

export const registeredLimitUpdate = wrapped('registered_limit', {
  properties: {
    service_id: id64,
    region_id: regionId,
    resource_name: name255,
    default_limit: limitValue,
    description,
  },
  additionalProperties: false,
})

/** A batch: `{"limits": [{...}, ...]}`, at least one. */
export const limitsCreate = wrapped('limits', {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: {
      project_id: nullableId64,
      domain_id: nullableId64,
      service_id: id64,
      region_id: regionId,
      resource_name: name255,
      resource_limit: limitValue,
      description,
    },
    required: ['service_id', 'resource_name', 'resource_limit'],
    additionalProperties: false,
  },
})

export const limitUpdate = wrapped('limit', {
  properties: { resource_limit: limitValue, description },
  additionalProperties: false,
})
