/**
 * Builds the compute service from its module context: storage, domain, routes, and the
 * worker roles the process runs (see module.ts for what each role does). Loaded only
 * when a process runs compute.
 */
import { fakeHostNames } from '../../agents/compute/drivers/fake/fake-config.js'
import { startComputeAgents } from '../../agents/compute/start-agents.js'
import { vifEventsTo } from '../../agents/compute/vif-events.js'
import { addToOutbox, Outbox, type OutboxTables } from '../../kernel/bus/outbox.js'
import type { ModuleContext, ServiceClient, ServiceInstance } from '../../kernel/host/index.js'
import type { ServiceRegistry } from '../../kernel/registry/index.js'
import { buildProfile } from '../../scheduler/profiles.js'
import { IdentityLimitsApi } from './clients/identity.js'
import { ImageApi } from './clients/image.js'
import { NetworkApi, NetworkPorts } from './clients/network.js'
import { PlacementApi } from './clients/placement.js'
import { ShelvedImages } from './clients/shelved-images.js'
import { SnapshotImages } from './clients/snapshot-images.js'
import { VolumeApi } from './clients/volume.js'
import { BlockDeviceSteps } from './conductor/block-devices.js'
import { Conductor, type Notifier } from './conductor/conductor.js'
import { HostStates } from './conductor/host-states.js'
import { Moves } from './conductor/moves.js'
import { ServerNetworking } from './conductor/networking.js'
import { startOperationTasks } from './conductor/operation-tasks.js'
import { DestinationSelector } from './conductor/select-destinations.js'
import type { ComputeConfig } from './config.js'
import { Aggregates } from './domain/aggregates.js'
import { AvailabilityZones } from './domain/availability-zones.js'
import { Flavors } from './domain/flavors.js'
import { HostAdmin } from './domain/host-admin.js'
import { type ComputeHosts, NO_COMPUTE_HOSTS, registryHosts } from './domain/hosts.js'
import { Keypairs } from './domain/keypairs.js'
import { Migrations } from './domain/migrations.js'
import { Quotas } from './domain/quotas.js'
import { SchedulerExplainer } from './domain/scheduler-explain.js'
import { ServerActions } from './domain/server-actions.js'
import { ServerGroups } from './domain/server-groups.js'
import { ServerNetworks } from './domain/server-networks.js'
import { ServerOperations } from './domain/server-operations.js'
import { ServerSnapshots } from './domain/server-snapshots.js'
import { type ConductorQueue, Servers } from './domain/servers.js'
import { ComputeServices } from './domain/services.js'
import { TenantUsages } from './domain/tenant-usage.js'
import { UnifiedLimits } from './domain/unified-limits.js'
import type { ServerUsage } from './domain/usage.js'
import { UsageAudits } from './domain/usage-audit.js'
import { VolumeAttachments } from './domain/volume-attachments.js'
import { policyForbiddenMessage } from './errors.js'
import type { ComputeDeps } from './handlers/common.js'
import { COMPUTE_PREFIX } from './module.js'
import { computePlugin } from './plugin.js'
import { COMPUTE_RULES } from './policies/index.js'
import {
  busAgents,
  CONDUCTOR_NAMESPACE,
  CONDUCTOR_TOPIC,
  CONDUCTOR_VERSION,
  SCHEDULER_NAMESPACE,
  SCHEDULER_TOPIC,
  SCHEDULER_VERSION,
  type SelectDestinationsArgs,
  type SelectDestinationsReply,
} from './rpc.js'
import { ActionRepo } from './storage/action.repo.js'
import { AggregateRepo } from './storage/aggregate.repo.js'
import { BdmRepo } from './storage/bdm.repo.js'
import { FlavorRepo } from './storage/flavor.repo.js'
import { InstancePortRepo } from './storage/instance-port.repo.js'
import { KeypairRepo } from './storage/keypair.repo.js'
import { MigrationRepo, SystemMetadataRepo } from './storage/migration.repo.js'
import { QuotaRepo } from './storage/quota.repo.js'
import type { ComputeDatabase } from './storage/schema.js'
import { ServerRepo } from './storage/server.repo.js'
import { ServerGroupRepo } from './storage/server-group.repo.js'

/** Starts the compute hosts of the agent role; returns how to stop them. */
export type AgentStarter = (
  ctx: ModuleContext<ComputeConfig, ComputeDatabase>,
  deps: { placement: ServiceClient; registry: ServiceRegistry },
) => Promise<{ close(): Promise<void> }>

