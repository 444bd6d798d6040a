/**
 * The building blocks of identity's request schemas (Keystone's parameter types: ids,
 * names, descriptions, URLs, tags) and the two body shapes every resource repeats.
 */

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null'

/** The JSON-schema keywords identity's schemas use. */
export type Schema = {
  type?: JsonType | readonly JsonType[]
  properties?: Readonly<Record<string, Schema>>
  required?: readonly string[]
  additionalProperties?: boolean | Schema
  minLength?: number
  maxLength?: number
  pattern?: string
  enum?: readonly unknown[]
  items?: Schema
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  minimum?: number
  maximum?: number
  minProperties?: number
  allOf?: readonly Schema[]
  if?: Schema
  else?: Schema
}

/** Keystone's create body of a resource: its properties, some of them required. */
export function createBody(
  properties: Record<string, Schema>,
  required: readonly string[] = ['name'],
): Schema {
  return { properties, required }
}

/** Keystone's update body of a resource: the same properties, at least one given. */
export function updateBody(properties: Record<string, Schema>): Schema {
  return { properties, minProperties: 1 }
}

export const id64: Schema = { type: 'string', minLength: 1, maxLength: 64 }
export const nullableId: Schema = { type: ['string', 'null'], minLength: 1, maxLength: 64 }
export const name64: Schema = { type: 'string', minLength: 1, maxLength: 64 }
export const name255: Schema = { type: 'string', minLength: 1, maxLength: 255 }
export const description: Schema = { type: ['string', 'null'] }
export const boolean: Schema = { type: 'boolean' }
export const url: Schema = { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' }
/** Project tag: no '/' or ',', at most 255 characters. */
export const tag: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' }
