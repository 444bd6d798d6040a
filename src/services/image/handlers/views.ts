/**
 * What clients see: images, members, tasks, lists with `first`/`next` links. Locations
 * are shown only when the operator turned them on (show_multiple_locations, OSSN-0065,
 * OSSN-0090) and get_image_location allows the caller; direct URLs likewise.
 */
import type { Image, ImageMember, ImageTask } from '../domain/image.js'
import { apiTime } from '../domain/image.js'

export interface ViewOptions {
  showDirectUrl: boolean
}

/** `seesLocations`: show_multiple_locations is on and get_image_location allows the caller. */
export function imageView(
  image: Image,
  admin: boolean,
  opts: ViewOptions,
  seesLocations = false,
): Record<string, unknown> {
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
  const stores = [
    ...new Set(
      image.locations.map((l) => l.metadata.store).filter((s): s is string => typeof s === 'string'),
    ),
  ].sort()
  if (hasData && stores.length > 0) view.stores = stores.join(',')
  if ((admin || seesLocations) && hasData && opts.showDirectUrl) view.direct_url = image.location
  if (seesLocations) view.locations = image.locations.map((l) => ({ url: l.url, metadata: l.metadata }))
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

/** A task under /v2/tasks: the image's view of it less image_id/request_id/user_id, with links. */
export function taskResourceView(t: ImageTask): Record<string, unknown> {
  const { image_id: _i, request_id: _r, user_id: _u, ...rest } = taskView(t)
  return { ...rest, self: `/v2/tasks/${t.id}`, schema: '/v2/schemas/task' }
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
