/**
 * The image service's tables, as Kysely sees them. Only storage/*.repo.ts use these.
 * Timestamps are ISO-8601 strings (with milliseconds, so they sort as text); booleans
 * are integers 0/1; sizes are bigints that some drivers return as strings.
 */
import type { Generated } from 'kysely'

export interface ImagesTable {
  id: string
  name: string | null
  status: string
  visibility: string
  protected: number
  os_hidden: number
  owner: string | null
  size: number | string | null
  virtual_size: number | string | null
  checksum: string | null
  os_hash_algo: string | null
  os_hash_value: string | null
  container_format: string | null
  disk_format: string | null
  min_disk: number
  min_ram: number
  /** The store URL of the data (file:///...), never shown to non-admins. */
  location: string | null
  /** Every location as JSON ([{url, metadata}]), the first being `location`; NULL on old rows. */
  locations: string | null
  /** Which upload currently holds the image in `saving`/`uploading`/`importing`. */
  upload_token: string | null
  created_at: string
  updated_at: string
  deleted: number
  deleted_at: string | null
}

export interface ImagePropertiesTable {
  image_id: string
  name: string
  value: string
}

export interface ImageTagsTable {
  image_id: string
  value: string
}

export interface ImageMembersTable {
  image_id: string
  member: string
  status: string
  created_at: string
  updated_at: string
}

export interface ImageTasksTable {
  id: string
  image_id: string
  type: string
  status: string
  owner: string | null
  user_id: string | null
  request_id: string | null
  input: string
  result: string | null
  message: string
  created_at: string
  updated_at: string
  expires_at: string | null
  /** The API process's host running the task (not shown). */
  host?: string | null
}

export interface ImageQuotaUsageTable {
  project_id: string
  images: number
  bytes: number | string
}

export interface MetadefNamespacesTable {
  id: string
  namespace: string
  display_name: string | null
  description: string | null
  visibility: string
  protected: number
  owner: string | null
  created_at: string
  updated_at: string
}

export interface MetadefResourceTypesTable {
  id: string
  name: string
  protected: number
  created_at: string
  updated_at: string
}

export interface MetadefNamespaceResourceTypesTable {
  namespace_id: string
  resource_type_id: string
  properties_target: string | null
  prefix: string | null
  created_at: string
  updated_at: string
}

/** An object: its properties and required list are JSON text. */
export interface MetadefObjectsTable {
  id: string
  namespace_id: string
  name: string
  description: string | null
  required: string | null
  json_schema: string
  created_at: string
  updated_at: string
}

/** A property definition: everything but its name, as JSON text. */
export interface MetadefPropertiesTable {
  id: string
  namespace_id: string
  name: string
  json_schema: string
  created_at: string
  updated_at: string
}

export interface MetadefTagsTable {
  id: string
  namespace_id: string
  name: string
  created_at: string
  updated_at: string
}

export interface ImageDatabase {
  images: ImagesTable
  image_properties: ImagePropertiesTable
  image_tags: ImageTagsTable
  image_members: ImageMembersTable
  image_tasks: ImageTasksTable
  image_quota_usage: ImageQuotaUsageTable
  metadef_namespaces: MetadefNamespacesTable
  metadef_resource_types: MetadefResourceTypesTable
  metadef_namespace_resource_types: MetadefNamespaceResourceTypesTable
  metadef_objects: MetadefObjectsTable
  metadef_properties: MetadefPropertiesTable
  metadef_tags: MetadefTagsTable
}

export type { Generated }
