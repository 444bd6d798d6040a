/**
 * Attachments: the 3.27 API (create reserves, update with a connector gives the
 * connection info, complete marks the volume in-use, delete detaches) and the older
 * volume actions (os-reserve, os-unreserve, os-begin_detaching, os-roll_detaching,
 * os-attach, os-detach, os-initialize_connection, os-terminate_connection).
 *
 * Taking a volume is one transaction over the volume's row: the guard sees the volume
 * and its live attachments, and the status moves by compare-and-swap; of many
 * concurrent attachments of a volume that is not multiattach, exactly one wins.
 */
import { randomUUID } from 'node:crypto'
import { AttachmentNotFound, InvalidInput, InvalidVolume, VolumeNotFound } from '../errors.js'
import type { FileBackends } from '../files/backends.js'
import type { AttachmentRow, VolumeRepo, VolumeRow } from '../storage/volume.repo.js'
import { type Caller, sees } from './caller.js'

export type Connector = Record<string, unknown>

export interface AttachmentView extends AttachmentRow {
  project_id: string
}

export class Attachments {
  constructor(
    private readonly repo: VolumeRepo,
    private readonly driver: FileBackends,
  ) {}

  private async volume(caller: Caller, id: string): Promise<VolumeRow> {
    const v = await this.repo.getRow(id)
    if (!v || !sees(caller, v.project_id)) throw new VolumeNotFound(id)
    return v
  }

  async get(caller: Caller, id: string): Promise<AttachmentView> {
    const a = await this.repo.attachment(id)
    const v = a && (await this.repo.getRow(a.volume_id))
    if (!a || !v || !sees(caller, v.project_id)) throw new AttachmentNotFound(id)
    return { ...a, project_id: v.project_id }
  }

  async list(caller: Caller, filter: { volumeId?: string; instanceId?: string; allProjects: boolean }) {
    return this.repo.attachments({
      ...(filter.volumeId ? { volumeId: filter.volumeId } : {}),
      ...(filter.instanceId ? { instanceId: filter.instanceId } : {}),
      ...(caller.isAdmin && filter.allProjects ? {} : { projectId: caller.projectId }),
    })
  }

  /** What a host needs to reach the volume's file. */
  connectionInfo(volumeId: string, mode: string | null) {
    return {
      driver_volume_type: 'local',
      data: { device_path: this.driver.volumePath(volumeId), access_mode: mode ?? 'rw', volume_id: volumeId },
    }
  }

  /** POST /attachments: reserves the volume (and connects it when a connector is given). */
  async create(
    caller: Caller,
    input: {
      volumeId: string
      instanceId?: string | null
      connector?: Connector | null
      mode?: string | null
    },
  ): Promise<AttachmentView> {
    const vol = await this.volume(caller, input.volumeId)
    const readonly = (await this.repo.get(vol.id))?.adminMetadata.readonly === 'True'
    let mode = input.mode && input.mode !== 'null' ? input.mode : readonly ? 'ro' : 'rw'
    if (readonly && mode === 'rw') mode = 'ro'
    const now = new Date().toISOString()
    const connector = input.connector ?? null
    const id = randomUUID()
    const row: AttachmentRow = {
      id,
      volume_id: vol.id,
      instance_uuid: input.instanceId ?? null,
      attached_host: (connector?.host as string | undefined) ?? null,
      mountpoint: (connector?.mountpoint as string | undefined) ?? null,
      attach_mode: mode,
      attach_status: connector ? 'attaching' : 'reserved',
      connector: connector ? JSON.stringify(connector) : null,
      connection_info: connector ? JSON.stringify(this.connectionInfo(vol.id, mode)) : null,
      attach_time: null,
      detach_time: null,
      created_at: now,
      updated_at: null,
    }
    const ok = await this.repo.attach(
      vol.id,
      (v, live) => {
        if (
          v.multiattach ? !['available', 'in-use', 'reserved'].includes(v.status) : v.status !== 'available'
        )
          return undefined
        if (!v.multiattach && live.length) return undefined
        return { status: v.status === 'in-use' ? 'in-use' : 'reserved', attach_status: v.attach_status }
      },
      row,
    )
    if (!ok) {
      const now = await this.repo.getRow(vol.id)
      throw new InvalidVolume(
        `Volume ${vol.id} status must be available or downloading to reserve, but the current status is ${now?.status ?? 'unknown'}.`,
      )
    }
    return this.get(caller, id)
  }

