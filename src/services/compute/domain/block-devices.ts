/**
 * Block device mappings of a server create, as upstream's API reads them:
 * `block_device_mapping_v2` (source image/volume/snapshot/blank, destination
 * volume/local, boot_index, volume_size, delete_on_termination, tag 2.42, volume_type
 * 2.67) or the legacy `block_device_mapping` (volume_id / snapshot_id by device name),
 * never both. Then, per instance, what must exist before the build is recorded:
 *
 *   source volume            ─▶ the volume is found (400 otherwise), bootable when it is
 *                               the boot device, and reserved for the instance (Cinder
 *                               attachment create; a volume in use is a 400)
 *   image|snapshot|blank
 *     ─▶ destination volume  ─▶ a volume is created in the caller's project
 *                               (`creating`; the conductor waits for `available`)
 *
 * and `undo` takes back what was made when the create is refused later (quota).
 */
import { randomUUID } from 'node:crypto'
import { type VolumeApi, type VolumeCall, type VolumeInfo, VolumeRefused } from '../clients/volume.js'
import { BlockDeviceMappingInvalid, ServerCreateInvalid, VolumeInvalid } from '../errors.js'
import type { BdmRepo, BdmRow } from '../storage/bdm.repo.js'

/** One requested device, normalised from either syntax. */
export interface RequestedDevice {
  source_type: 'image' | 'volume' | 'snapshot' | 'blank'
  destination_type: 'local' | 'volume'
  boot_index: number | null
  uuid: string | null
  volume_size: number | null
  delete_on_termination: boolean
  device_name: string | null
  device_type: string | null
  disk_bus: string | null
  guest_format: string | null
  tag: string | null
  volume_type: string | null
}

const truthy = (v: unknown) =>
  v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes', 't', 'y'].includes(v.toLowerCase()))

const BOOT_SEQUENCE =
  'Boot sequence for the instance and image/block device mapping combination is not valid.'

/** The devices a create asks for; empty when it names none. */
export function requestedDevices(
  v2: readonly Record<string, unknown>[] | undefined,
  legacy: readonly Record<string, unknown>[] | undefined,
  imageRef: string | undefined,
): RequestedDevice[] {
  if (v2 && legacy)
    throw new ServerCreateInvalid('Using different block_device_mapping syntaxes is not allowed.')
  const out: RequestedDevice[] = []
  if (legacy) {
    for (const b of legacy) {
      if (b.no_device !== undefined) continue
      const source = b.volume_id ? 'volume' : b.snapshot_id ? 'snapshot' : undefined
      if (!source) throw new BlockDeviceMappingInvalid('Missing device UUID.')
      const name = String(b.device_name ?? '')
      const root = !imageRef && ['vda', '/dev/vda', 'sda', '/dev/sda', 'xvda', '/dev/xvda'].includes(name)
      out.push({
        source_type: source,
        destination_type: 'volume',
        boot_index: root ? 0 : null,
        uuid: String(b.volume_id ?? b.snapshot_id),
        volume_size: b.volume_size === undefined || b.volume_size === null ? null : Number(b.volume_size),
        delete_on_termination: truthy(b.delete_on_termination),
        device_name: name || null,
        device_type: 'disk',
        disk_bus: null,
        guest_format: null,
        tag: null,
        volume_type: null,
      })
    }
  }
  for (const b of v2 ?? []) {
    if (b.no_device !== undefined) continue
    const source = (b.source_type as RequestedDevice['source_type'] | undefined) ?? 'volume'
    const destination =
      (b.destination_type as RequestedDevice['destination_type'] | undefined) ??
      (source === 'image' || source === 'blank' ? 'local' : 'volume')
    const rawIndex = b.boot_index
    const index = rawIndex === undefined || rawIndex === null || rawIndex === '' ? null : Number(rawIndex)
    const uuid = (b.uuid ?? b.volume_id ?? b.snapshot_id ?? b.image_id) as string | undefined
    if (source !== 'blank' && !uuid) throw new BlockDeviceMappingInvalid('Missing device UUID.')
    const size = b.volume_size === undefined || b.volume_size === null ? null : Number(b.volume_size)
    if (destination === 'volume' && source === 'image' && !size)
      throw new ServerCreateInvalid(
        "Images with destination_type 'volume' need to have a non-zero size specified",
      )
    if (destination === 'volume' && source === 'blank' && !size)
      throw new ServerCreateInvalid(
        "Blank volumes (source: 'blank', dest: 'volume') need to have non-zero size",
      )
    if (destination === 'local' && source !== 'image' && source !== 'blank')
      throw new BlockDeviceMappingInvalid(`Mapping image to local is not supported.`)
    out.push({
      source_type: source,
      destination_type: destination,
      boot_index: index === null || index < 0 ? null : index,
      uuid: uuid ?? null,
      volume_size: size,
      delete_on_termination: truthy(b.delete_on_termination),
      device_name: (b.device_name as string | undefined) ?? null,
      device_type: (b.device_type as string | undefined) ?? 'disk',
      disk_bus: (b.disk_bus as string | undefined) ?? null,
      guest_format: (b.guest_format as string | undefined) ?? null,
      tag: (b.tag as string | undefined) ?? null,
      volume_type: (b.volume_type as string | undefined) ?? null,
    })
  }
  if (out.length === 0) return out
  // The boot order: 0, 1, 2... with no gap; an image named in imageRef is boot device 0
  // when no mapping claims it.
  const indexes = out.flatMap((d) => (d.boot_index === null ? [] : [d.boot_index])).sort((a, b) => a - b)
  if (imageRef && !indexes.includes(0)) indexes.unshift(0)
  if (indexes.some((n, i) => n !== i)) throw new BlockDeviceMappingInvalid(BOOT_SEQUENCE)
  return out
}

