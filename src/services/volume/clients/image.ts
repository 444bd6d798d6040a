/**
 * What block storage asks the image service: for a volume created from an image
 * (`imageRef`) the image's record, as the user sees it (their token), and its bytes; for
 * a volume uploaded to an image (`os-volume_upload_image`) a new image made as the user,
 * then its bytes.
 */
import { Readable } from 'node:stream'
import type { ServiceClient } from '../../../kernel/host/index.js'

export interface SourceImage {
  id: string
  name: string | null
  status: string
  size: number | null
  virtualSize: number | null
  minDisk: number
  /** Where the image service keeps the bytes, when it shows it to this caller. */
  directUrl: string | null
  /** What the volume keeps as volume_image_metadata. */
  metadata: Record<string, string>
}

const SKIPPED = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'owner',
  'protected',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'locations',
  'direct_url',
  'os_hidden',
  'stores',
  'virtual_size',
  'os_hash_algo',
  'os_hash_value',
])

export class ImageSource {
  constructor(private readonly client: ServiceClient) {}

  /** The image, or undefined when the user cannot see it. */
  async find(id: string, opts: { userToken?: string; requestId?: string }): Promise<SourceImage | undefined> {
    const res = await this.client.request(
      { method: 'GET', path: `/v2/images/${encodeURIComponent(id)}` },
      {
        accept: [400, 403, 404],
        ...(opts.userToken ? { userToken: opts.userToken } : {}),
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      },
    )
    if (res.status !== 200) return undefined
    const raw = res.body as Record<string, unknown>
    const metadata: Record<string, string> = { image_id: String(raw.id), image_name: String(raw.name ?? '') }
    for (const [k, v] of Object.entries(raw))
      if (!SKIPPED.has(k) && v !== null && v !== undefined) metadata[k] = String(v)
    return {
      id: String(raw.id),
      name: (raw.name as string | null) ?? null,
      status: String(raw.status),
      size: typeof raw.size === 'number' ? raw.size : null,
      virtualSize: typeof raw.virtual_size === 'number' ? raw.virtual_size : null,
      minDisk: Number(raw.min_disk ?? 0),
      directUrl: typeof raw.direct_url === 'string' ? raw.direct_url : null,
      metadata,
    }
  }

  /**
   * The image's bytes as a stream, so a 1 GiB image is never held in memory. Asked as
   * the user with the service token beside it (Cinder downloads with the request's
   * context), else with the service token alone.
   */
  async read(id: string, opts: { userToken?: string; requestId?: string } = {}): Promise<Readable> {
    const res = await this.client.request(
      { method: 'GET', path: `/v2/images/${encodeURIComponent(id)}/file`, stream: true },
      {
        ...(opts.userToken ? { userToken: opts.userToken } : {}),
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      },
    )
    if (res.body instanceof Readable) return res.body
    return Readable.from(res.body === undefined ? [] : [Buffer.from(String(res.body))])
  }

  /** Creates an image record (queued) as the user; its id. */
  async create(
    body: Record<string, unknown>,
    opts: { userToken?: string; requestId?: string },
  ): Promise<string> {
    const res = await this.client.request(
      { method: 'POST', path: '/v2/images', body },
      {
        ...(opts.userToken ? { userToken: opts.userToken } : {}),
        ...(opts.requestId ? { requestId: opts.requestId } : {}),
      },
    )
    return String((res.body as { id: unknown }).id)
  }

  /** Sends the image's bytes (the image becomes active). */
  async upload(id: string, data: Readable, opts: { userToken?: string }): Promise<void> {
    await this.client.request(
      { method: 'PUT', path: `/v2/images/${encodeURIComponent(id)}/file`, data },
      opts.userToken ? { userToken: opts.userToken } : {},
    )
  }

  /** Removes an image whose upload failed (gone already is fine). */
  async remove(id: string, opts: { userToken?: string }): Promise<void> {
    await this.client.request(
      { method: 'DELETE', path: `/v2/images/${encodeURIComponent(id)}` },
      { accept: [404], ...(opts.userToken ? { userToken: opts.userToken } : {}) },
    )
  }
}
