/**
 * createImage as the API accepts it (upstream's compute API snapshot and
 * snapshot_volume_backed). The image record carries what the instance's image said of
 * itself (less what a snapshot never inherits), `image_type=snapshot`, `instance_uuid`,
 * `user_id`, `base_image_ref`, and the user's metadata on top:
 *
 *   image-backed    vm_state active|stopped|paused|suspended, no task (409), no lock check
 *     │ image record (queued) ─▶ task state image_snapshot_pending (compare-and-swap; a
 *     │ lost race deletes the record, 409) ─▶ instance action + conductor message
 *     ▼ conductor (conductor/moves.ts snapshot): image_snapshot ─▶ the agent's disk bytes
 *       ─▶ image_pending_upload ─▶ image_uploading ─▶ the bytes uploaded (active) ─▶ none
 *   volume-backed   the same states; each volume snapshotted (force) in the block storage
 *     service, the image an active record of zero bytes whose block_device_mapping lists
 *     the snapshots (bdm_v2), answered when done; the task state is not touched
 *
 * createBackup is the same snapshot with `image_type=backup` and `backup_type`, task
 * state image_backup; once uploaded, the server's backups of that type beyond `rotation`
 * are deleted, oldest first. A volume-backed server cannot be backed up (400).
 */
import type { ImageApi } from '../clients/image.js'
import { ImageRefused, type SnapshotImages } from '../clients/snapshot-images.js'
import { type VolumeApi, VolumeRefused } from '../clients/volume.js'
import { ComputeBadRequest, ServerInvalidState, ServerQuotaExceeded } from '../errors.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { BdmRepo, BdmRow } from '../storage/bdm.repo.js'
import type { ServerRepo } from '../storage/server.repo.js'
import type { Caller } from './caller.js'
import type { Quotas } from './quotas.js'
import type { ConductorQueue, InstanceImage, Server } from './servers.js'

export interface ServerSnapshotsDeps {
  repo: ServerRepo
  actions: ActionRepo
  queue: ConductorQueue
  bdms: BdmRepo
  volumes: VolumeApi
  images: SnapshotImages
  imageInfo: ImageApi
  quotas: Quotas
  /** `[DEFAULT] non_inheritable_image_properties`. */
  nonInheritable: readonly string[]
}

/** Properties a snapshot never inherits, whatever the option says (upstream's list). */
const NEVER_INHERITED = [
  'cinder_encryption_key_id',
  'cinder_encryption_key_deletion_policy',
  'img_signature',
  'img_signature_hash_method',
  'img_signature_key_type',
  'img_signature_certificate_uuid',
]
/** Image service keys a snapshot does not copy from its base (they describe the base). */
const NOT_PROPERTIES = ['owner', 'visibility', 'name', 'block_device_mapping', 'bdm_v2', 'root_device_name']

export const SNAPSHOT_VM_STATES = ['active', 'stopped', 'paused', 'suspended'] as const

export interface CreateImageInput {
  name: string
  /** createBackup: the backup's type and how many of that type to keep. */
  backup?: { type: string; rotation: number }
  metadata: Record<string, string>
  /** Up to 2.38 the metadata counts against the `metadata_items` quota. */
  checkMetadataQuota: boolean
  requestId: string
  userToken?: string
}

export class ServerSnapshots {
  constructor(private readonly d: ServerSnapshotsDeps) {}

  /** Booted from a volume: the image is a record of volume snapshots. */
  async isVolumeBacked(server: Server): Promise<boolean> {
    if (server.image_ref) return false
    return (await this.d.bdms.ofInstance(server.uuid)).some(
      (b) => b.boot_index === 0 && b.destination_type === 'volume',
    )
  }

  /** The new image's id. */
  async createImage(caller: Caller, server: Server, input: CreateImageInput): Promise<string> {
    const action = input.backup ? 'createBackup' : 'createImage'
    if (input.checkMetadataQuota) await this.checkMetadataQuota(server, input.metadata)
    this.checkState(server, action)
    const meta = await this.snapshotMetadata(caller, server, input)
    if (await this.isVolumeBacked(server)) {
      if (input.backup) throw new ComputeBadRequest('Backup is not supported for volume-backed instances.')
      return this.volumeBacked(caller, server, meta, input)
    }
    const call = { requestId: input.requestId, ...(input.userToken ? { userToken: input.userToken } : {}) }
    const id = await this.createRecord(caller, server, meta, call)
    const task = input.backup ? 'image_backup' : 'image_snapshot_pending'
    if (!(await this.d.repo.updateIf(server.uuid, [null], { task_state: task }))) {
      await this.d.images.delete(id, call).catch(() => {})
      const [now] = await this.d.repo.rows([server.uuid])
      throw new ServerInvalidState(action, server.uuid, 'task_state', now?.task_state ?? 'deleting')
    }
    await this.d.repo.db.transaction().execute(async (trx) => {
      await this.d.actions.start(
        {
          action,
          instance_uuid: server.uuid,
          request_id: input.requestId,
          user_id: caller.userId,
          project_id: caller.projectId,
          start_time: new Date().toISOString(),
        },
        trx,
      )
      await this.d.queue.add(trx, 'server_operation', {
        instance_uuid: server.uuid,
        request_id: input.requestId,
        operation: 'snapshot',
        image_id: id,
        ...(input.backup ? { backup_type: input.backup.type, rotation: input.backup.rotation } : {}),
      })
    })
    this.d.queue.kick()
    return id
  }