export interface ComputeSeams {
  hosts?: ComputeHosts
  servers?: ServerUsage
  /** Who runs the agent role. @default the compute agents of src/agents/compute */
  agents?: AgentStarter
}

/**
 * The agent role: one compute agent per `[fake_driver] hosts` name (src/agents/compute),
 * each serving `compute.<host>` and keeping its provider tree in placement.
 */
const computeAgents: AgentStarter = async (ctx, deps) => {
  const agents = await startComputeAgents({
    bus: ctx.bus!,
    placement: () => ctx.client('placement', '1.39'),
    registry: deps.registry,
    tasks: ctx.tasks,
    logger: ctx.logger,
    config: ctx.config,
    hostNames: fakeHostNames(ctx.config.fake_driver, ctx.hostName),
    vifEvents: vifEventsTo(() => ctx.client('compute')),
  })
  await agents.ready()
  return { close: () => agents.stop() }
}

/** Instances, cores and RAM in use, for quota usage and limits. */
function serverUsage(repo: ServerRepo, placement: PlacementApi, config: ComputeConfig): ServerUsage {
  return {
    async project(projectId, userId) {
      const c = await repo.counts(projectId, userId)
      const unified = config.quota.driver === 'nova.quota.UnifiedLimitsDriver'
      if (!config.quota.count_usage_from_placement && !unified)
        return { instances: c.instances, cores: c.cores, ram: c.ram }
      const u = await placement.usages(projectId, userId)
      return {
        instances: c.instances,
        cores: (u.VCPU ?? 0) + c.unclaimedCores,
        ram: (u.MEMORY_MB ?? 0) + c.unclaimedRam,
      }
    },
  }
}

interface Built {
  deps: ComputeDeps
  serverRepo: ServerRepo
  migrationRepo: MigrationRepo
  actions: ActionRepo
  placement: PlacementApi
  aggregates: Aggregates
  groups: ServerGroups
  bdms: BdmRepo
  volumeApi: VolumeApi
  networking: ServerNetworking
  outbox?: Outbox
}

/** Builds the compute API's services over a module context. */
export function createComputeDeps(
  ctx: ModuleContext<ComputeConfig, ComputeDatabase>,
  seams: ComputeSeams = {},
): ComputeDeps {
  return build(ctx, seams).deps
}

