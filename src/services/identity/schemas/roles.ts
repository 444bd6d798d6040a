/** Request bodies of /v3/roles. */
import { description, name255, nullableId, type Schema } from './parameter-types.js'
import { wrapped } from './validation.js'

const options: Schema = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
}
export const roleCreate = wrapped('role', {
  properties: { name: name255, domain_id: nullableId, description, options },
  required: ['name'],
})
export const roleUpdate = wrapped('role', {
  properties: { name: name255, domain_id: nullableId, description, options },
  minProperties: 1,
})