  /** PUT /attachments/{id}: the connector arrives; the connection info is made. */
  async update(caller: Caller, id: string, connector: Connector): Promise<AttachmentView> {
    const a = await this.get(caller, id)
    const mode = (connector.mode as string | undefined) ?? a.attach_mode ?? 'rw'
    await this.repo.updateAttachment(id, {
      connector: JSON.stringify(connector),
      attached_host: (connector.host as string | undefined) ?? null,
      mountpoint: (connector.mountpoint as string | undefined) ?? a.mountpoint,
      attach_status: 'attaching',
      connection_info: JSON.stringify(this.connectionInfo(a.volume_id, mode)),
    })
    const v = await this.repo.getRow(a.volume_id)
    if (v && v.status === 'reserved')
      await this.repo.update(a.volume_id, { status: 'attaching' }, ['reserved'])
    return this.get(caller, id)
  }

  /** os-complete: the host attached it; the volume is in-use. */
  async complete(caller: Caller, id: string): Promise<void> {
    const a = await this.get(caller, id)
    await this.repo.updateAttachment(id, { attach_status: 'attached', attach_time: new Date().toISOString() })
    await this.repo.update(a.volume_id, { status: 'in-use', attach_status: 'attached' })
  }

  /** DELETE /attachments/{id}: the volume is available again when nothing else holds it. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id)
    await this.repo.detach(id, (remaining) => afterDetach(remaining))
  }

  // --- the volume actions before the attachments API

  async reserve(caller: Caller, volumeId: string): Promise<void> {
    const vol = await this.volume(caller, volumeId)
    const states = vol.multiattach ? ['available', 'in-use'] : ['available']
    if (!(await this.repo.update(volumeId, { status: 'attaching', previous_status: vol.status }, states)))
      throw new InvalidVolume(
        `Volume ${volumeId} status must be ${states.join(' or ')} to reserve, but the current status is ${vol.status}.`,
      )
  }

  async unreserve(caller: Caller, volumeId: string): Promise<void> {
    await this.volume(caller, volumeId)
    const live = await this.repo.attachments({ volumeId })
    const status = live.some((a) => a.attach_status === 'attached') ? 'in-use' : 'available'
    await this.repo.update(volumeId, { status }, ['attaching'])
  }

  async beginDetaching(caller: Caller, volumeId: string): Promise<void> {
    const vol = await this.volume(caller, volumeId)
    if (!(await this.repo.update(volumeId, { status: 'detaching' }, ['in-use'])))
      throw new InvalidVolume(
        `Volume ${volumeId} status must be in-use to begin detaching, but is ${vol.status}.`,
      )
  }

  async rollDetaching(caller: Caller, volumeId: string): Promise<void> {
    await this.volume(caller, volumeId)
    await this.repo.update(volumeId, { status: 'in-use' }, ['detaching'])
  }

  /** os-attach: records the attachment of an instance or a host; the volume is in-use. */
  async attach(
    caller: Caller,
    volumeId: string,
    input: { instanceId?: string; hostName?: string; mountpoint: string; mode: string },
  ): Promise<void> {
    const vol = await this.volume(caller, volumeId)
    if (!input.instanceId && !input.hostName)
      throw new InvalidInput('Invalid request to attach volume to an invalid target')
    const readonly = (await this.repo.get(volumeId))?.adminMetadata.readonly === 'True'
    if (readonly && input.mode === 'rw')
      throw new InvalidVolume(`Volume ${volumeId} is read-only; it cannot be attached in mode rw.`)
    const now = new Date().toISOString()
    const ok = await this.repo.attach(
      volumeId,
      (v, live) => {
        const allowed = v.multiattach
          ? ['available', 'attaching', 'in-use', 'reserved']
          : ['available', 'attaching', 'reserved']
        if (!allowed.includes(v.status)) return undefined
        if (!v.multiattach && live.some((a) => a.attach_status === 'attached')) return undefined
        return { status: 'in-use', attach_status: 'attached' }
      },
      {
        id: randomUUID(),
        volume_id: volumeId,
        instance_uuid: input.instanceId ?? null,
        attached_host: input.hostName ?? null,
        mountpoint: input.mountpoint,
        attach_mode: input.mode,
        attach_status: 'attached',
        connector: null,
        connection_info: null,
        attach_time: now,
        detach_time: null,
        created_at: now,
        updated_at: null,
      },
    )
    if (!ok)
      throw new InvalidVolume(
        `Volume ${volumeId} status must be available or attaching; it is ${vol.status}.`,
      )
    await this.repo.setMeta('volume_admin_metadata', volumeId, { attached_mode: input.mode }, false)
  }

