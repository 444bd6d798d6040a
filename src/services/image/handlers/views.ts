/**
 * What clients see: images, members, tasks, lists with `first`/`next` links. Store
 * locations and direct URLs are shown only to administrators, and only when the
 * operator turned them on (OSSN-0065, OSSN-0090).
 */
import type { Image, ImageMember, ImageTask } from '../domain/image.js'
import { apiTime } from '../domain/image.js'

export interface ViewOptions {
  storeId: string
  showDirectUrl: boolean
  showLocations: boolean
}

export function imageView(image: Image, admin: boolean, opts: ViewOptions): Record<string, unknown> {
  const view: Record<string, unknown> = {
    ...image.properties,
    name: image.name,
    disk_format: image.disk_format,
    container_format: image.container_format,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtual_size,
    status: image.status,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.min_ram,
    min_disk: image.min_disk,
    owner: image.owner,
    os_hidden: image.os_hidden,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    id: image.id,
    created_at: apiTime(image.created_at),
    updated_at: apiTime(image.updated_at),
    tags: image.tags,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  }
  const hasData = image.location !== null && (image.status === 'active' || image.status === 'deactivated')
  if (hasData) view.stores = opts.storeId
  if (admin && hasData && opts.showDirectUrl) view.direct_url = image.location
  if (admin && opts.showLocations) {
    view.locations = hasData ? [{ url: image.location, metadata: { store: opts.storeId } }] : []
  }
  return view
}

export function memberView(m: ImageMember): Record<string, unknown> {
  return {
    created_at: apiTime(m.created_at),
    image_id: m.image_id,
    member_id: m.member,
    schema: '/v2/schemas/member',
    status: m.status,
    updated_at: apiTime(m.updated_at),
  }
}

export function taskView(t: ImageTask): Record<string, unknown> {
  return {
    id: t.id,
    type: t.type,
    status: t.status,
    owner: t.owner,
    input: t.input,
    result: t.result,
    message: t.message,
    image_id: t.image_id,
    request_id: t.request_id,
    user_id: t.user_id,
    expires_at: apiTime(t.expires_at),
    created_at: apiTime(t.created_at),
    updated_at: apiTime(t.updated_at),
  }
}

/** The `first` and `next` links of an image list, keeping the caller's filters. */
export function pageLinks(
  query: Record<string, string | string[] | undefined>,
  images: Image[],
  limit: number,
) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (k === 'marker' || v === undefined) continue
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, item)
  }
  const first = params.size > 0 ? `/v2/images?${params}` : '/v2/images'
  const out: { first: string; next?: string } = { first }
  if (images.length > 0 && images.length === limit) {
    params.set('marker', images[images.length - 1]!.id)
    out.next = `/v2/images?${params}`
  }
  return out
}