function build(ctx: ModuleContext<ComputeConfig, ComputeDatabase>, seams: ComputeSeams): Built {
  const { db, dialect, config } = ctx
  const maxLimit = config.api.max_limit
  const placement = new PlacementApi(ctx.client('placement'))
  const serverRepo = new ServerRepo(db, dialect)
  const actions = new ActionRepo(db, dialect)
  const migrationRepo = new MigrationRepo(db, dialect)
  const keypairRepo = new KeypairRepo(db, dialect)
  const groupRepo = new ServerGroupRepo(db, dialect)
  const quotas = new Quotas(
    new QuotaRepo(db),
    keypairRepo,
    groupRepo,
    seams.servers ?? serverUsage(serverRepo, placement, config),
    config.quota,
    new UnifiedLimits(new IdentityLimitsApi(ctx.client('identity')), placement),
  )
  // NOTE: the registry exists once the module declares worker roles (conductor,
  // scheduler, agents); without one no compute host exists and aggregate hosts are names.
  const hosts =
    seams.hosts ??
    (ctx.registry ? registryHosts(ctx.registry, config.DEFAULT.service_down_time) : NO_COMPUTE_HOSTS)
  // NOTE: as upstream, a failure to mirror into placement does not fail the request (the
  // periodic sync or the next change puts it right); it is logged.
  const aggregates = new Aggregates(new AggregateRepo(db, dialect), hosts, {
    set: async (host, uuid, member) => {
      try {
        if (!(await placement.setProviderAggregate(host, uuid, member)))
          ctx.logger.warn(
            { host, aggregate: uuid },
            'no compute node provider for the host: aggregate not mirrored',
          )
      } catch (err) {
        ctx.logger.warn({ err, host, aggregate: uuid }, 'the aggregate could not be mirrored into placement')
      }
    },
  })
  const flavors = new Flavors(new FlavorRepo(db, dialect), maxLimit)
  const keypairs = new Keypairs(keypairRepo, quotas, maxLimit)
  const groups = new ServerGroups(groupRepo, quotas)
  const zones = new AvailabilityZones(hosts, aggregates, {
    defaultZone: config.DEFAULT.default_availability_zone,
    internalZone: config.DEFAULT.internal_service_availability_zone,
  })
  const outbox = ctx.bus
    ? new Outbox(db as unknown as import('kysely').Kysely<OutboxTables>, ctx.bus, {
        logger: {
          debug: (f, m) => ctx.logger.debug(f, m),
          info: (f, m) => ctx.logger.info(f, m),
          warn: (f, m) => ctx.logger.warn(f, m),
          error: (f, m) => ctx.logger.error(f, m),
        },
      })
    : undefined
  const queue: ConductorQueue = {
    add: async (trx, method, args) => {
      await addToOutbox(trx as never, { topic: CONDUCTOR_TOPIC }, method, args, {
        namespace: CONDUCTOR_NAMESPACE,
        version: CONDUCTOR_VERSION,
      })
    },
    kick: () => outbox?.kick(),
  }
  const bdms = new BdmRepo(db)
  const volumeApi = new VolumeApi(ctx.client('block-storage'))
  const networkPorts = new NetworkPorts(ctx.client('network'))
  const networking = new ServerNetworking({
    network: networkPorts,
    ports: new InstancePortRepo(db),
    defaultZone: config.DEFAULT.default_availability_zone,
    logger: ctx.logger,
  })
  const serverNetworks = new ServerNetworks({
    network: networkPorts,
    ports: new InstancePortRepo(db),
    networking,
    actions,
    defaultZone: config.DEFAULT.default_availability_zone,
  })
  const servers = new Servers({
    repo: serverRepo,
    actions,
    flavors,
    keypairs,
    groups,
    zones,
    hosts,
    quotas,
    images: new ImageApi(ctx.client('image')),
    placement,
    network: new NetworkApi(ctx.client('network')),
    serverNetworks,
    queue,
    config,
    blockDevices: { bdms, volumes: volumeApi },
  })
  // NOTE: the API reads a guest (console, diagnostics) from its agent as upstream's API
  // asks nova-compute; the bus's own section is merged by the host.
  const timeout =
    (config as unknown as { DEFAULT: { rpc_response_timeout?: number } }).DEFAULT.rpc_response_timeout ?? 60
  const agents = ctx.bus ? busAgents(ctx.bus, timeout) : undefined
  const serverActions = new ServerActions({
    servers,
    repo: serverRepo,
    actions,
    keypairs,
    quotas,
    queue,
    ...(agents ? { agents } : {}),
    config,
  })
  const zoneOf = async (host: string, binary: string) =>
    binary === 'nova-compute'
      ? ((await aggregates.zonesOfHosts([host])).get(host) ?? config.DEFAULT.default_availability_zone)
      : config.DEFAULT.internal_service_availability_zone
  const operations = new ServerOperations({
    servers,
    repo: serverRepo,
    migrations: migrationRepo,
    actions,
    flavors,
    hosts,
    zones,
    queue,
    ...(agents ? { agents } : {}),
    quotas,
    config,
  })
  const computeServices = new ComputeServices(
    ctx.registry,
    config.DEFAULT.service_down_time,
    zoneOf,
    placement,
    serverRepo,
    agents
      ? async (host, enabled) => {
          await agents
            .setHostEnabled(host, enabled)
            .catch((err: unknown) =>
              ctx.logger.warn({ err, host, enabled }, 'the compute host was not told its new status'),
            )
        }
      : undefined,
  )
  const deps: ComputeDeps = {
    volumeAttachments: new VolumeAttachments(bdms, volumeApi, actions),
    volumeApi,
    imageClient: ctx.client('image'),
    config,
    prefix: COMPUTE_PREFIX,
    operations,
    snapshots: new ServerSnapshots({
      repo: serverRepo,
      actions,
      queue,
      bdms,
      volumes: volumeApi,
      images: new SnapshotImages(ctx.client('image')),
      imageInfo: new ImageApi(ctx.client('image')),
      quotas,
      nonInheritable: config.DEFAULT.non_inheritable_image_properties,
    }),
    migrations: new Migrations(migrationRepo),
    flavors,
    keypairs,
    groups,
    aggregates,
    zones,
    quotas,
    servers,
    serverActions,
    usages: new TenantUsages(serverRepo),
    actions,
    services: computeServices,
    hostAdmin: new HostAdmin(computeServices, serverRepo),
    usageAudits: new UsageAudits(computeServices, () => config.DEFAULT.instance_usage_audit_period),
    hosts,
    hostStatus: new Map(),
    explainer: new SchedulerExplainer({
      profile: () => buildProfile(config),
      hostStates: new HostStates({
        hosts,
        aggregates,
        placement,
        servers: serverRepo,
        defaultZone: config.DEFAULT.default_availability_zone,
      }),
      placement,
      flavors,
      images: new ImageApi(ctx.client('image')),
      groups,
      servers: serverRepo,
      maxPlacementResults: config.scheduler.max_placement_results,
    }),
    serverNetworks,
    networkPorts,
  }
  return {
    deps,
    serverRepo,
    migrationRepo,
    actions,
    placement,
    aggregates,
    groups,
    networking,
    bdms,
    volumeApi,
    ...(outbox ? { outbox } : {}),
  }
}