/** The boot device when it is a volume (the server is volume-backed). */
export function rootVolume(devices: readonly RequestedDevice[]): RequestedDevice | undefined {
  return devices.find((d) => d.boot_index === 0 && d.destination_type === 'volume')
}

/** An image given as the boot device of a local disk (`source image, destination local`). */
export function localBootImage(devices: readonly RequestedDevice[]): string | undefined {
  const d = devices.find(
    (x) => x.boot_index === 0 && x.destination_type === 'local' && x.source_type === 'image',
  )
  return d?.uuid ?? undefined
}

export interface BlockDeviceDeps {
  bdms: BdmRepo
  volumes: VolumeApi
}

/** What the API made for one create: rows to insert, and what to take back on refusal. */
export interface PreparedDevices {
  rows: BdmRow[]
  undo(): Promise<void>
}

/**
 * Looks up the source volumes (bootable when they boot; the boot volume's image
 * metadata) before anything is made. Answers the boot volume's image metadata.
 */
export async function checkSourceVolumes(
  deps: BlockDeviceDeps,
  devices: readonly RequestedDevice[],
  instances: number,
  call: VolumeCall,
): Promise<{ rootVolume?: VolumeInfo }> {
  const volumes = devices.filter((d) => d.source_type === 'volume' && d.destination_type === 'volume')
  if (volumes.length && instances > 1)
    throw new ServerCreateInvalid('Cannot attach one or more volumes to multiple instances')
  let root: VolumeInfo | undefined
  for (const d of volumes) {
    const v = await deps.volumes.get(d.uuid!, call)
    if (!v) throw new ServerCreateInvalid(`Volume ${d.uuid} could not be found.`, 'compute.volume.not_found')
    if (d.boot_index === 0) {
      if (String(v.bootable).toLowerCase() !== 'true')
        throw new ServerCreateInvalid(`Block Device ${v.id} is not bootable.`, 'compute.bdm.not_bootable')
      root = v
    }
  }
  for (const d of devices.filter((x) => x.source_type === 'snapshot' && x.destination_type === 'volume')) {
    const found = await deps.volumes
      .raw('GET', `/snapshots/${encodeURIComponent(d.uuid!)}`, call)
      .then(() => true)
      .catch((e: unknown) => {
        if (e instanceof VolumeRefused && e.status === 404) return false
        throw e
      })
    if (!found) throw new ServerCreateInvalid(`Snapshot ${d.uuid} could not be found.`)
  }
  return root ? { rootVolume: root } : {}
}