  /** os-detach: removes one attachment (the only one when none is named). */
  async detach(caller: Caller, volumeId: string, attachmentId?: string): Promise<void> {
    const vol = await this.volume(caller, volumeId)
    const live = await this.repo.attachments({ volumeId })
    const target = attachmentId
      ? live.find((a) => a.id === attachmentId)
      : live.length === 1
        ? live[0]
        : undefined
    if (!target) {
      if (attachmentId) throw new AttachmentNotFound(attachmentId)
      if (!live.length) {
        // NOTE: as upstream's manager: a detach of a volume nothing holds sets it
        // available and succeeds (a cleanup after a force detach does this).
        if (vol.status === 'maintenance')
          throw new InvalidVolume(`Volume ${volumeId} is in maintenance and cannot be detached.`)
        await this.repo.update(volumeId, { status: 'available', attach_status: 'detached' })
        return
      }
      throw new InvalidVolume(
        'Detach volume failed: more than one attachment, but no attachment_id provided.',
      )
    }
    await this.repo.detach(target.id, (remaining) => afterDetach(remaining))
  }

  /** Admin os-force_detach: as detach, whatever the volume's status. */
  async forceDetach(caller: Caller, volumeId: string, attachmentId?: string): Promise<void> {
    await this.volume(caller, volumeId)
    const live = await this.repo.attachments({ volumeId })
    const targets = attachmentId ? live.filter((a) => a.id === attachmentId) : live
    for (const t of targets) await this.repo.detach(t.id, (remaining) => afterDetach(remaining))
    if (!live.length) await this.repo.update(volumeId, { status: 'available', attach_status: 'detached' })
  }

  async initializeConnection(caller: Caller, volumeId: string, connector: Connector) {
    const vol = await this.volume(caller, volumeId)
    const meta = await this.repo.get(volumeId)
    const mode = meta?.adminMetadata.attached_mode ?? (meta?.adminMetadata.readonly === 'True' ? 'ro' : 'rw')
    if (!['available', 'attaching', 'reserved', 'in-use', 'downloading'].includes(vol.status))
      throw new InvalidVolume(
        `Volume ${volumeId} status must be available or in-use to connect; it is ${vol.status}.`,
      )
    void connector
    return this.connectionInfo(volumeId, mode)
  }

  async terminateConnection(caller: Caller, volumeId: string): Promise<void> {
    await this.volume(caller, volumeId)
  }
}

function afterDetach(remaining: AttachmentRow[]): Partial<VolumeRow> {
  const attached = remaining.some((a) => a.attach_status === 'attached')
  if (attached) return { status: 'in-use', attach_status: 'attached' }
  if (remaining.length) return { status: 'reserved', attach_status: 'detached' }
  return { status: 'available', attach_status: 'detached' }
}
