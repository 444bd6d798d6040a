/**
 * The build's and the delete's volume steps (upstream's compute _prep_block_device and
 * _cleanup_volumes), kept out of the conductor's flow so that only three calls join it:
 *
 *   prepare(server, host)   before the agent spawns: every volume of the server is
 *                           available (a created one may still be copying its image;
 *                           waited for), reserved for the instance, then attached on the
 *                           chosen host: attachment update with the host's connector
 *                           (the connection info is kept on the mapping) and complete
 *                           (the volume `in-use`). A volume that ends in error aborts
 *                           the build (no other host would do better).
 *   abandon(server)         a build that failed for good: attachments deleted (the
 *                           volumes available again); the volumes the build created
 *                           and marked delete_on_termination deleted
 *   teardown(server)        a server delete: the same for every mapping, and the rows go
 *
 * The conductor calls with the service token (the block storage service's admin API
 * sees the instance's project); the volumes were created in the user's project by the API.
 */
import type { Logger } from 'pino'
import { hostConnector, type VolumeApi, type VolumeCall } from '../clients/volume.js'
import type { BdmRepo, BdmRow } from '../storage/bdm.repo.js'

/** A failure no other host can fix: the build stops here. */
export class BuildAborted extends Error {}

export interface BlockDeviceStepsOptions {
  /** How long a created volume may take to become available. @default 180 s */
  waitMs?: number
  pollMs?: number
}

export class BlockDeviceSteps {
  private readonly waitMs: number
  private readonly pollMs: number

  constructor(
    private readonly bdms: BdmRepo,
    private readonly volumes: VolumeApi,
    private readonly logger: Logger,
    opts: BlockDeviceStepsOptions = {},
  ) {
    this.waitMs = opts.waitMs ?? 180_000
    this.pollMs = opts.pollMs ?? 100
  }

  async prepare(instanceUuid: string, host: string, requestId: string): Promise<void> {
    const call: VolumeCall = { requestId }
    for (const b of await this.volumeRows(instanceUuid)) {
      if (!b.attachment_id) {
        await this.waitAvailable(b.volume_id!, call)
        const a = await this.volumes
          .attachmentCreate(b.volume_id!, instanceUuid, call)
          .catch((e: unknown) => {
            throw new BuildAborted(`Volume ${b.volume_id} could not be reserved: ${(e as Error).message}`)
          })
        await this.bdms.update(b.uuid, { attachment_id: a.id })
        b.attachment_id = a.id
      }
      const done = await this.volumes
        .attachmentUpdate(b.attachment_id, hostConnector(host, b.device_name ?? undefined), call)
        .catch((e: unknown) => {
          throw new BuildAborted(`Volume ${b.volume_id} could not be attached: ${(e as Error).message}`)
        })
      await this.bdms.update(b.uuid, { connection_info: JSON.stringify(done.connection_info ?? {}) })
      await this.volumes.attachmentComplete(b.attachment_id, call)
    }
  }

  /** A build that failed: detached; created volumes marked delete_on_termination go. */
  async abandon(instanceUuid: string, requestId: string): Promise<void> {
    for (const b of await this.volumeRows(instanceUuid)) {
      await this.release(b, requestId, b.source_type !== 'volume' && b.delete_on_termination === 1)
      await this.bdms.update(b.uuid, { attachment_id: null, connection_info: null })
    }
  }

  /** A deleted server: every volume detached, those marked delete_on_termination deleted. */
  async teardown(instanceUuid: string, requestId: string): Promise<void> {
    for (const b of await this.volumeRows(instanceUuid))
      await this.release(b, requestId, b.delete_on_termination === 1)
    await this.bdms.deleteOfInstance(instanceUuid)
  }

  private async volumeRows(instanceUuid: string): Promise<BdmRow[]> {
    return (await this.bdms.ofInstance(instanceUuid)).filter(
      (b) => b.destination_type === 'volume' && b.volume_id,
    )
  }

  private async release(b: BdmRow, requestId: string, deleteVolume: boolean): Promise<void> {
    const call: VolumeCall = { requestId }
    try {
      if (b.attachment_id) await this.volumes.attachmentDelete(b.attachment_id, call)
      if (deleteVolume) {
        // NOTE: a volume still copying its image cannot be deleted until it is done.
        await this.waitAvailable(b.volume_id!, call).catch(() => undefined)
        await this.volumes.delete(b.volume_id!, call)
      }
    } catch (err) {
      // NOTE: the server goes whatever the block storage service says; what is left is
      // logged for an operator, as upstream's compute does.
      this.logger.warn({ err, volume: b.volume_id, instance: b.instance_uuid }, 'volume cleanup failed')
    }
  }

  private async waitAvailable(volumeId: string, call: VolumeCall): Promise<void> {
    const started = Date.now()
    let attempts = 0
    for (;;) {
      attempts++
      const v = await this.volumes.get(volumeId, call)
      if (!v) throw new BuildAborted(`Volume ${volumeId} could not be found.`)
      if (v.status === 'available') return
      if (v.status !== 'creating' && v.status !== 'downloading')
        throw new BuildAborted(
          `Volume ${volumeId} did not finish being created even after we waited ${Math.round((Date.now() - started) / 1000)} seconds or ${attempts} attempts. And its status is ${v.status}.`,
        )
      if (Date.now() - started > this.waitMs)
        throw new BuildAborted(
          `Volume ${volumeId} did not finish being created even after we waited ${Math.round(this.waitMs / 1000)} seconds or ${attempts} attempts. And its status is ${v.status}.`,
        )
      await new Promise((r) => setTimeout(r, this.pollMs))
    }
  }
}
