/**
 * What compute asks the image service: one image by id, as the server create needs it
 * (status, disk format, sizes, properties), and whether the caller's project may use
 * it (public, community, owned, or shared with the project as an accepted member).
 */
import type { ServiceClient } from '../../../kernel/host/index.js'

export interface ImageInfo {
  id: string
  name: string | null
  status: string
  visibility: string
  owner: string | null
  disk_format: string | null
  container_format: string | null
  min_disk: number
  min_ram: number
  size: number | null
  /** The image's extra properties (hw_*, os_*, trait:*), as strings. */
  properties: Record<string, string>
}

const CORE = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'owner',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'protected',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'os_hidden',
  'stores',
])

export class ImageApi {
  constructor(private readonly client: ServiceClient) {}

  /**
   * The image, or undefined when it does not exist or the project may not use it. With
   * the user's token the image service decides what the user sees; the visibility
   * checks below also hold when only the service token is at hand.
   */
  async find(
    id: string,
    projectId: string,
    isAdmin: boolean,
    opts: { requestId?: string; userToken?: string } = {},
  ): Promise<ImageInfo | undefined> {
    const res = await this.client.request(
      { method: 'GET', path: `/v2/images/${encodeURIComponent(id)}` },
      {
        accept: [400, 403, 404],
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
        ...(opts.userToken ? { userToken: opts.userToken } : {}),
      },
    )
    if (res.status !== 200) return undefined
    const raw = res.body as Record<string, unknown>
    const image = toInfo(raw)
    if (isAdmin || image.owner === projectId) return image
    if (image.visibility === 'public' || image.visibility === 'community') return image
    if (image.visibility === 'shared') {
      const m = await this.client.request(
        {
          method: 'GET',
          path: `/v2/images/${encodeURIComponent(id)}/members/${encodeURIComponent(projectId)}`,
        },
        { accept: [403, 404], ...(opts.userToken ? { userToken: opts.userToken } : {}) },
      )
      if (m.status === 200 && (m.body as { status?: string }).status === 'accepted') return image
    }
    return undefined
  }
}

function toInfo(raw: Record<string, unknown>): ImageInfo {
  const properties: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw))
    if (!CORE.has(k) && v !== null && v !== undefined) properties[k] = String(v)
  return {
    id: String(raw.id),
    name: (raw.name as string | null) ?? null,
    status: String(raw.status),
    visibility: String(raw.visibility ?? 'shared'),
    owner: (raw.owner as string | null) ?? null,
    disk_format: (raw.disk_format as string | null) ?? null,
    container_format: (raw.container_format as string | null) ?? null,
    min_disk: Number(raw.min_disk ?? 0),
    min_ram: Number(raw.min_ram ?? 0),
    size: raw.size === null || raw.size === undefined ? null : Number(raw.size),
    properties,
  }
}