/**
 * For one instance: reserves its source volumes and creates the volumes it asks for;
 * the mapping rows come back to be written with the build.
 */
export async function prepareDevices(
  deps: BlockDeviceDeps,
  instanceUuid: string,
  devices: readonly RequestedDevice[],
  call: VolumeCall,
): Promise<PreparedDevices> {
  const made: { attachments: string[]; volumes: string[] } = { attachments: [], volumes: [] }
  const undo = async () => {
    for (const a of made.attachments) await deps.volumes.attachmentDelete(a, call).catch(() => undefined)
    for (const v of made.volumes) await deps.volumes.delete(v, call).catch(() => undefined)
  }
  const rows: BdmRow[] = []
  const used = new Set<string>()
  const now = new Date().toISOString()
  try {
    for (const d of devices) {
      if (d.destination_type !== 'volume') continue
      let volumeId: string | null = null
      let attachmentId: string | null = null
      if (d.source_type === 'volume') {
        const a = await deps.volumes.attachmentCreate(d.uuid!, instanceUuid, call).catch((e: unknown) => {
          if (e instanceof VolumeRefused) throw new VolumeInvalid(e.message)
          throw e
        })
        made.attachments.push(a.id)
        volumeId = d.uuid
        attachmentId = a.id
      } else {
        const body: Record<string, unknown> = {
          size: d.volume_size ?? undefined,
          name: d.source_type === 'blank' ? `${instanceUuid}-blank-vol` : '',
          ...(d.source_type === 'image' ? { imageRef: d.uuid } : {}),
          ...(d.source_type === 'snapshot' ? { snapshot_id: d.uuid } : {}),
          ...(d.volume_type ? { volume_type: d.volume_type } : {}),
        }
        const v = await deps.volumes.create(body, call).catch((e: unknown) => {
          if (e instanceof VolumeRefused)
            throw new ServerCreateInvalid(e.message, 'compute.bdm.volume_create')
          throw e
        })
        made.volumes.push(v.id)
        volumeId = v.id
      }
      const device = d.boot_index === 0 ? 'vda' : deviceName(d.device_name, used)
      used.add(device)
      rows.push({
        uuid: randomUUID(),
        instance_uuid: instanceUuid,
        source_type: d.source_type,
        destination_type: 'volume',
        device_name: `/dev/${device}`,
        device_type: d.device_type,
        disk_bus: d.disk_bus,
        boot_index: d.boot_index,
        delete_on_termination: d.delete_on_termination ? 1 : 0,
        image_id: d.source_type === 'image' ? d.uuid : null,
        snapshot_id: d.source_type === 'snapshot' ? d.uuid : null,
        volume_id: volumeId,
        volume_size: d.volume_size,
        volume_type: d.volume_type,
        guest_format: d.guest_format,
        tag: d.tag,
        attachment_id: attachmentId,
        connection_info: null,
        created_at: now,
        updated_at: null,
      })
    }
  } catch (e) {
    await undo()
    throw e
  }
  return { rows, undo }
}

function deviceName(asked: string | null, used: Set<string>): string {
  const short = asked?.replace(/^\/dev\//, '')
  if (short && short !== 'vda' && !used.has(short)) return short
  for (let i = 1; i < 26; i++) {
    const n = `vd${String.fromCharCode(97 + i)}`
    if (!used.has(n)) return n
  }
  return `vd${randomUUID().slice(0, 2)}`
}
