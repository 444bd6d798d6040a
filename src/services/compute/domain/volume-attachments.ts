/**
 * os-volume_attachments: a server's volumes, attached and detached through Cinder's
 * attachments API as upstream's compute does it.
 *
 *   attach   server in an allowed vm_state, no task, not locked (admins aside)
 *            ─▶ attachment create for the instance (Cinder: the volume `reserved`; of
 *               racing requests for a volume that is not multiattach exactly one wins)
 *            ─▶ the mapping (device /dev/vdX, tag, delete_on_termination)
 *            ─▶ attachment update with the host's connector (`attaching`)
 *            ─▶ complete (`in-use`); a failure after the reservation deletes it again
 *   detach   not the root volume ─▶ os-begin_detaching (`detaching`) ─▶ attachment
 *            delete (`available`) ─▶ the mapping goes
 *   swap     (admins) the new volume is attached as above, the old one detached, the
 *            mapping points at the new volume
 */
import { randomUUID } from 'node:crypto'
import { hostConnector, type VolumeApi, type VolumeCall, VolumeRefused } from '../clients/volume.js'
import {
  ComputeBadRequest,
  ServerInvalidState,
  ServerLocked,
  VolumeInvalid,
  VolumeNotAttached,
  VolumeNotFound,
} from '../errors.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { BdmRepo, BdmRow } from '../storage/bdm.repo.js'
import type { Caller } from './caller.js'
import type { Server } from './servers.js'

/** Where upstream's attach and detach are allowed (check_instance_state). */
const ATTACH_STATES = [
  'active',
  'paused',
  'stopped',
  'resized',
  'soft-delete',
  'shelved',
  'shelved_offloaded',
]

export interface AttachInput {
  volumeId: string
  device?: string | null
  tag?: string
  deleteOnTermination?: boolean
  /** 2.60: multiattach volumes may be attached. */
  multiattachAllowed?: boolean
}

export class VolumeAttachments {
  constructor(
    private readonly bdms: BdmRepo,
    private readonly volumes: VolumeApi,
    private readonly actions: ActionRepo,
  ) {}

  /** The server's volume mappings (what the list shows). */
  async list(server: Server): Promise<BdmRow[]> {
    return (await this.bdms.ofInstance(server.uuid)).filter(
      (b) => b.destination_type === 'volume' && b.volume_id,
    )
  }

  async get(server: Server, volumeId: string): Promise<BdmRow> {
    const b = await this.bdms.byVolume(server.uuid, volumeId)
    if (!b) throw new VolumeNotAttached(server.uuid, volumeId)
    return b
  }

  private checkState(caller: Caller, server: Server, action: string): void {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
    if (!ATTACH_STATES.includes(server.vm_state))
      throw new ServerInvalidState(action, server.uuid, 'vm_state', server.vm_state)
    if (server.task_state !== null)
      throw new ServerInvalidState(action, server.uuid, 'task_state', server.task_state)
  }

  private async record(caller: Caller, server: Server, action: string, requestId: string): Promise<void> {
    const id = await this.actions.start({
      action,
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    })
    if (typeof id === 'number') await this.actions.finish(id)
  }

  async attach(caller: Caller, server: Server, input: AttachInput, call: VolumeCall): Promise<BdmRow> {
    this.checkState(caller, server, 'attach_volume')
    const volume = await this.volumes.get(input.volumeId, call)
    if (!volume) throw new VolumeNotFound(input.volumeId)
    if (volume.multiattach && !input.multiattachAllowed)
      throw new ComputeBadRequest(
        'Multiattach volumes are only supported starting with compute API version 2.60.',
      )
    if (await this.bdms.byVolume(server.uuid, volume.id))
      throw new VolumeInvalid(`volume ${volume.id} already attached`)
    const attachment = await this.volumes
      .attachmentCreate(volume.id, server.uuid, call)
      .catch((e: unknown) => {
        throw refused(e, volume.id)
      })
    const used = new Set([
      'vda',
      ...(await this.bdms.ofInstance(server.uuid)).map((b) => shortName(b.device_name)),
    ])
    const asked = input.device ? shortName(input.device) : undefined
    const device = `/dev/${asked && !used.has(asked) ? asked : nextDevice(used)}`
    const row: BdmRow = {
      uuid: randomUUID(),
      instance_uuid: server.uuid,
      source_type: 'volume',
      destination_type: 'volume',
      device_name: device,
      device_type: 'disk',
      disk_bus: null,
      boot_index: null,
      delete_on_termination: input.deleteOnTermination ? 1 : 0,
      image_id: null,
      snapshot_id: null,
      volume_id: volume.id,
      volume_size: volume.size,
      volume_type: null,
      guest_format: null,
      tag: input.tag ?? null,
      attachment_id: attachment.id,
      connection_info: null,
      created_at: new Date().toISOString(),
      updated_at: null,
    }
    try {
      await this.bdms.insert([row])
      await this.connect(row, server, call)
    } catch (e) {
      // NOTE: nothing half-done stays: the reservation and the mapping go together.
      await this.bdms.delete(row.uuid).catch(() => undefined)
      await this.volumes.attachmentDelete(attachment.id, call).catch(() => undefined)
      throw refused(e, volume.id)
    }
    await this.record(caller, server, 'attach_volume', call.requestId ?? '')
    return (await this.bdms.byVolume(server.uuid, volume.id)) ?? row
  }

