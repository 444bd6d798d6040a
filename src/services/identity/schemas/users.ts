/** Request bodies of /v3/users and /v3/groups. */
import { boolean, description, id64, name255, nullableId, type Schema } from './validate.js'

const password: Schema = { type: ['string', 'null'] }
const options: Schema = { type: 'object' }

export const userCreate: Schema = {
  properties: {
    name: name255,
    domain_id: id64,
    password,
    enabled: boolean,
    default_project_id: nullableId,
    description,
    email: { type: ['string', 'null'] },
    options,
  },
  required: ['name'],
}
export const userUpdate: Schema = {
  properties: {
    name: name255,
    domain_id: id64,
    password,
    enabled: boolean,
    default_project_id: nullableId,
    description,
    email: { type: ['string', 'null'] },
    options,
  },
  minProperties: 1,
}
export const passwordChange: Schema = {
  properties: { original_password: { type: 'string' }, password: { type: 'string', minLength: 1 } },
  required: ['original_password', 'password'],
}
export const groupCreate: Schema = {
  properties: { name: name255, domain_id: id64, description },
  required: ['name'],
}
export const groupUpdate: Schema = {
  properties: { name: name255, domain_id: id64, description },
  minProperties: 1,
}
