/**
 * os-volume_upload_image: a volume's bytes become an image. The image record is made
 * as the user (so it is theirs, with the visibility the image service lets them have),
 * the volume goes `uploading`, and in the background its file, converted by qemu-img
 * when a format other than raw is asked, is streamed to the image service; the volume
 * then goes back to what it was (available or in-use). A failed upload removes the image
 * and puts the volume back too.
 *
 *   available|in-use ─▶ uploading ─(bytes sent: image active)─▶ available|in-use
 */
import { execFile } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Logger } from 'pino'
import type { ImageSource } from '../clients/image.js'
import { InvalidInput, InvalidVolume } from '../errors.js'
import type { FileBackends } from '../files/backends.js'
import type { VolumeRecord, VolumeRepo } from '../storage/volume.repo.js'
import type { Spawner } from './in-flight.js'

const run = promisify(execFile)

/** Disk formats a volume can be uploaded as, with qemu-img's name for each (raw needs none). */
const QEMU_FORMATS: Record<string, string | null> = {
  raw: null,
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vdi: 'vdi',
  vhd: 'vpc',
  vhdx: 'vhdx',
}
export const UPLOAD_DISK_FORMATS = Object.keys(QEMU_FORMATS)
export const UPLOAD_CONTAINER_FORMATS = ['bare', 'ovf', 'ova', 'docker', 'compressed']

/** Image metadata of the volume that is the image service's own (not copied as properties). */
const NOT_COPIED = new Set([
  'image_id',
  'image_name',
  'checksum',
  'size',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'visibility',
  'protected',
])

export interface UploadRequest {
  imageName: string
  diskFormat: string
  containerFormat: string
  visibility: string
  protected: boolean
  force: boolean
  userToken?: string
  requestId?: string
}

export class VolumeUploads {
  constructor(
    private readonly repo: VolumeRepo,
    private readonly driver: FileBackends,
    private readonly images: ImageSource,
    private readonly tasks: Spawner,
    private readonly logger: Logger,
  ) {}

  /** Starts the upload; the new image's id. */
  async upload(vol: VolumeRecord, req: UploadRequest): Promise<string> {
    const states = req.force ? ['available', 'in-use'] : ['available']
    if (!states.includes(vol.status))
      throw new InvalidVolume(
        `Volume ${vol.id} status must be ${states.join(' or ')}, but current status is: ${vol.status}.`,
      )
    if (!(req.diskFormat in QEMU_FORMATS))
      throw new InvalidInput(
        `Invalid disk-format '${req.diskFormat}' specified. Allowed disk-formats are ${UPLOAD_DISK_FORMATS.join(', ')}.`,
      )
    if (!UPLOAD_CONTAINER_FORMATS.includes(req.containerFormat))
      throw new InvalidInput(`Invalid container-format '${req.containerFormat}' specified.`)
    const properties = Object.fromEntries(
      Object.entries(vol.imageMetadata).filter(([k]) => !NOT_COPIED.has(k)),
    )
    const user = {
      ...(req.userToken ? { userToken: req.userToken } : {}),
      ...(req.requestId ? { requestId: req.requestId } : {}),
    }
    const imageId = await this.images.create(
      {
        ...properties,
        name: req.imageName,
        disk_format: req.diskFormat,
        container_format: req.containerFormat,
        visibility: req.visibility,
        protected: req.protected,
        min_disk: vol.size,
      },
      user,
    )
    if (
      !(await this.repo.update(vol.id, { status: 'uploading', previous_status: vol.status }, [vol.status]))
    ) {
      await this.images.remove(imageId, user).catch(() => undefined)
      throw new InvalidVolume(`Volume ${vol.id} status changed while the upload was starting.`)
    }
    void this.tasks.spawn(`upload ${vol.id} to image ${imageId}`, async () => {
      const source = this.driver.volumePath(vol.id)
      const qemuFormat = QEMU_FORMATS[req.diskFormat]
      const converted = qemuFormat ? `${source}.upload-${imageId}` : undefined
      try {
        if (converted) await run('qemu-img', ['convert', '-f', 'raw', '-O', qemuFormat!, source, converted])
        // large reads: fewer, bigger chunks through the image service's hashing
        await this.images.upload(
          imageId,
          createReadStream(converted ?? source, { highWaterMark: 4 * 1024 * 1024 }),
          user,
        )
      } catch (err) {
        this.logger.error({ err, volume: vol.id, image: imageId }, 'upload to image failed')
        await this.images.remove(imageId, user).catch(() => undefined)
      } finally {
        if (converted) await rm(converted, { force: true })
        await this.repo.update(vol.id, { status: vol.status }, ['uploading'])
      }
    })
    return imageId
  }
}
