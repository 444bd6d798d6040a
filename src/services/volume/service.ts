/**
 * Builds the block storage service from its module context: typed settings, the policy
 * enforcer, the file backend, the repositories (storage/) and the domain objects; runs
 * crash recovery (what upstream's workers cleanup does) before the plugin serves
 * anything; records its services and beats for them.
 */
import { join, resolve } from 'node:path'
import { namedSection } from '../../kernel/config/index.js'
import type { ModuleContext, ServiceInstance } from '../../kernel/host/index.js'
import { ImageSource } from './clients/image.js'
import { type VolumeConfig, volumeBackendSection } from './config.js'
import { Attachments } from './domain/attachments.js'
import { Backups } from './domain/backups.js'
import { Groups, GroupTypes } from './domain/groups.js'
import { InFlight } from './domain/in-flight.js'
import { VolumeManage } from './domain/manage.js'
import { NO_VALID_BACKEND, UserMessages } from './domain/messages.js'
import { VolumeMoves } from './domain/moves.js'
import { QosSpecs } from './domain/qos.js'
import { Quotas } from './domain/quotas.js'
import { explain, type SchedulerOptions, schedule, unknownPlugins } from './domain/scheduler.js'
import { VolumeServices } from './domain/services.js'
import { Snapshots } from './domain/snapshots.js'
import { Transfers } from './domain/transfers.js'
import { TypeEncryption, VolumeTypes } from './domain/types.js'
import { VolumeUploads } from './domain/uploads.js'
import { Volumes } from './domain/volumes.js'
import { WorkersCleanup } from './domain/workers.js'
import { policyForbiddenMessage } from './errors.js'
import { type BackendSpec, type DriverKind, FileBackends } from './files/backends.js'
import { BackupDriver } from './files/backup-driver.js'
import type { VolumeDeps } from './handlers/common.js'
import { volumePlugin } from './plugin.js'
import { VOLUME_SERVICE_RULES } from './policies/index.js'
import { BackupRepo } from './storage/backup.repo.js'
import { GroupRepo } from './storage/group.repo.js'
import { MessageRepo } from './storage/message.repo.js'
import { QosRepo } from './storage/qos.repo.js'
import { QuotaRepo } from './storage/quota.repo.js'
import type { VolumeDatabase } from './storage/schema.js'
import { ServiceRepo } from './storage/service.repo.js'
import { SnapshotRepo } from './storage/snapshot.repo.js'
import { TransferRepo } from './storage/transfer.repo.js'
import { TypeRepo } from './storage/type.repo.js'
import { UnmanagedRepo } from './storage/unmanaged.repo.js'
import { VolumeRepo } from './storage/volume.repo.js'

export const VOLUME_PREFIX = '/volume'

/** Upstream's RBD driver, which names Cloudlet's pool-based driver here. */
export const RBD_DRIVER = 'cinder.volume.drivers.rbd.RBDDriver'

function driverKind(volumeDriver: string): DriverKind | undefined {
  if (volumeDriver.endsWith('FileDriver')) return 'file'
  if (volumeDriver === RBD_DRIVER || volumeDriver.endsWith('.RBDDriver')) return 'rbd'
  return undefined
}

