/**
 * Servers as the API sees them: what a create checks (flavor, image, key pair, group,
 * zone and requested host, quota) and records (instances in BUILD, their cell mappings
 * with no cell yet, the `create` action, and the conductor's build message in the same
 * transaction); lists with upstream's filters; update, metadata, tags; delete, soft
 * delete, force delete and restore. The build itself is the conductor's
 * (conductor/build.ts); an instance's state follows upstream's vm_state, task_state and
 * power_state.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { ImageApi, ImageInfo } from '../clients/image.js'
import type { NetworkApi } from '../clients/network.js'
import type { PlacementApi } from '../clients/placement.js'
import type { VolumeCall } from '../clients/volume.js'
import type { ComputeConfig } from '../config.js'
import {
  ComputeHostNotFound,
  ServerCreateInvalid,
  ServerInvalidState,
  ServerLocked,
  ServerMetadataNotFound,
  ServerNetworkInvalid,
  ServerNotFound,
  ServerQuotaExceeded,
  ServerTagLimitExceeded,
  ServerTagNotFound,
} from '../errors.js'
import type { BuildInstancesArgs, DeleteInstanceArgs } from '../rpc.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { ComputeDatabase } from '../storage/schema.js'
import type { InstanceRow, ListFilter, ServerRecord, ServerRepo } from '../storage/server.repo.js'
import type { AvailabilityZones } from './availability-zones.js'
import {
  type BlockDeviceDeps,
  checkSourceVolumes,
  localBootImage,
  type PreparedDevices,
  prepareDevices,
  type RequestedDevice,
  rootVolume,
} from './block-devices.js'
import type { Caller } from './caller.js'
import type { Flavors } from './flavors.js'
import type { ComputeHosts } from './hosts.js'
import type { Keypairs } from './keypairs.js'
import type { Quotas } from './quotas.js'
import type { ServerGroups } from './server-groups.js'
import type { ServerNetworks } from './server-networks.js'

export type Server = ServerRecord

/** Upstream's power states. */
export const POWER = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const

export const MAX_TAGS = 50

/** The flavor as an instance keeps it. */
export interface InstanceFlavor {
  flavorid: string
  name: string
  vcpus: number
  memory_mb: number
  root_gb: number
  ephemeral_gb: number
  swap: number
  extra_specs: Record<string, string>
}

/** The image as an instance keeps it. */
export interface InstanceImage {
  id: string
  disk_format: string | null
  properties: Record<string, string>
}

/** What the conductor and scheduler need to know of a create beyond the columns. */
export interface InstanceRequest {
  hints: Record<string, string | string[]>
  group?: string
  destination?: { host?: string; node?: string }
  networks: 'none' | 'auto' | unknown[]
  num_instances: number
  /** Booted from a volume: the flavor's root disk is not claimed on the host. */
  is_bfv?: boolean
  /** The create's security groups (names or ids), for the ports the build creates. */
  security_groups?: string[]
}

export interface NewServers {
  name: string
  imageRef: string
  flavorRef: string
  metadata: Record<string, string>
  keyName?: string
  userData?: string
  availabilityZone?: string
  /** 2.74: a host or node the admin asks for. */
  host?: string
  hypervisorHostname?: string
  hints: Record<string, string | string[]>
  minCount: number
  maxCount: number
  tags: string[]
  description?: string | null
  hostname?: string
  configDrive: boolean
  networks: 'none' | 'auto' | unknown[]
  /** No `networks` in the body (before 2.37): `auto` without an auto-allocated topology. */
  networksOmitted?: boolean
  /** Security group names (or ids) the servers join. */
  securityGroups?: string[]
  accessIPv4?: string
  accessIPv6?: string
  adminPass?: string
  /** `OS-DCF:diskConfig`. @default MANUAL */
  diskConfig?: 'AUTO' | 'MANUAL'
  requestId: string
  /** The caller's token, so the image service applies its own visibility rules. */
  userToken?: string
  /** block_device_mapping(_v2), normalised (domain/block-devices.ts). */
  blockDevices?: RequestedDevice[]
}

export interface CreatedServers {
  /** The first server made (the one the create answer shows). */
  first: Server
  reservationId: string
  adminPass: string
}

