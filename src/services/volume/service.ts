/**
 * Builds the block storage service from its module context: typed settings, the policy
 * enforcer, the file backend, the repositories (storage/) and the domain objects; runs
 * crash recovery (what upstream's workers cleanup does) before the plugin serves
 * anything; records its services and beats for them.
 */
import { join, resolve } from 'node:path'
import type { ModuleContext, ServiceInstance } from '../../kernel/host/index.js'
import { ImageSource } from './clients/image.js'
import type { VolumeConfig } from './config.js'
import { Attachments } from './domain/attachments.js'
import { Backups } from './domain/backups.js'
import { Groups, GroupTypes } from './domain/groups.js'
import { NO_VALID_BACKEND, UserMessages } from './domain/messages.js'
import { VolumeMoves } from './domain/moves.js'
import { QosSpecs } from './domain/qos.js'
import { Quotas } from './domain/quotas.js'
import { VolumeServices } from './domain/services.js'
import { Snapshots } from './domain/snapshots.js'
import { Transfers } from './domain/transfers.js'
import { TypeEncryption, VolumeTypes } from './domain/types.js'
import { VolumeUploads } from './domain/uploads.js'
import { Volumes } from './domain/volumes.js'
import { policyForbiddenMessage } from './errors.js'
import { BackupDriver } from './files/backup-driver.js'
import { FileDriver } from './files/file-driver.js'
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
import { VolumeRepo } from './storage/volume.repo.js'

export const VOLUME_PREFIX = '/volume'

export interface VolumeInstance extends ServiceInstance {
  deps: VolumeDeps
  driver: FileDriver
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
  const backends = D.enabled_backends.filter((b) => !b.includes(':'))
  const backend = backends[0] ?? 'file'
  if (backends.length > 1 || backend !== 'file')
    ctx.logger.warn(
      { enabled_backends: backends },
      'only the [file] backend is implemented; it serves every volume',
    )
  const driver = new FileDriver(
    config.file.volumes_dir ? resolve(ctx.dataDir, config.file.volumes_dir) : join(ctx.dataDir, 'volumes'),
  )
  await driver.start()
  const volumeRepo = new VolumeRepo(ctx.db, ctx.dialect)
  const snapshotRepo = new SnapshotRepo(ctx.db, ctx.dialect)
  const typeRepo = new TypeRepo(ctx.db)
  const serviceRepo = new ServiceRepo(ctx.db)
  const services = new VolumeServices(
    serviceRepo,
    volumeRepo,
    driver,
    {
      host: ctx.hostName,
      backend,
      backendName: config.file.volume_backend_name,
      zone: D.storage_availability_zone,
      reservedPercentage: config.file.reserved_percentage,
      maxOverSubscriptionRatio: config.file.max_over_subscription_ratio,
      ...(config.file.total_capacity_gb !== undefined
        ? { totalCapacityGb: config.file.total_capacity_gb }
        : {}),
    },
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
      host: services.poolHost,
      zone: D.storage_availability_zone,
      allowZoneFallback: D.allow_availability_zone_fallback,
      capabilities: async () => (await services.pools())[0]!.capabilities,
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
          ...NO_VALID_BACKEND,
        }),
    },
    ctx.tasks,
    ctx.logger,
  )
  const snapshots = new Snapshots(snapshotRepo, volumes, quotas, driver, ctx.tasks, ctx.logger)
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
    ctx.tasks,
    ctx.logger,
  )
  const groupRepo = new GroupRepo(ctx.db)
  const groupTypes = new GroupTypes(groupRepo)
  const groups = new Groups(
    groupRepo,
    groupTypes,
    types,
    volumes,
    snapshots,
    D.storage_availability_zone,
    services.poolHost,
    ctx.tasks,
    ctx.logger,
  )
  const recovered = await volumes.recover()
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
    uploads: new VolumeUploads(volumeRepo, driver, images, ctx.tasks, ctx.logger),
    moves: new VolumeMoves(volumeRepo, snapshotRepo, serviceRepo, driver, ctx.tasks, ctx.logger),
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
