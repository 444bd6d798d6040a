/** Request bodies of /v3/regions, /v3/services, /v3/endpoints and endpoint groups. */
import {
  boolean,
  createBody,
  description,
  id64,
  name255,
  type Schema,
  updateBody,
  url,
} from './parameter-types.js'
import { wrapped } from './validation.js'

const iface: Schema = { type: 'string', enum: ['public', 'internal', 'admin'] }
const regionId: Schema = { type: ['string', 'null'], minLength: 1, maxLength: 255 }

export const regionCreate = wrapped('region', {
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 255 },
    description,
    parent_region_id: regionId,
  },
})
export const regionUpdate = wrapped('region', {
  properties: { description, parent_region_id: regionId },
  minProperties: 1,
})
export const serviceCreate = wrapped('service', {
  properties: { type: name255, name: { type: 'string', maxLength: 255 }, description, enabled: boolean },
  required: ['type'],
})
export const serviceUpdate = wrapped('service', {
  properties: { type: name255, name: { type: 'string', maxLength: 255 }, description, enabled: boolean },
  minProperties: 1,
})
const endpointProperties: Record<string, Schema> = {
  service_id: id64,
  interface: iface,
  url,
  region_id: regionId,
  region: regionId,
  enabled: boolean,
}
export const endpointCreate = wrapped(
  'endpoint',
  createBody(endpointProperties, ['service_id', 'interface', 'url']),
)
export const endpointUpdate = wrapped('endpoint', updateBody(endpointProperties))
const filters: Schema = {
  type: 'object',
  properties: { interface: iface, service_id: id64, region_id: regionId },
  additionalProperties: false,
  minProperties: 1,
}
export const endpointGroupCreate = wrapped('endpoint_group', {
  properties: { name: name255, description, filters },
  required: ['name', 'filters'],
})
export const endpointGroupUpdate = wrapped('endpoint_group', {
  properties: { name: name255, description, filters },
  minProperties: 1,
})