/** Where the API hands work to the conductor. */
export interface ConductorQueue {
  /** Writes the message in the caller's transaction (the durable outbox). */
  add(
    trx: Transaction<ComputeDatabase>,
    method: 'build_instances' | 'delete_instance' | 'server_action' | 'server_operation',
    args: object,
  ): Promise<void>
  /** Sends what committed transactions added. */
  kick(): void
}

export interface ServersDeps {
  repo: ServerRepo
  actions: ActionRepo
  flavors: Flavors
  keypairs: Keypairs
  groups: ServerGroups
  zones: AvailabilityZones
  hosts: ComputeHosts
  quotas: Quotas
  images: ImageApi
  placement: PlacementApi
  /** Asked about the networks, ports and security groups a create names. */
  network: NetworkApi
  /** Resolves `networks: auto` and checks requested ports (server-networks.ts). */
  serverNetworks?: ServerNetworks
  queue: ConductorQueue
  config: ComputeConfig
  /** The mappings' table and the block storage service (boot from volume). */
  blockDevices?: BlockDeviceDeps
}

/** Task states of a resize or cold migration in flight (API status RESIZE). */
const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish']
const BOOT_SEQUENCE =
  'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.'

/** Upstream's API status for a vm_state (and a few task states). */
export function statusOf(vmState: string, taskState: string | null): string {
  if (taskState && RESIZE_TASKS.includes(taskState) && (vmState === 'active' || vmState === 'stopped'))
    return 'RESIZE'
  if (taskState === 'resize_reverting' && ['active', 'stopped', 'resized'].includes(vmState))
    return 'REVERT_RESIZE'
  if (taskState === 'migrating' && vmState === 'paused') return 'MIGRATING'
  switch (vmState) {
    case 'active':
      if (taskState === 'rebooting' || taskState === 'reboot_pending' || taskState === 'reboot_started')
        return 'REBOOT'
      if (
        taskState === 'rebooting_hard' ||
        taskState === 'reboot_pending_hard' ||
        taskState === 'reboot_started_hard'
      )
        return 'HARD_REBOOT'
      if (taskState === 'rebuilding' || taskState === 'rebuild_spawning') return 'REBUILD'
      if (taskState === 'updating_password') return 'PASSWORD'
      if (taskState === 'migrating') return 'MIGRATING'
      return 'ACTIVE'
    case 'building':
      return 'BUILD'
    case 'stopped':
      if (taskState === 'rebuilding' || taskState === 'rebuild_spawning') return 'REBUILD'
      if (taskState === 'rebooting_hard' || taskState === 'reboot_started_hard') return 'HARD_REBOOT'
      return 'SHUTOFF'
    case 'resized':
      return 'VERIFY_RESIZE'
    case 'paused':
      return 'PAUSED'
    case 'suspended':
      return 'SUSPENDED'
    case 'rescued':
      return 'RESCUE'
    case 'error':
      if (taskState === 'rebuilding' || taskState === 'rebuild_spawning') return 'REBUILD'
      if (taskState === 'rebooting_hard' || taskState === 'reboot_started_hard') return 'HARD_REBOOT'
      return 'ERROR'
    case 'deleted':
      return 'DELETED'
    case 'soft-delete':
      return 'SOFT_DELETED'
    case 'shelved':
      return 'SHELVED'
    case 'shelved_offloaded':
      return 'SHELVED_OFFLOADED'
    default:
      return 'UNKNOWN'
  }
}

