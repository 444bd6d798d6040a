/** Server group request bodies and list queries, per microversion window. */
import { multi, name, nonNegativeInteger, positiveInteger, querySchema } from './types.js'

function create(policies: readonly string[]) {
  return {
    type: 'object',
    properties: {
      server_group: {
        type: 'object',
        properties: {
          name,
          policies: {
            type: 'array',
            items: [{ type: 'string', enum: [...policies] }],
            uniqueItems: true,
            minItems: 1,
            maxItems: 1,
            additionalItems: false,
          },
        },
        required: ['name', 'policies'],
        additionalProperties: false,
      },
    },
    required: ['server_group'],
    additionalProperties: false,
  }
}

export const CREATE_GROUP = create(['anti-affinity', 'affinity'])
export const CREATE_GROUP_215 = create(['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'])
export const CREATE_GROUP_264 = {
  type: 'object',
  properties: {
    server_group: {
      type: 'object',
      properties: {
        name,
        policy: {
          type: 'string',
          enum: ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'],
        },
        rules: {
          type: 'object',
          properties: { max_server_per_host: positiveInteger },
          additionalProperties: false,
        },
      },
      required: ['name', 'policy'],
      additionalProperties: false,
    },
  },
  required: ['server_group'],
  additionalProperties: false,
}

const LIST = {
  all_projects: multi({ type: 'string' }),
  limit: multi(nonNegativeInteger),
  offset: multi(nonNegativeInteger),
}
export const LIST_GROUPS = querySchema(LIST, false)
export const LIST_GROUPS_275 = querySchema(LIST, true)
