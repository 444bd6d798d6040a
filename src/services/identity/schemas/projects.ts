/** Request bodies of /v3/domains and /v3/projects (Keystone's resource schemas). */
import {
  boolean,
  createBody,
  description,
  id64,
  name64,
  nullableId,
  type Schema,
  tag,
  updateBody,
} from './validate.js'

const tags: Schema = { type: 'array', items: tag, maxLength: 80 }
const options: Schema = { type: 'object' }

export const domainCreate: Schema = {
  properties: { name: name64, description, enabled: boolean, tags, options, explicit_domain_id: id64 },
  required: ['name'],
}
export const domainUpdate: Schema = {
  properties: { name: name64, description, enabled: boolean, tags, options },
  minProperties: 1,
}
const projectProperties: Record<string, Schema> = {
  name: name64,
  description,
  enabled: boolean,
  domain_id: nullableId,
  parent_id: nullableId,
  is_domain: boolean,
  tags,
  options,
}
export const projectCreate = createBody(projectProperties)
export const projectUpdate = updateBody(projectProperties)
export const tagsBody: Schema = { type: 'object', properties: { tags }, required: ['tags'] }
export { tag as tagSchema }
