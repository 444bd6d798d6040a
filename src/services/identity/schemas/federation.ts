/**
 * Request bodies of OS-FEDERATION (identity providers, protocols, service providers;
 * mappings are checked by the mapping schema in domain/federation-mapping.ts),
 * OS-OAUTH1 and OS-ENDPOINT-POLICY.
 */
import { boolean, description, id64, type Schema, url } from './parameter-types.js'
import { wrapped } from './validation.js'

const remoteIds: Schema = { type: ['array', 'null'], items: { type: 'string' }, uniqueItems: true }
const ttl: Schema = { type: ['integer', 'null'], minimum: 0 }

export const idpCreate = wrapped('identity_provider', {
  properties: {
    enabled: boolean,
    description,
    domain_id: { type: ['string', 'null'], minLength: 1, maxLength: 64 },
    authorization_ttl: ttl,
    remote_ids: remoteIds,
  },
  additionalProperties: false,
})
export const idpUpdate = wrapped('identity_provider', {
  properties: { enabled: boolean, description, authorization_ttl: ttl, remote_ids: remoteIds },
  minProperties: 1,
  additionalProperties: false,
})

const protocolProperties: Record<string, Schema> = {
  mapping_id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
  remote_id_attribute: { type: 'string', maxLength: 64 },
}
export const protocolCreate = wrapped('protocol', {
  properties: protocolProperties,
  required: ['mapping_id'],
  additionalProperties: false,
})
export const protocolUpdate = wrapped('protocol', {
  properties: protocolProperties,
  minProperties: 1,
  additionalProperties: false,
})

export const mappingBody = wrapped('mapping', {})

const spProperties: Record<string, Schema> = {
  auth_url: url,
  sp_url: url,
  description,
  enabled: boolean,
  relay_state_prefix: description,
}
export const spCreate = wrapped('service_provider', {
  properties: spProperties,
  required: ['auth_url', 'sp_url'],
  additionalProperties: false,
})
export const spUpdate = wrapped('service_provider', {
  properties: spProperties,
  minProperties: 1,
  additionalProperties: false,
})

export const oauthAuthorize = wrapped('roles', {
  type: 'array',
  items: { type: 'object', properties: { id: id64, name: { type: 'string' } }, minProperties: 1 },
  minItems: 1,
})
