/**
 * The images a server's snapshot makes (createImage), through the image service as
 * upstream's nova/image/glance.py does: the record first (with the user's token, so the
 * image is the caller's), a member added when an administrator snapshots another
 * project's server, then the formats and the bytes once the hypervisor produced them
 * (with the service token: the user's may have expired by then), or zero bytes for a
 * volume-backed server's image, which is only a list of volume snapshots.
 */
import type { ServiceClient } from '../../../kernel/host/index.js'

/** The image service refused the record or the data: its status and message. */
export class ImageRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface ImageCall {
  requestId?: string
  userToken?: string
}

export class SnapshotImages {
  constructor(private readonly client: ServiceClient) {}

  /** Creates the record (status `queued`); its id. */
  async create(meta: Record<string, unknown>, call: ImageCall = {}): Promise<string> {
    const res = await this.client.request(
      { method: 'POST', path: '/v2/images', body: meta },
      { accept: [400, 403, 409, 413], ...options(call) },
    )
    if (res.status >= 400) throw refusal(res.status, res.body)
    return String((res.body as { id: string }).id)
  }

  /** Lets `projectId` see the image (an administrator's snapshot of its server). */
  async addMember(id: string, projectId: string, call: ImageCall = {}): Promise<void> {
    await this.client.request(
      { method: 'POST', path: `/v2/images/${encodeURIComponent(id)}/members`, body: { member: projectId } },
      { accept: [409], ...options(call) },
    )
  }

  /** The formats, then the bytes: the image becomes `active`. */
  async upload(
    id: string,
    data: Buffer,
    formats: { diskFormat: string; containerFormat: string },
    call: ImageCall = {},
  ): Promise<void> {
    const path = `/v2/images/${encodeURIComponent(id)}`
    const patch = await this.client.request(
      {
        method: 'PATCH',
        path,
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
        body: [
          { op: 'add', path: '/disk_format', value: formats.diskFormat },
          { op: 'add', path: '/container_format', value: formats.containerFormat },
        ],
      },
      { accept: [400, 403, 404, 409], ...options({ ...call, userToken: undefined }) },
    )
    if (patch.status >= 400) throw refusal(patch.status, patch.body)
    const put = await this.client.request(
      { method: 'PUT', path: `${path}/file`, data },
      { accept: [400, 403, 404, 409, 413], ...options({ ...call, userToken: undefined }) },
    )
    if (put.status >= 400) throw refusal(put.status, put.body)
  }

  /** The image's status, or undefined when it is gone. */
  async status(id: string): Promise<string | undefined> {
    const res = await this.client.request(
      { method: 'GET', path: `/v2/images/${encodeURIComponent(id)}` },
      { accept: [404] },
    )
    return res.status === 200 ? String((res.body as { status: string }).status) : undefined
  }

  /** A server's backups of one type, newest first (their ids). */
  async backups(instanceUuid: string, backupType: string): Promise<string[]> {
    const q = new URLSearchParams({
      image_type: 'backup',
      backup_type: backupType,
      instance_uuid: instanceUuid,
      sort_key: 'created_at',
      sort_dir: 'desc',
      limit: '1000',
    })
    const body = (await this.client.request({ method: 'GET', path: `/v2/images?${q}` })).body as {
      images: { id: string }[]
    }
    return body.images.map((i) => i.id)
  }

  /** Deletes the image; one already gone is not an error. */
  async delete(id: string, call: ImageCall = {}): Promise<void> {
    await this.client.request(
      { method: 'DELETE', path: `/v2/images/${encodeURIComponent(id)}` },
      { accept: [404], ...options({ ...call, userToken: undefined }) },
    )
  }
}

function options(call: ImageCall) {
  return {
    ...(call.requestId ? { requestId: call.requestId } : {}),
    ...(call.userToken ? { userToken: call.userToken } : {}),
  }
}

/** Glance's error body is a page of text or `{"message": ...}`; the message, when one is found. */
function refusal(status: number, body: unknown): ImageRefused {
  let message = `the image service answered ${status}`
  if (typeof body === 'string' && body.trim()) message = body.trim()
  else if (body && typeof body === 'object') {
    const b = body as { message?: string; error?: { message?: string } }
    message = b.message ?? b.error?.message ?? message
  }
  return new ImageRefused(status, message)
}
