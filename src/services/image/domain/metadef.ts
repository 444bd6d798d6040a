/**
 * Metadata-definition records as the domain sees them. A namespace groups property
 * definitions, objects (named groups of properties) and tags, and is associated with
 * the resource types (OS::Glance::Image, OS::Nova::Flavor, ...) it describes.
 */

export type NamespaceVisibility = 'public' | 'private'

export interface Namespace {
  id: string
  namespace: string
  display_name: string | null
  description: string | null
  visibility: NamespaceVisibility
  protected: boolean
  owner: string | null
  created_at: string
  updated_at: string
}

export interface ResourceType {
  name: string
  protected: boolean
  created_at: string
  updated_at: string
}

export interface ResourceTypeAssociation {
  name: string
  prefix: string | null
  properties_target: string | null
  created_at: string
  updated_at: string
}

export interface MetadefObject {
  id: string
  name: string
  description: string | null
  required: string[] | null
  properties: Record<string, PropertySchema>
  created_at: string
  updated_at: string
}

/** A property definition without its name: title, type, enum, minimum, ... */
export type PropertySchema = Record<string, unknown>

export interface MetadefProperty {
  id: string
  name: string
  schema: PropertySchema
  created_at: string
  updated_at: string
}

export interface MetadefTag {
  id: string
  name: string
  created_at: string
  updated_at: string
}

/** What a namespace is created with, besides its own fields. */
export interface NamespaceContent {
  associations: { name: string; prefix: string | null; properties_target: string | null }[]
  objects: Omit<MetadefObject, 'id' | 'created_at' | 'updated_at'>[]
  properties: { name: string; schema: PropertySchema }[]
  tags: string[]
}

export const NAMESPACE_SORT_KEYS = [
  'namespace',
  'display_name',
  'visibility',
  'protected',
  'owner',
  'created_at',
  'updated_at',
] as const
export type NamespaceSortKey = (typeof NAMESPACE_SORT_KEYS)[number]

export const TAG_SORT_KEYS = ['name', 'created_at', 'updated_at'] as const
export type TagSortKey = (typeof TAG_SORT_KEYS)[number]
