/** Request bodies of /v3/credentials, OS-EC2, application credentials, trusts, policies, consumers, domain config. */
import { boolean, description, id64, name255, nullableId, type Schema } from './validate.js'

export const credentialCreate: Schema = {
  properties: { user_id: id64, type: name255, blob: { type: 'string' }, project_id: nullableId },
  required: ['user_id', 'type', 'blob'],
}
export const credentialUpdate: Schema = {
  properties: { user_id: id64, type: name255, blob: { type: 'string' }, project_id: nullableId },
  minProperties: 1,
}
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
export const appCredCreate: Schema = {
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
}
export const trustCreate: Schema = {
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
}
export const policyCreate: Schema = {
  properties: { type: { type: 'string', maxLength: 255 }, blob: { type: 'string' } },
  required: ['type', 'blob'],
}
export const policyUpdate: Schema = {
  properties: { type: { type: 'string', maxLength: 255 }, blob: { type: 'string' } },
}
export const consumerCreate: Schema = { properties: { description } }
export const consumerUpdate: Schema = { properties: { description, secret: { type: 'null' } } }
export const domainConfig: Schema = { type: 'object', additionalProperties: { type: 'object' } }