/** The vm_states (and task states) a `status` filter means. */
export function statusFilter(
  status: string,
): { vmStates: string[]; taskStates?: (string | null)[] } | undefined {
  switch (status.toUpperCase()) {
    case 'ACTIVE':
      return {
        vmStates: ['active'],
        taskStates: [
          null,
          'deleting',
          'spawning',
          'scheduling',
          'powering-off',
          'powering-on',
          'pausing',
          'unpausing',
          'suspending',
          'resuming',
        ],
      }
    case 'BUILD':
      return { vmStates: ['building'] }
    case 'SHUTOFF':
      return { vmStates: ['stopped'] }
    case 'ERROR':
      return { vmStates: ['error'] }
    case 'DELETED':
      return { vmStates: ['deleted'] }
    case 'SOFT_DELETED':
      return { vmStates: ['soft-delete'] }
    case 'PAUSED':
      return { vmStates: ['paused'] }
    case 'SUSPENDED':
      return { vmStates: ['suspended'] }
    case 'RESCUE':
      return { vmStates: ['rescued'] }
    case 'VERIFY_RESIZE':
      return { vmStates: ['resized'] }
    case 'SHELVED':
      return { vmStates: ['shelved'] }
    case 'SHELVED_OFFLOADED':
      return { vmStates: ['shelved_offloaded'] }
    case 'RESIZE':
      return { vmStates: ['active', 'stopped'], taskStates: RESIZE_TASKS }
    case 'REVERT_RESIZE':
      return { vmStates: ['active', 'stopped', 'resized'], taskStates: ['resize_reverting'] }
    case 'MIGRATING':
      return { vmStates: ['active', 'paused'], taskStates: ['migrating'] }
    case 'REBOOT':
      return { vmStates: ['active'], taskStates: ['rebooting', 'reboot_pending', 'reboot_started'] }
    case 'HARD_REBOOT':
      return {
        vmStates: ['active', 'stopped', 'error'],
        taskStates: ['rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'],
      }
    case 'PASSWORD':
      return { vmStates: ['active'], taskStates: ['updating_password'] }
    case 'REBUILD':
      return { vmStates: ['active', 'stopped', 'error'], taskStates: ['rebuilding', 'rebuild_spawning'] }
    default:
      return undefined
  }
}

/** A host name from a display name, as upstream sanitises it (RFC 952/1123 label). */
export function hostnameFrom(name: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63)
    .replace(/[.-]+$/g, '')
  return h || 'server'
}

/**
 * An IPv6 address in its canonical text form (RFC 5952: lower case, the longest run of
 * zero groups compressed, an embedded IPv4 tail as hex), as upstream stores and returns
 * accessIPv6. Anything that does not parse is returned as given (the schema refused it).
 */
export function normaliseIpv6(ip: string): string {
  if (!ip) return ip
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1)
  } catch {
    return ip
  }
}

/** Parses `zone`, `zone:host`, `zone:host:node` or `zone::node`. */
export function parseZone(value: string): { zone?: string; host?: string; node?: string } {
  const [zone, host, node] = value.split(':')
  return {
    ...(zone ? { zone } : {}),
    ...(host ? { host } : {}),
    ...(node ? { node } : {}),
  }
}

export class Servers {
  constructor(private readonly d: ServersDeps) {}

