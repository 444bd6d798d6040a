/** Request bodies of /v3/users and /v3/groups. */
import {
  boolean,
  createBody,
  description,
  id64,
  name255,
  nullableId,
  type Schema,
  updateBody,
} from './validate.js'

const password: Schema = { type: ['string', 'null'] }
const options: Schema = { type: 'object' }

const userProperties: Record<string, Schema> = {
  name: name255,
  domain_id: id64,
  password,
  enabled: boolean,
  default_project_id: nullableId,
  description,
  email: { type: ['string', 'null'] },
  options,
}
export const userCreate = createBody(userProperties)
export const userUpdate = updateBody(userProperties)
export const passwordChange: Schema = {
  properties: { original_password: { type: 'string' }, password: { type: 'string', minLength: 1 } },
  required: ['original_password', 'password'],
}
const groupProperties: Record<string, Schema> = { name: name255, domain_id: id64, description }
export const groupCreate = createBody(groupProperties)
export const groupUpdate = updateBody(groupProperties)
