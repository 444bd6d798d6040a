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
} from './parameter-types.js'
import { wrapped } from './validation.js'

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
export const userCreate = wrapped('user', createBody(userProperties))
export const userUpdate = wrapped('user', updateBody(userProperties))
export const passwordChange = wrapped('user', {
  properties: { original_password: { type: 'string' }, password: { type: 'string', minLength: 1 } },
  required: ['original_password', 'password'],
})
const groupProperties: Record<string, Schema> = { name: name255, domain_id: id64, description }
export const groupCreate = wrapped('group', createBody(groupProperties))
export const groupUpdate = wrapped('group', updateBody(groupProperties))
