/** Aggregate request bodies (create, update and the actions), as upstream's schemas. */
import { azName, metadataWithNull, name, nameWithSpaces } from './types.js'

const zone = { oneOf: [azName, { type: 'null' }] }
const hostName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' }

export const CREATE_AGGREGATE = {
  type: 'object',
  properties: {
    aggregate: {
      type: 'object',
      properties: { name, availability_zone: zone },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['aggregate'],
  additionalProperties: false,
}

export const UPDATE_AGGREGATE = {
  type: 'object',
  properties: {
    aggregate: {
      type: 'object',
      properties: { name: nameWithSpaces, availability_zone: zone },
      additionalProperties: false,
      anyOf: [{ required: ['name'] }, { required: ['availability_zone'] }],
    },
  },
  required: ['aggregate'],
  additionalProperties: false,
}

const action = (key: string, inner: Record<string, unknown>, required: string[]) => ({
  type: 'object',
  properties: {
    [key]: { type: 'object', properties: inner, required, additionalProperties: false },
  },
  required: [key],
  additionalProperties: false,
})

export const ADD_HOST = action('add_host', { host: hostName }, ['host'])
export const REMOVE_HOST = action('remove_host', { host: hostName }, ['host'])
export const SET_METADATA = action('set_metadata', { metadata: metadataWithNull }, ['metadata'])

export const CACHE_IMAGES = {
  type: 'object',
  properties: {
    cache: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' } },
        additionalProperties: false,
        required: ['id'],
      },
    },
  },
  required: ['cache'],
  additionalProperties: false,
}
