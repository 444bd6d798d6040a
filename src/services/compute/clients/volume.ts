/**
 * What compute asks the block storage service, through Cinder's API as upstream's
 * nova/volume/cinder.py does: volumes (show, create for a build, delete), the
 * attachments API (3.27: create reserves, update with the host's connector gives the
 * connection info, 3.44 complete marks the volume in-use, delete detaches) and
 * os-begin_detaching / os-roll_detaching around a detach. Calls made for a user carry
 * their token (the block storage service applies its own policies to them); the
 * conductor's calls carry the service token.
 */
import type { CallOptions, ServiceClient } from '../../../kernel/host/index.js'

/** The microversion compute speaks: attachment complete needs 3.44. */
const VERSION = 'volume 3.44'

export interface VolumeInfo {
  id: string
  status: string
  size: number
  project_id?: string
  multiattach: boolean
  bootable: string
  availability_zone: string
  attachments: { server_id?: string; attachment_id?: string }[]
  volume_image_metadata?: Record<string, string>
}

export interface AttachmentInfo {
  id: string
  volume_id: string
  instance: string | null
  status: string
  connection_info: Record<string, unknown> | null
}

/** Who calls: a user (their token) or the service (its own token). */
export interface VolumeCall {
  requestId?: string
  userToken?: string
}

/** Thrown when the block storage service refuses a request: its status and message. */
export class VolumeRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function options(call: VolumeCall, accept: readonly number[] = []): CallOptions {
  return {
    headers: { 'openstack-api-version': VERSION },
    accept: [400, 403, 404, 409, 413, ...accept],
    ...(call.requestId ? { requestId: call.requestId } : {}),
    ...(call.userToken ? { userToken: call.userToken } : {}),
  }
}

/** Cinder's fault body: {"badRequest": {"message": ..., "code": 400}}. */
function refusal(status: number, body: unknown): VolumeRefused {
  let message = `block storage answered ${status}`
  if (body && typeof body === 'object') {
    const inner = Object.values(body as Record<string, unknown>)[0] as { message?: string } | undefined
    if (inner?.message) message = inner.message
  }
  return new VolumeRefused(status, message)
}

export class VolumeApi {
  constructor(private readonly client: ServiceClient) {}

  private async send<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    call: VolumeCall,
    body?: unknown,
  ): Promise<T> {
    const res = await this.client.request(
      { method, path: `/v3${path}`, ...(body === undefined ? {} : { body }) },
      options(call),
    )
    if (res.status >= 400) throw refusal(res.status, res.body)
    return res.body as T
  }

  /** Any call, for the deprecated proxies (os-volumes, os-snapshots). */
  raw<T>(method: 'GET' | 'POST' | 'DELETE', path: string, call: VolumeCall, body?: unknown): Promise<T> {
    return this.send<T>(method, path, call, body)
  }

  /** The volume, or undefined when it does not exist for the caller. */
  async get(id: string, call: VolumeCall): Promise<VolumeInfo | undefined> {
    try {
      return (await this.send<{ volume: VolumeInfo }>('GET', `/volumes/${encodeURIComponent(id)}`, call))
        .volume
    } catch (e) {
      if (e instanceof VolumeRefused && e.status === 404) return undefined
      throw e
    }
  }

  async create(body: Record<string, unknown>, call: VolumeCall): Promise<VolumeInfo> {
    return (await this.send<{ volume: VolumeInfo }>('POST', '/volumes', call, { volume: body })).volume
  }

  async delete(id: string, call: VolumeCall): Promise<void> {
    await this.send('DELETE', `/volumes/${encodeURIComponent(id)}`, call)
  }

  async action(id: string, body: Record<string, unknown>, call: VolumeCall): Promise<void> {
    await this.send('POST', `/volumes/${encodeURIComponent(id)}/action`, call, body)
  }

  /** Reserves the volume for the instance (no connector yet: status `reserved`). */
  async attachmentCreate(volumeId: string, instanceUuid: string, call: VolumeCall): Promise<AttachmentInfo> {
    return (
      await this.send<{ attachment: AttachmentInfo }>('POST', '/attachments', call, {
        attachment: { volume_uuid: volumeId, instance_uuid: instanceUuid },
      })
    ).attachment
  }

  /** The host's connector: the volume is `attaching`, the answer has the connection info. */
  async attachmentUpdate(
    id: string,
    connector: Record<string, unknown>,
    call: VolumeCall,
  ): Promise<AttachmentInfo> {
    return (
      await this.send<{ attachment: AttachmentInfo }>('PUT', `/attachments/${id}`, call, {
        attachment: { connector },
      })
    ).attachment
  }

  async attachmentComplete(id: string, call: VolumeCall): Promise<void> {
    await this.send('POST', `/attachments/${id}/action`, call, { 'os-complete': null })
  }

  /** Detaches; an attachment already gone is not an error (a retried cleanup). */
  async attachmentDelete(id: string, call: VolumeCall): Promise<void> {
    try {
      await this.send('DELETE', `/attachments/${id}`, call)
    } catch (e) {
      if (e instanceof VolumeRefused && e.status === 404) return
      throw e
    }
  }
}

/** The connector a compute host hands Cinder (os-brick's fields for a local host). */
export function hostConnector(host: string, mountpoint?: string): Record<string, unknown> {
  return {
    host,
    ip: '127.0.0.1',
    platform: 'x86_64',
    os_type: 'linux',
    multipath: false,
    initiator: `iqn.2026-12.cloudlet:${host}`,
    ...(mountpoint ? { mountpoint } : {}),
  }
}
