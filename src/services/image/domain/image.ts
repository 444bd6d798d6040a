/**
 * The image as the domain sees it, and the rules about its fields that need no storage:
 * which attributes are core, read-only or reserved, and the status machine.
 */

export type ImageStatus =
  | 'queued'
  | 'saving'
  | 'uploading'
  | 'importing'
  | 'active'
  | 'deactivated'
  | 'killed'
  | 'deleted'
  | 'pending_delete'

export type Visibility = 'public' | 'private' | 'shared' | 'community'
export const VISIBILITIES: readonly Visibility[] = ['public', 'private', 'shared', 'community']

export interface Image {
  id: string
  name: string | null
  status: ImageStatus
  visibility: Visibility
  protected: boolean
  os_hidden: boolean
  owner: string | null
  size: number | null
  virtual_size: number | null
  checksum: string | null
  os_hash_algo: string | null
  os_hash_value: string | null
  container_format: string | null
  disk_format: string | null
  min_disk: number
  min_ram: number
  /** The first location's URL (where downloads read), or null without data. */
  location: string | null
  /** Every location, in order; `store` in the metadata names a file store. */
  locations: ImageLocation[]
  upload_token: string | null
  created_at: string
  updated_at: string
  properties: Record<string, string>
  tags: string[]
}

export interface ImageLocation {
  url: string
  metadata: Record<string, unknown>
}

export interface ImageMember {
  image_id: string
  member: string
  status: MemberStatus
  created_at: string
  updated_at: string
}

export type MemberStatus = 'pending' | 'accepted' | 'rejected'
export const MEMBER_STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected']

export interface ImageTask {
  id: string
  image_id: string
  type: string
  status: 'pending' | 'processing' | 'success' | 'failure'
  owner: string | null
  user_id: string | null
  request_id: string | null
  input: Record<string, unknown>
  result: Record<string, unknown> | null
  message: string
  created_at: string
  updated_at: string
  expires_at: string | null
}

/** Attributes a client may set on create or through a patch. */
export const MUTABLE_CORE = new Set([
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'owner',
  'tags',
])

/** Attributes the server owns; setting them is 403 "Attribute 'x' is read-only." */
export const READ_ONLY = new Set([
  'id',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'created_at',
  'updated_at',
  'direct_url',
  'self',
  'file',
  'schema',
  'stores',
])

/** Names reserved for Glance itself; setting them is 403 "Attribute 'x' is reserved." */
export function isReserved(name: string): boolean {
  return name.startsWith('os_glance') || name === 'deleted' || name === 'deleted_at'
}

/** Now as stored: ISO-8601 with milliseconds, so text order is time order. */
export function now(): string {
  return new Date().toISOString()
}

/** Glance shows timestamps to the second: 2016-06-29T16:13:07Z. */
export function apiTime(stored: string | null): string | null {
  return stored === null ? null : `${stored.slice(0, 19)}Z`
}
