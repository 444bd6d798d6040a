/**
 * Request bodies of /v3/credentials, OS-EC2, application credentials, trusts, policies,
 * consumers and domain configuration.
 */
import { boolean, description, id64, name255, nullableId, type Schema } from './parameter-types.js'
import { wrapped } from './validation.js'

export const credentialCreate = wrapped('credential', {
  properties: { user_id: id64, type: name255, blob: { type: 'string' }, project_id: nullableId },
  required: ['user_id', 'type', 'blob'],
})
export const credentialUpdate = wrapped('credential', {
  properties: { user_id: id64, type: name255, blob: { type: 'string' }, project_id: nullableId },
  minProperties: 1,
})
/** OS-EC2 create: a bare body. */
export const ec2Create: Schema = { type: 'object', properties: { tenant_id: id64 }, required: ['tenant_id'] }

const roleRef: Schema = {
  type: 'object',
  properties: { id: id64, name: name255, domain_id: nullableId },
  minProperties: 1,
}
const accessRule: Schema = {
  type: 'object',
  properties: {
    id: id64,
    service: { type: 'string', minLength: 1, maxLength: 64 },
    path: { type: 'string', minLength: 1, maxLength: 128 },
    method: { type: 'string', enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] },
  },
  additionalProperties: false,
}
export const appCredCreate = wrapped('application_credential', {
  properties: {
    name: name255,
    description,
    secret: { type: ['string', 'null'], minLength: 1 },
    expires_at: { type: ['string', 'null'] },
    roles: { type: 'array', items: roleRef },
    unrestricted: { type: ['boolean', 'null'] },
    access_rules: { type: 'array', items: accessRule },
  },
  required: ['name'],
  additionalProperties: false,
})
export const trustCreate = wrapped('trust', {
  properties: {
    trustor_user_id: id64,
    trustee_user_id: id64,
    impersonation: boolean,
    project_id: nullableId,
    roles: { type: 'array', items: roleRef },
    expires_at: { type: ['string', 'null'] },
    remaining_uses: { type: ['integer', 'null'] },
    allow_redelegation: { type: ['boolean', 'null'] },
    redelegation_count: { type: ['integer', 'null'], minimum: 0 },
  },
  required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
})
export const policyCreate = wrapped('policy', {
  properties: { type: { type: 'string', maxLength: 255 }, blob: { type: 'string' } },
  required: ['type', 'blob'],
})
export const policyUpdate = wrapped('policy', {
  properties: { type: { type: 'string', maxLength: 255 }, blob: { type: 'string' } },
})
export const consumerCreate = wrapped('consumer', { properties: { description } })
export const consumerUpdate = wrapped('consumer', { properties: { description, secret: { type: 'null' } } })
/** A domain's configuration: groups of options. */
export const domainConfig = wrapped('config', { type: 'object', additionalProperties: { type: 'object' } })
/** One group's options (PATCH /v3/domains/{id}/config/{group}/{option}). */
export const domainConfigOption = wrapped('config', { type: 'object' })