  /** The host's half of an attach: its connector in, the connection info out, complete. */
  private async connect(row: BdmRow, server: Server, call: VolumeCall): Promise<void> {
    if (!row.attachment_id) return
    // NOTE: a shelved-offloaded server has no host to connect: upstream completes the
    // attachment without a connector all the same, so the volume is `in-use` as the API
    // has always said; the host the server lands on at unshelve connects it.
    if (!server.host) {
      await this.volumes.attachmentComplete(row.attachment_id, call)
      return
    }
    const done = await this.volumes.attachmentUpdate(
      row.attachment_id,
      hostConnector(server.host, row.device_name ?? undefined),
      call,
    )
    await this.bdms.update(row.uuid, { connection_info: JSON.stringify(done.connection_info ?? {}) })
    await this.volumes.attachmentComplete(row.attachment_id, call)
  }

  async detach(caller: Caller, server: Server, volumeId: string, call: VolumeCall): Promise<void> {
    this.checkState(caller, server, 'detach_volume')
    const b = await this.get(server, volumeId)
    if (b.boot_index === 0) throw new VolumeInvalid(`Can't detach root device volume`)
    await this.volumes.action(volumeId, { 'os-begin_detaching': null }, call).catch(() => undefined)
    if (b.attachment_id) await this.volumes.attachmentDelete(b.attachment_id, call)
    await this.bdms.delete(b.uuid)
    await this.record(caller, server, 'detach_volume', call.requestId ?? '')
  }

  /** 2.85: delete_on_termination of an attached volume changes without a swap. */
  async setDeleteOnTermination(server: Server, volumeId: string, value: boolean): Promise<void> {
    const b = await this.get(server, volumeId)
    await this.bdms.update(b.uuid, { delete_on_termination: value ? 1 : 0 })
  }

  /** Swap volume (admins): the new volume takes the old one's device. */
  async swap(
    caller: Caller,
    server: Server,
    oldVolumeId: string,
    newVolumeId: string,
    call: VolumeCall,
  ): Promise<void> {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
    if (!['active', 'paused', 'resized'].includes(server.vm_state) || server.task_state !== null)
      throw new ServerInvalidState('swap_volume', server.uuid, 'vm_state', server.vm_state)
    const old = await this.get(server, oldVolumeId)
    const current = await this.volumes.get(oldVolumeId, call)
    if (current?.multiattach && current.attachments.length > 1)
      throw new ComputeBadRequest(
        'Swapping multi-attach volumes with more than one read/write attachment is not supported.',
      )
    const target = await this.volumes.get(newVolumeId, call)
    // NOTE: the new volume missing is the body's fault (400), as upstream words it.
    if (!target) throw new ComputeBadRequest(`Volume ${newVolumeId} could not be found.`)
    if (target.status !== 'available')
      throw new VolumeInvalid(`Volume ${newVolumeId} status must be available, but is ${target.status}.`)
    const attachment = await this.volumes
      .attachmentCreate(newVolumeId, server.uuid, call)
      .catch((e: unknown) => {
        throw refused(e, newVolumeId)
      })
    const moved = { ...old, volume_id: newVolumeId, attachment_id: attachment.id, volume_size: target.size }
    try {
      await this.connect(moved, server, call)
    } catch (e) {
      await this.volumes.attachmentDelete(attachment.id, call).catch(() => undefined)
      throw refused(e, newVolumeId)
    }
    if (old.attachment_id) await this.volumes.attachmentDelete(old.attachment_id, call)
    await this.bdms.update(old.uuid, {
      volume_id: newVolumeId,
      attachment_id: attachment.id,
      volume_size: target.size,
      connection_info: moved.connection_info,
    })
    await this.record(caller, server, 'swap_volume', call.requestId ?? '')
  }
}

function shortName(device: string | null): string {
  return (device ?? '').replace(/^\/dev\//, '')
}

/** The first free /dev/vdX after the root disk. */
export function nextDevice(used: ReadonlySet<string>): string {
  for (let i = 1; i < 26; i++) {
    const name = `vd${String.fromCharCode(97 + i)}`
    if (!used.has(name)) return name
  }
  for (let i = 0; i < 26 * 26; i++) {
    const name = `vd${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`
    if (!used.has(name)) return name
  }
  throw new VolumeInvalid('no free device name left')
}

/** Cinder's refusal as upstream's compute words it (400 Invalid volume; 404 stays 404). */
function refused(e: unknown, volumeId: string): Error {
  if (e instanceof VolumeRefused) {
    if (e.status === 404) return new VolumeNotFound(volumeId)
    return new VolumeInvalid(e.message)
  }
  return e as Error
}