  private checkState(server: Server, action: string): void {
    if (!(SNAPSHOT_VM_STATES as readonly string[]).includes(server.vm_state))
      throw new ServerInvalidState(action, server.uuid, 'vm_state', server.vm_state)
    if (server.task_state !== null)
      throw new ServerInvalidState(action, server.uuid, 'task_state', server.task_state)
  }

  private async checkMetadataQuota(server: Server, metadata: Record<string, string>): Promise<void> {
    const n = Object.keys(metadata).length
    if (n === 0) return
    const limit = (await this.d.quotas.limits(server.project_id, server.user_id)).metadata_items ?? -1
    if (limit >= 0 && n > limit) throw new ServerQuotaExceeded('Image metadata limit exceeded')
  }

  /**
   * What the image record says: the base image's properties less what is never
   * inherited, the snapshot's own keys, the user's metadata last (it wins).
   */
  private async snapshotMetadata(
    caller: Caller,
    server: Server,
    input: CreateImageInput,
  ): Promise<Record<string, unknown>> {
    const image = JSON.parse(server.image || '{}') as Partial<InstanceImage>
    const drop = new Set([...NEVER_INHERITED, ...this.d.nonInheritable, ...NOT_PROPERTIES])
    const properties: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(image.properties ?? {}))
      if (!drop.has(k) && !k.startsWith('os_glance')) properties[k] = v
    const base = server.image_ref
      ? await this.d.imageInfo
          .find(server.image_ref, server.project_id, true, { requestId: input.requestId })
          .catch(() => undefined)
      : undefined
    const own = caller.projectId === server.project_id
    return {
      ...properties,
      ...(base ? { min_ram: base.min_ram, min_disk: base.min_disk } : {}),
      name: input.name,
      visibility: own ? 'private' : 'shared',
      instance_uuid: server.uuid,
      user_id: caller.userId,
      image_type: input.backup ? 'backup' : 'snapshot',
      ...(input.backup ? { backup_type: input.backup.type } : {}),
      base_image_ref: server.image_ref,
      ...(own ? {} : { instance_owner: server.project_id }),
      ...input.metadata,
    }
  }

  private async createRecord(
    caller: Caller,
    server: Server,
    meta: Record<string, unknown>,
    call: { requestId: string; userToken?: string },
  ): Promise<string> {
    let id: string
    try {
      id = await this.d.images.create(meta, call)
    } catch (e) {
      if (!(e instanceof ImageRefused)) throw e
      if (e.status === 413 || e.status === 403) throw new ServerQuotaExceeded(e.message)
      throw new ComputeBadRequest(e.message)
    }
    if (caller.projectId !== server.project_id) await this.d.images.addMember(id, server.project_id, call)
    return id
  }

  /** Volume snapshots, then the image that lists them (active, zero bytes). */
  private async volumeBacked(
    caller: Caller,
    server: Server,
    meta: Record<string, unknown>,
    input: CreateImageInput,
  ): Promise<string> {
    const call = { requestId: input.requestId, ...(input.userToken ? { userToken: input.userToken } : {}) }
    const rows = (await this.d.bdms.ofInstance(server.uuid)).sort(
      (a, b) => (a.boot_index ?? 99) - (b.boot_index ?? 99),
    )
    await this.d.actions.start({
      action: 'createImage',
      instance_uuid: server.uuid,
      request_id: input.requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    })
    const mapping: Record<string, unknown>[] = []
    const made: string[] = []
    try {
      for (const b of rows) {
        if (b.destination_type !== 'volume' || !b.volume_id) {
          mapping.push(imageMapping(b))
          continue
        }
        const snap = await this.d.volumes.raw<{ snapshot: { id: string } }>('POST', '/snapshots', call, {
          snapshot: { volume_id: b.volume_id, force: true, name: `snapshot for ${input.name}` },
        })
        made.push(snap.snapshot.id)
        mapping.push({ ...imageMapping(b), source_type: 'snapshot', snapshot_id: snap.snapshot.id })
      }
    } catch (e) {
      for (const id of made) await this.d.volumes.raw('DELETE', `/snapshots/${id}`, call).catch(() => {})
      if (e instanceof VolumeRefused) {
        if (e.status === 413 || e.status === 403) throw new ServerQuotaExceeded(e.message)
        if (e.status === 400 || e.status === 409) throw new ComputeBadRequest(e.message)
      }
      throw e
    }
    const root = rows.find((b) => b.boot_index === 0)?.device_name ?? '/dev/vda'
    const id = await this.createRecord(
      caller,
      server,
      {
        ...meta,
        root_device_name: root,
        ...(mapping.length ? { block_device_mapping: JSON.stringify(mapping), bdm_v2: 'True' } : {}),
        disk_format: 'raw',
        container_format: 'bare',
      },
      call,
    )
    await this.d.images.upload(id, Buffer.alloc(0), { diskFormat: 'raw', containerFormat: 'bare' }, call)
    return id
  }
}

/** A mapping as an image's block_device_mapping keeps it (no volume or attachment ids). */
function imageMapping(b: BdmRow): Record<string, unknown> {
  return {
    source_type: b.source_type,
    destination_type: b.destination_type,
    boot_index: b.boot_index,
    device_name: b.device_name,
    device_type: b.device_type,
    disk_bus: b.disk_bus,
    delete_on_termination: b.delete_on_termination === 1,
    guest_format: b.guest_format,
    volume_size: b.volume_size,
    volume_type: b.volume_type,
    tag: b.tag,
    image_id: b.source_type === 'image' ? b.image_id : null,
    snapshot_id: b.snapshot_id,
    volume_id: null,
    no_device: null,
  }
}
