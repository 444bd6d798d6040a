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
} from './parameter-types.js'
import { wrapped } from './validation.js'

// NOTE: Keystone refuses a repeated tag (400) rather than dropping the repeat.
const tags: Schema = { type: 'array', items: tag, maxItems: 80, uniqueItems: true }
const options: Schema = { type: 'object' }

export const domainCreate = wrapped('domain', {
  properties: { name: name64, description, enabled: boolean, tags, options, explicit_domain_id: id64 },
  required: ['name'],
})
export const domainUpdate = wrapped('domain', {
  properties: { name: name64, description, enabled: boolean, tags, options },
  minProperties: 1,
})
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
export const projectCreate = wrapped('project', createBody(projectProperties))
export const projectUpdate = wrapped('project', updateBody(projectProperties))
/** PUT /v3/projects/{id}/tags: a bare body. */
export const tagsBody: Schema = { type: 'object', properties: { tags }, required: ['tags'] }
export { tag as tagSchema }