/** `rbd_pools` (`name[:capacity_gb]` items), else the one pool `rbd_pool`. */
function rbdPools(
  section: string,
  items: readonly string[],
  single: string,
): { name: string; capacityGb?: number }[] {
  const list = items.map((i) => i.trim()).filter(Boolean)
  if (!list.length) return [{ name: single }]
  const pools = list.map((item) => {
    const [name, capacity] = item.split(':').map((x) => x.trim())
    if (!name || !/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.'))
      throw new Error(`[${section}] rbd_pools: '${item}' is not a pool name`)
    if (capacity === undefined) return { name }
    const gb = Number(capacity)
    if (!Number.isInteger(gb) || gb <= 0)
      throw new Error(
        `[${section}] rbd_pools: the capacity of '${name}' must be a positive whole number of GiB`,
      )
    return { name, capacityGb: gb }
  })
  if (new Set(pools.map((p) => p.name)).size !== pools.length)
    throw new Error(`[${section}] rbd_pools: a pool is named twice`)
  return pools
}

export interface VolumeInstance extends ServiceInstance {
  deps: VolumeDeps
  driver: FileBackends
  recovered: { reset: string[]; removed: string[] }
}

export async function createVolumeService(
  ctx: ModuleContext<VolumeConfig, VolumeDatabase>,
): Promise<VolumeInstance> {
  const config = ctx.config
  const D = config.DEFAULT
  const enforcer = ctx.enforcer(VOLUME_SERVICE_RULES, { forbiddenMessage: policyForbiddenMessage })
  // NOTE: items written <id>:<type> are the image service's stores (Glance's form of the
  // same [DEFAULT] option); a volume backend is a bare name (Cinder's form).
  const names = D.enabled_backends.map((b) => b.trim()).filter((b) => b && !b.includes(':'))
  const driver = new FileBackends(
    (names.length ? names : ['file']).flatMap((name): BackendSpec[] => {
      const section = name.toLowerCase()
      const o = section === 'file' ? config.file : namedSection(config, volumeBackendSection, section)
      const kind = driverKind(o.volume_driver)
      if (!kind)
        throw new Error(
          `[${section}] volume_driver: ${o.volume_driver} is not implemented (the file driver and ${RBD_DRIVER} are)`,
        )
      const dir = o.volumes_dir
        ? resolve(ctx.dataDir, o.volumes_dir)
        : join(ctx.dataDir, section === 'file' ? 'volumes' : `volumes-${section}`)
      const backendName = o.volume_backend_name ?? section
      const common = {
        section,
        backendName,
        kind,
        reservedPercentage: o.reserved_percentage,
        maxOverSubscriptionRatio: o.max_over_subscription_ratio,
        ...(o.filter_function ? { filterFunction: o.filter_function } : {}),
        ...(o.goodness_function ? { goodnessFunction: o.goodness_function } : {}),
      }
      if (kind === 'file')
        return [
          {
            ...common,
            pool: backendName,
            key: section,
            dir,
            ...(o.total_capacity_gb !== undefined ? { totalCapacityGb: o.total_capacity_gb } : {}),
          },
        ]
      return rbdPools(section, o.rbd_pools, o.rbd_pool).map((p) => ({
        ...common,
        pool: p.name,
        key: `${section}#${p.name}`,
        dir: join(dir, p.name),
        ...(p.capacityGb !== undefined ? { totalCapacityGb: p.capacityGb } : {}),
      }))
    }),
  )
  const schedulerOptions: SchedulerOptions = {
    filters: D.scheduler_default_filters,
    weighers: D.scheduler_default_weighers,
    capacityWeightMultiplier: D.capacity_weight_multiplier,
    goodnessWeightMultiplier: D.goodness_weight_multiplier,
  }
  const unknown = unknownPlugins(schedulerOptions)
  if (unknown.length)
    throw new Error(`[DEFAULT] scheduler filters or weighers not implemented: ${unknown.join(', ')}`)
  await driver.start()
  // every background task of this service, by name (what a workers cleanup leaves alone)
  const tasks = new InFlight(ctx.tasks)
  const volumeRepo = new VolumeRepo(ctx.db, ctx.dialect)
  const snapshotRepo = new SnapshotRepo(ctx.db, ctx.dialect)
  const typeRepo = new TypeRepo(ctx.db)
  const serviceRepo = new ServiceRepo(ctx.db)
  const services = new VolumeServices(
    serviceRepo,
    volumeRepo,
    driver,
    { host: ctx.hostName, zone: D.storage_availability_zone },
    D.service_down_time * 1000,
  )
  const messages = new UserMessages(new MessageRepo(ctx.db), D.message_ttl)
  const types = new VolumeTypes(typeRepo, volumeRepo, D.default_volume_type)
  const quotas = new Quotas(new QuotaRepo(ctx.db), typeRepo, D)
  const volumes = new Volumes(
    volumeRepo,
    snapshotRepo,
    types,
    quotas,
    driver,
    {
      zone: D.storage_availability_zone,
      allowZoneFallback: D.allow_availability_zone_fallback,
      place: async (request) => {
        const pools = await services.pools()
        const result = schedule(pools, request, schedulerOptions)
        if (!result.chosen) return { reason: explain(result, pools.length) }
        return { placement: { host: result.chosen.name, section: result.chosen.key } }
      },
      volumeExtended: async (volumeId, serverIds) => {
        await ctx
          .client('compute')
          .at('2.51')
          .request(
            {
              method: 'POST',
              path: '/v2.1/os-server-external-events',
              body: {
                events: serverIds.map((server_uuid) => ({
                  name: 'volume-extended',
                  server_uuid,
                  tag: volumeId,
                })),
              },
            },
            { accept: [207, 404] },
          )
      },
      noValidBackend: (v) =>
        messages.record({
          projectId: v.projectId,
          requestId: v.requestId,
          resourceType: 'VOLUME',
          resourceUuid: v.id,
          eventId: NO_VALID_BACKEND.eventId,
          // NOTE: upstream's text, then why: each filter and the pools it removed
          userMessage: v.reason
            ? `${NO_VALID_BACKEND.userMessage} ${v.reason}`
            : NO_VALID_BACKEND.userMessage,
        }),
    },
    tasks,
    ctx.logger,
  )
  const snapshots = new Snapshots(snapshotRepo, volumes, quotas, driver, tasks, ctx.logger)
  const attachments = new Attachments(volumeRepo, driver)
  const transfers = new Transfers(new TransferRepo(ctx.db, ctx.dialect), volumes, snapshotRepo, quotas)
  const backups = new Backups(
    new BackupRepo(ctx.db, ctx.dialect),
    volumeRepo,
    volumes,
    quotas,
    new BackupDriver(resolve(ctx.dataDir, D.backup_posix_path)),
    driver,
    D.storage_availability_zone,
    D.backup_driver,
    tasks,
    ctx.logger,
  )
  const groupRepo = new GroupRepo(ctx.db, ctx.dialect)
  const groupTypes = new GroupTypes(groupRepo)
  const groups = new Groups(
    groupRepo,
    groupTypes,
    types,
    volumes,
    snapshots,
    quotas,
    D.storage_availability_zone,
    services.poolHost,
    tasks,
    ctx.logger,
  )
  const unmanagedRepo = new UnmanagedRepo(ctx.db)
  const recovered = await volumes.recover(
    new Set((await unmanagedRepo.list()).map((r) => `${r.backend}/${r.name}`)),
  )
  const backupsRecovered = await backups.recover()
  if (backupsRecovered.backups || backupsRecovered.removed.length)
    ctx.logger.info(backupsRecovered, 'backups a restart interrupted, put back')
  if (recovered.reset.length || recovered.removed.length)
    ctx.logger.info(recovered, 'volume recovery after restart')
  await services.register()
  ctx.tasks.every('service heartbeat', D.report_interval * 1000, () => services.heartbeat())
  ctx.tasks.every('expire user messages', 3600 * 1000, () => messages.expire())
  const images = new ImageSource(ctx.client('image'))
  const deps: VolumeDeps = {
    images,
    uploads: new VolumeUploads(volumeRepo, driver, images, tasks, ctx.logger),
    manage: new VolumeManage(
      volumeRepo,
      snapshotRepo,
      unmanagedRepo,
      serviceRepo,
      services,
      driver,
      types,
      quotas,
      D.storage_availability_zone,
      ctx.logger,
    ),
    moves: new VolumeMoves(volumeRepo, snapshotRepo, serviceRepo, driver, tasks, ctx.logger),
    workers: new WorkersCleanup(services, volumeRepo, snapshotRepo, volumes, tasks),
    backups,
    groupTypes,
    groups,
    config,
    prefix: VOLUME_PREFIX,
    volumes,
    snapshots,
    types,
    quotas,
    attachments,
    services,
    transfers,
    qos: new QosSpecs(new QosRepo(ctx.db), typeRepo),
    messages,
    encryption: new TypeEncryption(typeRepo, volumeRepo),
  }
  return {
    plugin: volumePlugin(deps, ctx.auth, enforcer),
    deps,
    driver,
    recovered,
  }
}