  /** Checks, records and queues a create; the servers are in BUILD when it returns. */
  async create(caller: Caller, input: NewServers): Promise<CreatedServers> {
    const d = this.d
    const flavor = await d.flavors.get(caller, input.flavorRef).catch(() => {
      throw new ServerCreateInvalid('Invalid flavorRef provided.', 'compute.server.flavor_not_found')
    })
    if (flavor.disabled) throw new ServerCreateInvalid('Flavor is disabled.')
    const extraSpecs = await d.flavors.extraSpecs(flavor)
    const devices = input.blockDevices ?? []
    const bootVolume = rootVolume(devices)
    const imageRef = input.imageRef || localBootImage(devices) || ''
    if (!imageRef && !bootVolume) throw new ServerCreateInvalid(BOOT_SEQUENCE)
    if (devices.some((x) => x.destination_type === 'volume') && !d.blockDevices)
      throw new ServerCreateInvalid('Block storage is not available in this cloud.')
    const call: VolumeCall = {
      requestId: input.requestId,
      ...(input.userToken ? { userToken: input.userToken } : {}),
    }
    // NOTE: a volume-backed server's image is the boot volume's source; it shows as "".
    const bootImageRef = imageRef || (bootVolume?.source_type === 'image' ? bootVolume.uuid! : undefined)
    const image = bootImageRef
      ? await this.image(caller, bootImageRef, input.requestId, input.userToken)
      : undefined
    const sources = d.blockDevices
      ? await checkSourceVolumes(d.blockDevices, devices, input.maxCount, call)
      : {}
    if (image && image.min_ram > flavor.memory_mb)
      throw new ServerCreateInvalid("Flavor's memory is too small for requested image.")
    if (image && !bootVolume && flavor.root_gb > 0 && image.min_disk > flavor.root_gb)
      throw new ServerCreateInvalid("Flavor's disk is too small for requested image.")
    if (image && bootVolume?.volume_size && image.min_disk > bootVolume.volume_size)
      throw new ServerCreateInvalid(
        `Volume is smaller than the minimum size specified in image metadata. Volume size is ${bootVolume.volume_size * 1024 ** 3} bytes, minimum size is ${image.min_disk * 1024 ** 3} bytes.`,
      )
    let keyData: string | null = null
    if (input.keyName !== undefined) {
      const kp = await d.keypairs.get(caller.userId, input.keyName).catch(() => {
        throw new ServerCreateInvalid('Invalid key_name provided.')
      })
      keyData = kp.public_key
    }
    const groupUuid = hintValue(input.hints.group)
    let group: Awaited<ReturnType<ServerGroups['get']>> | undefined
    if (groupUuid !== undefined) {
      group = await d.groups.get(groupUuid).catch(() => {
        throw new ServerCreateInvalid(`Invalid server group ${groupUuid} provided.`)
      })
      if (group.project_id !== caller.projectId && !caller.isAdmin)
        throw new ServerCreateInvalid(`Invalid server group ${groupUuid} provided.`)
      await d.groups.checkMembers(caller, group, input.maxCount)
    }
    await this.checkNetworks(caller, input)
    const networks = d.serverNetworks
      ? await d.serverNetworks.resolve(caller.projectId, input.networks, input.maxCount, input.requestId, {
          allocate: input.networks === 'auto' && !input.networksOmitted,
        })
      : input.networks
    const zone = await this.zone(input)
    const metadataLimit = (await d.quotas.limits(caller.projectId, caller.userId)).metadata_items ?? -1
    const metaCount = Object.keys(input.metadata).length
    if (metadataLimit >= 0 && metaCount > metadataLimit)
      throw new ServerQuotaExceeded(
        `Quota exceeded for metadata_items: Requested ${metaCount}, but already used 0 of ${metadataLimit} metadata_items`,
      )

    const now = new Date().toISOString()
    const reservationId = `r-${randomBytes(4).toString('hex').slice(0, 8)}`
    const adminPass = input.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12)
    const instanceFlavor: InstanceFlavor = {
      flavorid: flavor.flavorid,
      name: flavor.name,
      vcpus: flavor.vcpus,
      memory_mb: flavor.memory_mb,
      root_gb: flavor.root_gb,
      ephemeral_gb: flavor.ephemeral_gb,
      swap: flavor.swap,
      extra_specs: extraSpecs,
    }
    const volumeImage = sources.rootVolume?.volume_image_metadata ?? {}
    const instanceImage: InstanceImage = image
      ? { id: image.id, disk_format: image.disk_format, properties: image.properties }
      : { id: volumeImage.image_id ?? '', disk_format: volumeImage.disk_format ?? null, properties: {} }
    const destination =
      zone.host || zone.node || input.host || input.hypervisorHostname
        ? {
            ...(zone.host || input.host ? { host: zone.host ?? input.host } : {}),
            ...(zone.node || input.hypervisorHostname ? { node: zone.node ?? input.hypervisorHostname } : {}),
          }
        : undefined
    const request: InstanceRequest = {
      hints: input.hints,
      ...(groupUuid ? { group: groupUuid } : {}),
      ...(destination ? { destination } : {}),
      networks,
      num_instances: input.maxCount,
      ...(bootVolume ? { is_bfv: true } : {}),
      ...(input.securityGroups?.length ? { security_groups: input.securityGroups } : {}),
    }
    const many = input.maxCount > 1
    const rows: Omit<InstanceRow, 'id'>[] = []
    for (let i = 0; i < input.maxCount; i++) {
      const name = many ? `${input.name}-${i + 1}` : input.name
      rows.push({
        uuid: randomUUID(),
        project_id: caller.projectId,
        user_id: caller.userId,
        display_name: name,
        display_description: input.description === undefined ? null : input.description,
        hostname: input.hostname && !many ? input.hostname : hostnameFrom(name),
        reservation_id: reservationId,
        launch_index: i,
        flavor: JSON.stringify(instanceFlavor),
        instance_type_id: flavor.id,
        vcpus: flavor.vcpus,
        memory_mb: flavor.memory_mb,
        root_gb: flavor.root_gb,
        ephemeral_gb: flavor.ephemeral_gb,
        image_ref: imageRef ? image!.id : '',
        image: JSON.stringify(instanceImage),
        key_name: input.keyName ?? null,
        key_data: keyData,
        user_data: input.userData ?? null,
        availability_zone: zone.zone ?? null,
        config_drive: input.configDrive ? 'True' : '',
        access_ip_v4: input.accessIPv4 ?? null,
        access_ip_v6: input.accessIPv6 ? normaliseIpv6(input.accessIPv6) : null,
        request: JSON.stringify(request),
        host: null,
        node: null,
        launched_on: null,
        vm_state: 'building',
        task_state: 'scheduling',
        power_state: POWER.NOSTATE,
        progress: 0,
        locked: 0,
        locked_by: null,
        locked_reason: null,
        created_at: now,
        updated_at: now,
        launched_at: null,
        terminated_at: null,
        deleted_at: null,
        deleted: 0,
        password: null,
        auto_disk_config: input.diskConfig === 'AUTO' ? 1 : 0,
      })
    }
    // Each instance's volumes: reserved or created before the build is recorded, taken
    // back when the create is refused.
    const prepared = new Map<string, PreparedDevices>()
    const undoDevices = async (uuids: readonly string[]) => {
      for (const u of uuids) await prepared.get(u)?.undo()
    }
    if (d.blockDevices && devices.some((x) => x.destination_type === 'volume'))
      try {
        for (const row of rows)
          prepared.set(row.uuid, await prepareDevices(d.blockDevices, row.uuid, devices, call))
      } catch (e) {
        await undoDevices([...prepared.keys()])
        throw e
      }
    const allUuids = rows.map((r) => r.uuid)
    let count = input.maxCount
    // NOTE: read before the transaction: on SQLite the transaction holds the one
    // connection, and a query outside it would wait for itself.
    // With unified limits the plan (identity's limits, the project tree) is read here too.
    const unified = await d.quotas.unified?.serverPlan(caller.projectId, instanceFlavor, instanceImage)
    const limits =
      d.quotas.noopDriver || unified ? undefined : await d.quotas.limits(caller.projectId, caller.userId)
    await d.repo
      .createBuild({
        projectId: caller.projectId,
        ...(unified ? { lockKey: unified.lockKey } : {}),
        instances: rows,
        metadata: input.metadata,
        tags: input.tags,
        check: async (counts, holdings) => {
          count = unified
            ? await unified.fit(holdings, input.minCount, input.maxCount)
            : await this.fit(caller, limits, counts, instanceFlavor, input.minCount, input.maxCount)
          rows.splice(count)
        },
        after: async (trx) => {
          for (const row of rows)
            await d.actions.start(
              {
                action: 'create',
                instance_uuid: row.uuid,
                request_id: input.requestId,
                user_id: caller.userId,
                project_id: caller.projectId,
                start_time: now,
              },
              trx,
            )
          if (d.blockDevices)
            await d.blockDevices.bdms.insert(
              rows.flatMap((r) => prepared.get(r.uuid)?.rows ?? []),
              trx,
            )
          const args: BuildInstancesArgs = {
            instance_uuids: rows.map((r) => r.uuid),
            request_id: input.requestId,
          }
          await d.queue.add(trx, 'build_instances', args)
        },
      })
      .catch(async (e: unknown) => {
        await undoDevices(allUuids)
        throw e
      })
    const kept = new Set(rows.map((r) => r.uuid))
    await undoDevices(allUuids.filter((u) => !kept.has(u)))
    d.queue.kick()
    if (group)
      await d.groups.addMembers(
        group,
        rows.map((r) => r.uuid),
      )
    // NOTE: the answer shows one server; reading each of a multi-create's hundred back
    // was a sixth of the statements of booting them.
    const first = await this.get(rows[0]!.uuid)
    return { first, reservationId, adminPass }
  }

  /**
   * How many of min..max servers fit the project's (and user's) instances, cores and
   * ram quota, counted under the project's lock: instances from the mappings, cores and
   * RAM from placement plus the builds placement has not seen yet
   * (`count_usage_from_placement`), else from the instances.
   */
  private async fit(
    caller: Caller,
    limits: Record<string, number> | undefined,
    counts: { instances: number; cores: number; ram: number; unclaimedCores: number; unclaimedRam: number },
    flavor: InstanceFlavor,
    min: number,
    max: number,
  ): Promise<number> {
    if (!limits) return max
    let used = { instances: counts.instances, cores: counts.cores, ram: counts.ram }
    if (this.d.config.quota.count_usage_from_placement) {
      const usages = await this.d.placement.usages(caller.projectId)
      used = {
        instances: counts.instances,
        cores: (usages.VCPU ?? 0) + counts.unclaimedCores,
        ram: (usages.MEMORY_MB ?? 0) + counts.unclaimedRam,
      }
    }
    const per = { instances: 1, cores: flavor.vcpus, ram: flavor.memory_mb }
    let allowed = max
    const overs: ('instances' | 'cores' | 'ram')[] = []
    for (const r of ['instances', 'cores', 'ram'] as const) {
      const limit = limits[r] ?? -1
      if (limit < 0 || per[r] === 0) continue
      const room = Math.floor((limit - used[r]) / per[r])
      if (room < min) overs.push(r)
      allowed = Math.min(allowed, room)
    }
    if (overs.length) {
      const r = overs[0]!
      const limit = limits[r] ?? -1
      throw new ServerQuotaExceeded(
        `Quota exceeded for ${overs.join(', ')}: Requested ${per[r] * min}, but already used ${used[r]} of ${limit} ${overs.join(', ')}`,
      )
    }
    return Math.max(min, allowed)
  }

  /** An image the caller may use and that is active, or a 400. */
  async image(caller: Caller, ref: string, requestId: string, userToken?: string): Promise<ImageInfo> {
    const id = ref.replace(/^.*\/images\//, '')
    const image = await this.d.images.find(id, caller.projectId, caller.isAdmin, {
      requestId,
      ...(userToken ? { userToken } : {}),
    })
    if (!image)
      throw new ServerCreateInvalid(`Image ${id} could not be found.`, 'compute.server.image_not_found')
    if (image.status !== 'active') throw new ServerCreateInvalid(`Image ${id} is not active.`)
    return image
  }

  /**
   * Files to inject (personality, before 2.57) within the `injected_files`,
   * `injected_file_path_bytes` and `injected_file_content_bytes` quotas (403 as upstream).
   * The guests of the fake driver have no disk to write them to; nothing is kept.
   */
  async checkPersonality(
    projectId: string,
    userId: string,
    files: readonly { path?: string; contents?: string }[],
  ): Promise<void> {
    if (files.length === 0) return
    const limits = await this.d.quotas.limits(projectId, userId)
    const count = limits.injected_files ?? -1
    const pathMax = limits.injected_file_path_bytes ?? -1
    const contentMax = limits.injected_file_content_bytes ?? -1
    if (count >= 0 && files.length > count) throw new ServerQuotaExceeded('Personality file limit exceeded')
    for (const f of files) {
      if (pathMax >= 0 && Buffer.byteLength(f.path ?? '') > pathMax)
        throw new ServerQuotaExceeded(`Personality file path exceeds maximum ${pathMax}`)
      if (contentMax >= 0 && Buffer.from(f.contents ?? '', 'base64').byteLength > contentMax)
        throw new ServerQuotaExceeded(`Personality file content exceeds maximum ${contentMax}`)
    }
  }

  /**
   * The networks, ports and security groups a create names must exist for the caller in
   * the network service; without one, none does (the `default` group aside, which every
   * project has).
   */
  private async checkNetworks(caller: Caller, input: NewServers): Promise<void> {
    const net = this.d.network
    const opts = [input.requestId, input.userToken] as const
    if (Array.isArray(input.networks))
      for (const n of input.networks as { uuid?: string; port?: string | null }[]) {
        if (n.port) {
          if (!(await net.portExists(n.port, ...opts)))
            throw new ServerNetworkInvalid(`Port ${n.port} could not be found.`)
        } else if (n.uuid !== undefined) {
          if (!(await net.networkExists(n.uuid, ...opts)))
            throw new ServerNetworkInvalid(`Network ${n.uuid} could not be found.`)
        }
      }
    for (const sg of input.securityGroups ?? []) {
      const found = await net.securityGroupExists(sg, caller.projectId, ...opts)
      if (found === false || (found === undefined && sg !== 'default'))
        throw new ServerNetworkInvalid(`Security group ${sg} not found.`)
    }
  }

  private async zone(input: NewServers): Promise<{ zone?: string; host?: string; node?: string }> {
    const parsed = input.availabilityZone ? parseZone(input.availabilityZone) : {}
    if (parsed.zone) {
      const zones = await this.d.zones.list(false)
      const known =
        zones.some((z) => z.zoneName === parsed.zone) ||
        parsed.zone === this.d.config.DEFAULT.default_availability_zone
      if (!known) throw new ServerCreateInvalid('The requested availability zone is not available')
    }
    const host = parsed.host ?? input.host
    if (host !== undefined && this.d.hosts.exists && !(await this.d.hosts.exists(host)))
      throw new ComputeHostNotFound(host)
    return parsed
  }

  /** A live server by uuid, or ServerNotFound. */
  async get(uuid: string, opts: { withDeleted?: boolean } = {}): Promise<Server> {
    const s = await this.d.repo.get(uuid, opts)
    if (!s) throw new ServerNotFound(uuid)
    return s
  }

  async list(filter: ListFilter): Promise<Server[]> {
    return this.d.repo.list(filter)
  }

  async update(
    server: Server,
    changes: {
      name?: string
      description?: string | null
      hostname?: string
      accessIPv4?: string
      accessIPv6?: string
      diskConfig?: 'AUTO' | 'MANUAL'
    },
  ): Promise<Server> {
    await this.d.repo.update(server.uuid, {
      ...(changes.name !== undefined ? { display_name: changes.name } : {}),
      ...(changes.description !== undefined ? { display_description: changes.description } : {}),
      ...(changes.hostname !== undefined ? { hostname: changes.hostname } : {}),
      ...(changes.accessIPv4 !== undefined ? { access_ip_v4: changes.accessIPv4 || null } : {}),
      ...(changes.accessIPv6 !== undefined
        ? { access_ip_v6: normaliseIpv6(changes.accessIPv6) || null }
        : {}),
      ...(changes.diskConfig !== undefined
        ? { auto_disk_config: changes.diskConfig === 'AUTO' ? 1 : 0 }
        : {}),
    })
    return this.get(server.uuid)
  }

  /**
   * Deletes a server: soft delete when `[DEFAULT] reclaim_instance_interval` is set;
   * otherwise at once when it never reached a host, else through the conductor (agent,
   * allocations, record).
   */
  async delete(caller: Caller, server: Server, requestId: string, force = false): Promise<void> {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
    if (server.task_state === 'deleting') return
    const start = {
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    }
    if (!force && this.d.config.DEFAULT.reclaim_instance_interval > 0 && server.vm_state !== 'error') {
      if (server.vm_state === 'soft-delete') return
      await this.d.actions.start({ ...start, action: 'delete' })
      await this.d.repo.update(server.uuid, {
        vm_state: 'soft-delete',
        task_state: null,
        power_state: server.host ? POWER.SHUTDOWN : server.power_state,
        deleted_at: new Date().toISOString(),
      })
      return
    }
    const moved = await this.d.repo.updateIf(server.uuid, [server.task_state], { task_state: 'deleting' })
    if (!moved) return
    await this.d.repo.db.transaction().execute(async (trx) => {
      await this.d.actions.start({ ...start, action: 'delete' }, trx)
      const args: DeleteInstanceArgs = { instance_uuid: server.uuid, request_id: requestId }
      await this.d.queue.add(trx, 'delete_instance', args)
    })
    this.d.queue.kick()
  }

  /** forceDelete: a soft-deleted server goes now. */
  async forceDelete(caller: Caller, server: Server, requestId: string): Promise<void> {
    if (server.vm_state !== 'soft-delete')
      throw new ServerInvalidState('forceDelete', server.uuid, 'vm_state', server.vm_state)
    await this.delete(caller, server, requestId, true)
  }

  /** restore: a soft-deleted server comes back as it was (ACTIVE, running). */
  async restore(caller: Caller, server: Server, requestId: string): Promise<void> {
    if (server.vm_state !== 'soft-delete')
      throw new ServerInvalidState('restore', server.uuid, 'vm_state', server.vm_state)
    await this.d.actions.start({
      action: 'restore',
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: new Date().toISOString(),
    })
    await this.d.repo.update(server.uuid, {
      vm_state: server.host ? 'active' : 'error',
      task_state: null,
      power_state: server.host ? POWER.RUNNING : POWER.NOSTATE,
      deleted_at: null,
    })
  }

  // --- metadata

  async setMetadata(server: Server, values: Record<string, string>, replace: boolean) {
    const limit = (await this.d.quotas.limits(server.project_id, server.user_id)).metadata_items ?? -1
    const after = replace
      ? Object.keys(values).length
      : new Set([...Object.keys(server.metadata), ...Object.keys(values)]).size
    if (limit >= 0 && after > limit)
      throw new ServerQuotaExceeded(
        `Quota exceeded for metadata_items: Requested ${after}, but already used 0 of ${limit} metadata_items`,
      )
    await this.d.repo.setMetadata(server.uuid, values, replace)
    return (await this.get(server.uuid)).metadata
  }

  metadataItem(server: Server, key: string): string {
    const v = server.metadata[key]
    if (v === undefined) throw new ServerMetadataNotFound()
    return v
  }

  async deleteMetadata(server: Server, key: string): Promise<void> {
    if (!(await this.d.repo.deleteMetadata(server.uuid, key))) throw new ServerMetadataNotFound()
  }

  // --- tags

  async setTags(server: Server, tags: readonly string[]): Promise<string[]> {
    const unique = [...new Set(tags)]
    if (unique.length > MAX_TAGS) throw new ServerTagLimitExceeded(MAX_TAGS)
    await this.d.repo.setTags(server.uuid, unique)
    return unique.sort()
  }

  /** Adds a tag; true when it is new. */
  async addTag(server: Server, tag: string): Promise<boolean> {
    if (server.tags.includes(tag)) return false
    if (server.tags.length >= MAX_TAGS) throw new ServerTagLimitExceeded(MAX_TAGS)
    return this.d.repo.addTag(server.uuid, tag)
  }

  hasTag(server: Server, tag: string): void {
    if (!server.tags.includes(tag)) throw new ServerTagNotFound(server.uuid, tag)
  }

  async deleteTag(server: Server, tag: string): Promise<void> {
    if (!(await this.d.repo.deleteTag(server.uuid, tag))) throw new ServerTagNotFound(server.uuid, tag)
  }

  // --- external events

  /**
   * Events other services post (os-server-external-events), each answered on its own:
   * 404 for an unknown server, 400 for a volume-extended without its volume tag, 422
   * for a server with no host yet (nothing to hand the event to), else 200 and
   * recorded. A power-update (2.76) sets the power state the hypervisor reported.
   * Addresses are read from the network service each time, so network-changed and the
   * vif events need no cache refresh here.
   */
  async externalEvents(
    events: readonly { name: string; server_uuid: string; tag?: string; status?: string }[],
  ): Promise<{ name: string; server_uuid: string; tag?: string; status: string; code: number }[]> {
    const out = []
    for (const e of events) {
      const s = await this.d.repo.get(e.server_uuid)
      if (!s) {
        out.push({ ...e, status: 'failed', code: 404 })
        continue
      }
      if (e.name === 'volume-extended' && e.tag === undefined) {
        out.push({ ...e, status: 'failed', code: 400 })
        continue
      }
      if (!s.host) {
        out.push({ ...e, status: 'failed', code: 422 })
        continue
      }
      await this.d.repo.addExternalEvent({
        instance_uuid: e.server_uuid,
        name: e.name,
        tag: e.tag ?? null,
        status: e.status ?? 'completed',
        created_at: new Date().toISOString(),
      })
      if (e.name === 'volume-extended') {
        // as nova-compute: the host grows the guest's disk, recorded as an extend_volume action
        const id = await this.d.actions.start({
          action: 'extend_volume',
          instance_uuid: s.uuid,
          request_id: `req-${randomUUID()}`,
          // the server's owner: the event's poster (block storage's service user) is no user of it
          user_id: s.user_id,
          project_id: s.project_id,
          start_time: new Date().toISOString(),
        })
        if (typeof id === 'number') {
          const ev = await this.d.actions.startEvent(id, 'compute_extend_volume', s.host)
          await this.d.actions.finishEvent(ev, 'Success', null)
          await this.d.actions.finish(id)
        }
      }
      if (e.name === 'power-update' && !s.task_state && (e.tag === 'POWER_ON' || e.tag === 'POWER_OFF')) {
        const on = e.tag === 'POWER_ON'
        if ((on && s.vm_state === 'stopped') || (!on && s.vm_state === 'active'))
          await this.d.repo.update(s.uuid, {
            vm_state: on ? 'active' : 'stopped',
            power_state: on ? POWER.RUNNING : POWER.SHUTDOWN,
          })
      }
      out.push({ ...e, status: 'completed', code: 200 })
    }
    return out
  }
}

function hintValue(v: string | string[] | undefined): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v[0] : v
}