/** The started workers, for tests and `cloudlet` to wait on. */
export interface ComputeInstance extends ServiceInstance {
  /** Resolves once placement answered and the agents, the outbox and the resume ran. */
  ready: Promise<void>
  conductor?: Conductor
  /** The conductor's moves (resize, migrations, shelve, ...), for tests. */
  moves?: Moves
}

export async function createCompute(
  ctx: ModuleContext<ComputeConfig, ComputeDatabase>,
  seams: ComputeSeams = {},
): Promise<ComputeInstance> {
  const built = build(ctx, seams)
  const { deps, serverRepo, actions, placement } = built
  const enforcer = ctx.enforcer(COMPUTE_RULES, { forbiddenMessage: policyForbiddenMessage })
  const bus = ctx.bus
  const config = ctx.config
  const stops: (() => Promise<void>)[] = []
  let closed = false
  // NOTE: the bus's own section ([DEFAULT] rpc_response_timeout) is merged by the host.
  const timeout =
    (config as unknown as { DEFAULT: { rpc_response_timeout?: number } }).DEFAULT.rpc_response_timeout ?? 60
  let conductor: Conductor | undefined
  let moves: Moves | undefined

  if (bus && ctx.roles.has('scheduler')) {
    const selector = new DestinationSelector({
      profile: buildProfile(config),
      hostStates: new HostStates({
        hosts: deps.hosts,
        aggregates: built.aggregates,
        placement,
        servers: serverRepo,
        defaultZone: config.DEFAULT.default_availability_zone,
      }),
      placement,
      servers: serverRepo,
      groups: built.groups,
      maxPlacementResults: config.scheduler.max_placement_results,
    })
    const server = await bus.serve({ topic: SCHEDULER_TOPIC, server: ctx.hostName }, [
      {
        namespace: SCHEDULER_NAMESPACE,
        version: SCHEDULER_VERSION,
        methods: { select_destinations: (a: SelectDestinationsArgs) => selector.select(a) },
      },
    ])
    stops.push(() => server.stop(2000))
  }
  if (bus && ctx.roles.has('conductor')) {
    const selectDestinations = (a: SelectDestinationsArgs) =>
      bus.call<SelectDestinationsReply>({ topic: SCHEDULER_TOPIC }, 'select_destinations', a, {
        namespace: SCHEDULER_NAMESPACE,
        version: SCHEDULER_VERSION,
        // NOTE: as upstream, scheduling waits [DEFAULT] long_rpc_timeout: decisions run
        // one at a time per scheduler, so a burst's last request waits for all before it.
        timeout: config.DEFAULT.long_rpc_timeout,
      })
    const notify: Notifier = (eventType, payload, priority) =>
      bus.notify({
        publisherId: `nova-conductor:${ctx.hostName}`,
        eventType,
        priority: priority ?? 'info',
        payload,
      })
    const agents = busAgents(bus, timeout)
    moves = new Moves({
      servers: serverRepo,
      migrations: built.migrationRepo,
      actions,
      placement,
      agents,
      selectDestinations,
      notify,
      logger: ctx.logger,
      allowResizeToSameHost: config.DEFAULT.allow_resize_to_same_host,
      shelvedOffloadTime: config.DEFAULT.shelved_offload_time,
      maxAttempts: config.scheduler.max_attempts,
      shelvedImages: new ShelvedImages(ctx.client('image')),
      systemMetadata: new SystemMetadataRepo(ctx.db),
      snapshotImages: new SnapshotImages(ctx.client('image')),
    })
    const c = new Conductor({
      operations: moves,
      servers: serverRepo,
      actions,
      placement,
      agents: busAgents(bus, timeout),
      selectDestinations: (a) =>
        bus.call<SelectDestinationsReply>({ topic: SCHEDULER_TOPIC }, 'select_destinations', a, {
          namespace: SCHEDULER_NAMESPACE,
          version: SCHEDULER_VERSION,
          // NOTE: as upstream, scheduling waits [DEFAULT] long_rpc_timeout: decisions run
          // one at a time per scheduler, so a burst's last request waits for all before it.
          timeout: config.DEFAULT.long_rpc_timeout,
        }),
      notify: (eventType, payload, priority) =>
        bus.notify({
          publisherId: `nova-conductor:${ctx.hostName}`,
          eventType,
          priority: priority ?? 'info',
          payload,
        }),
      logger: ctx.logger,
      maxAttempts: config.scheduler.max_attempts,
      blockDevices: new BlockDeviceSteps(built.bdms, built.volumeApi, ctx.logger),
      networking: built.networking,
    })
    conductor = c
    const server = await bus.serve({ topic: CONDUCTOR_TOPIC, server: ctx.hostName }, [
      {
        namespace: CONDUCTOR_NAMESPACE,
        version: CONDUCTOR_VERSION,
        methods: {
          build_instances: (a) => c.buildInstances(a),
          delete_instance: (a) => c.deleteInstance(a),
          server_action: (a) => c.serverAction(a),
          server_operation: (a) => c.serverOperation(a),
        },
      },
    ])
    stops.push(async () => {
      await server.stop(2000)
      await c.close()
    })
    startOperationTasks(ctx.tasks, config, {
      servers: serverRepo,
      migrations: built.migrationRepo,
      actions,
      conductor: c,
      logger: ctx.logger,
    })
    const interval = config.DEFAULT.reclaim_instance_interval
    if (interval > 0)
      ctx.tasks.every('reclaim soft-deleted servers', Math.max(1, interval) * 1000, async () => {
        const before = new Date(Date.now() - interval * 1000).toISOString()
        for (const row of await serverRepo.softDeletedBefore(before)) {
          if (await serverRepo.updateIf(row.uuid, [null], { task_state: 'deleting' }))
            c.deleteInstance({ instance_uuid: row.uuid, request_id: `req-reclaim-${row.uuid}` })
        }
      })
  }

  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    markReady = resolve
  })
  const startWorkers = async () => {
    if (!bus) return
    // NOTE: placement answers once the app is up and, under `cloudlet up`, once
    // identity is bootstrapped (the service token needs the admin user): wait for it.
    let reachable = false
    for (let wait = 50; !closed; wait = Math.min(wait * 2, 2000)) {
      reachable = await placement.providers().then(
        () => true,
        () => false,
      )
      if (reachable) break
      await new Promise((r) => setTimeout(r, wait))
    }
    if (reachable && ctx.roles.has('agent') && ctx.registry) {
      const agents = await (seams.agents ?? computeAgents)(ctx, {
        placement: ctx.client('placement'),
        registry: ctx.registry,
      })
      stops.unshift(() => agents.close())
    }
    if (closed) return
    if (conductor) {
      const resumed = await conductor.resume()
      if (resumed) ctx.logger.info({ resumed }, 'resumed builds and deletes a stop interrupted')
      const c = conductor
      const moved = await moves?.resume((a) => c.serverOperation(a))
      if (moved) ctx.logger.info({ moved }, 'moves a stop interrupted put right')
    }
    if (ctx.roles.has('api')) await built.outbox?.start()
  }

  return {
    ...(ctx.roles.has('api') ? { plugin: computePlugin(deps, ctx.auth, enforcer) } : {}),
    ready,
    ...(conductor ? { conductor } : {}),
    ...(moves ? { moves } : {}),
    started() {
      void ctx.tasks.spawn('start compute workers', () =>
        startWorkers()
          .catch((err: unknown) => ctx.logger.error({ err }, 'compute workers did not start'))
          .finally(markReady),
      )
    },
    async close() {
      closed = true
      await built.outbox?.stop()
      for (const stop of stops) await stop().catch(() => {})
    },
  }
}
