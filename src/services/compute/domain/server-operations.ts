/**
 * The server operations that move a server or change where it runs, as the API accepts
 * them (the conductor does the work: conductor/moves.ts). Each checks the lock, the
 * vm_state and task state as upstream does (409 with upstream's words), validates what
 * it names (flavor, host, zone, image: 400/404 before anything changes), then in order:
 * the task state moves compare-and-swap (a racing request gets 409), and one
 * transaction records the instance action, the migration record of a move and the
 * conductor's message.
 *
 *   operation        from vm_state                        task state       migration
 *   resize           active, stopped                      resize_prep      resize, pre-migrating
 *   migrate          active, stopped                      resize_prep      migration, pre-migrating
 *   confirmResize    resized (a finished migration)       -                finished ─▶ confirming
 *   revertResize     resized (a finished migration)       resize_reverting finished ─▶ reverting
 *   os-migrateLive   active, paused                       migrating        live-migration, accepted
 *   evacuate         active, stopped, error (host down)   rebuilding       evacuation, accepted
 *   shelve           active, stopped, paused, suspended   shelving
 *   shelveOffload    shelved                              shelving_offloading
 *   unshelve         shelved, shelved_offloaded           unshelving
 *   rescue           active, stopped, error               rescuing
 *   unrescue         rescued                              unrescuing
 *   trigger_crash_dump active, paused, rescued, resized, error (running)
 */
import { randomUUID } from 'node:crypto'
import type { ComputeConfig } from '../config.js'
import {
  ComputeBadRequest,
  ComputeHostNotFound,
  FlavorNotFound,
  MigrationNotFoundForServer,
  MigrationStateInvalid,
  ServerCreateInvalid,
  ServerInvalidState,
  ServerLocked,
  ServerNotReady,
  ServerQuotaExceeded,
} from '../errors.js'
import type { AgentApi, ServerOperationArgs, ServerOperationName } from '../rpc.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { MigrationRepo, MigrationRow } from '../storage/migration.repo.js'
import type { ServerRepo } from '../storage/server.repo.js'
import type { AvailabilityZones } from './availability-zones.js'
import type { Caller } from './caller.js'
import type { Flavors } from './flavors.js'
import type { ComputeHosts } from './hosts.js'
import type { Quotas } from './quotas.js'
import type { ConductorQueue, InstanceFlavor, Server, Servers } from './servers.js'
import { POWER } from './servers.js'

export interface ServerOperationsDeps {
  servers: Servers
  repo: ServerRepo
  migrations: MigrationRepo
  actions: ActionRepo
  flavors: Flavors
  hosts: ComputeHosts
  zones: AvailabilityZones
  queue: ConductorQueue
  agents?: AgentApi
  quotas: Quotas
  config: ComputeConfig
}

export interface LiveMigrateInput {
  host?: string | null
  blockMigration: boolean | 'auto'
  force?: boolean
}

export interface EvacuateInput {
  host?: string
  force?: boolean
}

export class ServerOperations {
  constructor(private readonly d: ServerOperationsDeps) {}

  async resize(
    caller: Caller,
    server: Server,
    flavorRef: string,
    requestId: string,
    diskConfig?: 'AUTO' | 'MANUAL',
  ): Promise<void> {
    this.check(caller, server, 'resize', ['active', 'stopped'])
    const flavorId = String(flavorRef).replace(/^.*\/flavors\//, '')
    const flavor = await this.d.flavors.get(caller, flavorId).catch((e: unknown) => {
      if (e instanceof FlavorNotFound) throw new ComputeBadRequest('Unable to locate requested flavor.')
      throw e
    })
    const current = JSON.parse(server.flavor) as InstanceFlavor
    if (flavor.flavorid === current.flavorid)
      throw new ComputeBadRequest('When resizing, instances must change flavor!')
    if (flavor.disabled) throw new ComputeBadRequest('Unable to locate requested flavor.')
    if (flavor.root_gb === 0 && current.root_gb > 0)
      throw new ComputeBadRequest(
        'Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.',
      )
    await this.checkResizeQuota(server, current, flavor)
    const newFlavor: InstanceFlavor = {
      flavorid: flavor.flavorid,
      name: flavor.name,
      vcpus: flavor.vcpus,
      memory_mb: flavor.memory_mb,
      root_gb: flavor.root_gb,
      ephemeral_gb: flavor.ephemeral_gb,
      swap: flavor.swap,
      extra_specs: await this.d.flavors.extraSpecs(flavor),
    }
    await this.move(caller, server, 'resize', requestId, {
      action: 'resize',
      task: 'resize_prep',
      type: 'resize',
      status: 'pre-migrating',
      newFlavor,
      newTypeId: flavor.id,
    })
    // NOTE: the disk config asked with a resize is the server's from now on (upstream sets it at once).
    if (diskConfig !== undefined)
      await this.d.repo.update(server.uuid, { auto_disk_config: diskConfig === 'AUTO' ? 1 : 0 })
  }

  async migrate(caller: Caller, server: Server, host: string | undefined, requestId: string): Promise<void> {
    this.check(caller, server, 'migrate', ['active', 'stopped'])
    if (host !== undefined) {
      await this.requireHost(host, 'bad_request')
      if (host === server.host)
        throw new ComputeBadRequest('Cannot migrate to the host where the server exists.')
    }
    await this.move(caller, server, 'migrate', requestId, {
      action: 'migrate',
      task: 'resize_prep',
      type: 'migration',
      status: 'pre-migrating',
      ...(host ? { destHost: host } : {}),
    })
  }

  async confirmResize(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'confirmResize', ['resized'])
    const mig = await this.d.migrations.latestFor(server.uuid, ['finished'])
    if (!mig) throw new ComputeBadRequest('Instance has not been resized.')
    if (!(await this.d.migrations.updateIf(mig.uuid, ['finished'], { status: 'confirming' })))
      throw new ComputeBadRequest('Instance has not been resized.')
    await this.send(caller, server, 'confirmResize', requestId, {
      operation: 'confirm_resize',
      migration_uuid: mig.uuid,
    })
  }

  async revertResize(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'revertResize', ['resized'])
    const mig = await this.d.migrations.latestFor(server.uuid, ['finished'])
    if (!mig) throw new ComputeBadRequest('Instance has not been resized.')
    if (!(await this.d.repo.updateIf(server.uuid, [null], { task_state: 'resize_reverting' })))
      throw new ServerInvalidState('revertResize', server.uuid, 'task_state', 'changed by another request')
    if (!(await this.d.migrations.updateIf(mig.uuid, ['finished'], { status: 'reverting' }))) {
      await this.d.repo.updateIf(server.uuid, ['resize_reverting'], { task_state: null })
      throw new ComputeBadRequest('Instance has not been resized.')
    }
    await this.send(caller, server, 'revertResize', requestId, {
      operation: 'revert_resize',
      migration_uuid: mig.uuid,
    })
  }

  async liveMigrate(
    caller: Caller,
    server: Server,
    input: LiveMigrateInput,
    requestId: string,
  ): Promise<void> {
    this.check(caller, server, 'os-migrateLive', ['active', 'paused'])
    const host = input.host ?? undefined
    if (host !== undefined) {
      await this.requireHost(host, 'bad_request')
      if (host === server.host)
        throw new ComputeBadRequest('Cannot migrate to the host where the server exists.')
    }
    await this.move(caller, server, 'live_migrate', requestId, {
      action: 'live-migration',
      task: 'migrating',
      type: 'live-migration',
      status: 'accepted',
      ...(host ? { destHost: host } : {}),
      ...(input.force && host ? { force: true } : {}),
    })
  }

  async evacuate(caller: Caller, server: Server, input: EvacuateInput, requestId: string): Promise<void> {
    this.check(caller, server, 'evacuate', ['active', 'stopped', 'error'])
    if (input.host !== undefined) {
      await this.requireHost(input.host, 'not_found')
      if (input.host === server.host) throw new ComputeBadRequest("The target host can't be the same one.")
    }
    const svc = (await this.d.hosts.services()).find(
      (s) => s.binary === 'nova-compute' && s.host === server.host,
    )
    if (svc?.up && !svc.forcedDown)
      throw new ComputeBadRequest(`Compute service of ${server.host} is still in use.`)
    await this.move(caller, server, 'evacuate', requestId, {
      action: 'evacuate',
      task: 'rebuilding',
      type: 'evacuation',
      status: 'accepted',
      ...(input.host ? { destHost: input.host } : {}),
      ...(input.force && input.host ? { force: true } : {}),
    })
  }

  async shelve(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'shelve', ['active', 'stopped', 'paused', 'suspended'])
    await this.start(caller, server, 'shelve', 'shelving', requestId, { operation: 'shelve' })
  }

  async shelveOffload(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'shelveOffload', ['shelved'])
    await this.start(caller, server, 'shelveOffload', 'shelving_offloading', requestId, {
      operation: 'shelve_offload',
    })
  }

  /** unshelve, with a zone (2.77; null unpins it at 2.91) and a host (2.91). */
  async unshelve(
    caller: Caller,
    server: Server,
    input: { availabilityZone?: string | null; host?: string },
    requestId: string,
  ): Promise<void> {
    this.checkLock(caller, server)
    if (!['shelved', 'shelved_offloaded'].includes(server.vm_state))
      throw new ServerInvalidState('unshelve', server.uuid, 'vm_state', server.vm_state)
    if (server.task_state !== null)
      throw new ServerInvalidState('unshelve', server.uuid, 'task_state', server.task_state)
    const targeted = input.availabilityZone !== undefined || input.host !== undefined
    if (targeted && server.vm_state !== 'shelved_offloaded')
      throw new ServerInvalidState('unshelve', server.uuid, 'vm_state', server.vm_state)
    if (typeof input.availabilityZone === 'string') {
      const zones = await this.d.zones.list(false)
      if (!zones.some((z) => z.zoneName === input.availabilityZone))
        throw new ComputeBadRequest('The requested availability zone is not available')
    }
    if (input.host !== undefined) await this.requireHost(input.host, 'bad_request')
    await this.start(caller, server, 'unshelve', 'unshelving', requestId, {
      operation: 'unshelve',
      ...(input.availabilityZone !== undefined ? { availability_zone: input.availabilityZone } : {}),
      ...(input.host ? { host: input.host } : {}),
    })
  }

  async rescue(
    caller: Caller,
    server: Server,
    imageRef: string | undefined,
    requestId: string,
    userToken?: string,
  ): Promise<void> {
    this.check(caller, server, 'rescue', ['active', 'stopped', 'error'])
    const image = imageRef
      ? await this.d.servers.image(caller, imageRef, requestId, userToken)
      : { id: server.image_ref }
    await this.start(caller, server, 'rescue', 'rescuing', requestId, {
      operation: 'rescue',
      rescue_image_ref: image.id,
    })
  }

  async unrescue(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'unrescue', ['rescued'])
    await this.start(caller, server, 'unrescue', 'unrescuing', requestId, { operation: 'unrescue' })
  }

  async triggerCrashDump(caller: Caller, server: Server, requestId: string): Promise<void> {
    this.check(caller, server, 'trigger_crash_dump', ['active', 'paused', 'rescued', 'resized', 'error'])
    if (server.power_state !== POWER.RUNNING && server.power_state !== POWER.PAUSED)
      throw new ServerInvalidState('trigger_crash_dump', server.uuid, 'power_state', 'not running')
    await this.send(caller, server, 'trigger_crash_dump', requestId, { operation: 'trigger_crash_dump' })
  }

  // --- a running live migration

  /** force_complete (2.22): the migration must be running. */
  async forceComplete(server: Server, migrationId: number): Promise<void> {
    const mig = await this.liveMigration(server, migrationId)
    if (mig.status !== 'running') throw new MigrationStateInvalid(mig, server.uuid, 'force_complete')
    await this.tellSource(server, mig, 'live_migration_force_complete', 'force_complete')
  }

  /** abort (2.24; queued and preparing ones too from 2.65). */
  async abort(server: Server, migrationId: number, queuedToo: boolean): Promise<void> {
    const mig = await this.liveMigration(server, migrationId)
    const early = ['accepted', 'queued', 'preparing']
    if (early.includes(mig.status) && queuedToo) {
      if (await this.d.migrations.updateIf(mig.uuid, early, { status: 'cancelled' })) return
    }
    if (mig.status !== 'running') throw new MigrationStateInvalid(mig, server.uuid, 'abort live migration')
    // NOTE: the hypervisor decides: a transfer that already switched over cannot be
    // stopped (400); one that stops is rolled back by the conductor (`cancelled`).
    await this.tellSource(server, mig, 'live_migration_abort', 'abort live migration')
  }

  /**
   * Asks the source host to abort or hurry the transfer. The record says `running` a
   * moment before the hypervisor starts (and after it switched over), so a refusal is
   * asked again while the record still says `running`, for up to a second.
   */
  private async tellSource(
    server: Server,
    mig: MigrationRow,
    method: 'live_migration_abort' | 'live_migration_force_complete',
    what: string,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.d.agents!.operation(mig.source_compute!, method, { instance_uuid: server.uuid })
        return
      } catch (e) {
        const now = await this.d.migrations.byId(mig.id)
        if (now?.status !== 'running' || attempt >= 20)
          throw new MigrationStateInvalid(now ?? mig, server.uuid, what, (e as Error).message)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }

  private async liveMigration(server: Server, migrationId: number): Promise<MigrationRow> {
    const mig = await this.d.migrations.byId(migrationId)
    if (!mig || mig.instance_uuid !== server.uuid || mig.migration_type !== 'live-migration')
      throw new MigrationNotFoundForServer(migrationId, server.uuid)
    return mig
  }

  // --- internals

  /** A resize that grows cores or RAM must fit the project's quota (403 as upstream). */
  private async checkResizeQuota(
    server: Server,
    current: InstanceFlavor,
    next: { vcpus: number; memory_mb: number },
  ): Promise<void> {
    const deltas = { cores: next.vcpus - current.vcpus, ram: next.memory_mb - current.memory_mb }
    if (deltas.cores <= 0 && deltas.ram <= 0) return
    const [limits, used] = await Promise.all([
      this.d.quotas.limits(server.project_id, server.user_id),
      this.d.quotas.usage(server.project_id, server.user_id),
    ])
    for (const r of ['cores', 'ram'] as const) {
      const limit = limits[r] ?? -1
      const inUse = used[r] ?? 0
      if (deltas[r] > 0 && limit >= 0 && inUse + deltas[r] > limit)
        throw new ServerQuotaExceeded(
          `Quota exceeded for ${r}: Requested ${deltas[r]}, but already used ${inUse} of ${limit} ${r}`,
        )
    }
  }

  private checkLock(caller: Caller, server: Server): void {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
  }

  private check(caller: Caller, server: Server, action: string, vmStates: readonly string[]): void {
    this.checkLock(caller, server)
    if (!vmStates.includes(server.vm_state))
      throw new ServerInvalidState(action, server.uuid, 'vm_state', server.vm_state)
    if (server.task_state !== null)
      throw new ServerInvalidState(action, server.uuid, 'task_state', server.task_state)
    if (!server.host) throw new ServerNotReady(server.uuid)
  }

  private async requireHost(host: string, kind: 'bad_request' | 'not_found'): Promise<void> {
    const known = (await this.d.hosts.services()).some((s) => s.binary === 'nova-compute' && s.host === host)
    if (known) return
    if (kind === 'not_found') throw new ComputeHostNotFound(host)
    throw new ServerCreateInvalid(`Compute host ${host} could not be found.`, 'compute.host.not_found')
  }

  /** A move: task state, then the action, the migration record and the message together. */
  private async move(
    caller: Caller,
    server: Server,
    operation: ServerOperationName,
    requestId: string,
    m: {
      action: string
      task: string
      type: string
      status: string
      newFlavor?: InstanceFlavor
      newTypeId?: number
      destHost?: string
      force?: boolean
    },
  ): Promise<void> {
    const d = this.d
    if (!(await d.repo.updateIf(server.uuid, [null], { task_state: m.task })))
      throw new ServerInvalidState(m.action, server.uuid, 'task_state', 'changed by another request')
    const now = new Date().toISOString()
    const uuid = randomUUID()
    await d.repo.db.transaction().execute(async (trx) => {
      await d.migrations.create(
        {
          uuid,
          instance_uuid: server.uuid,
          migration_type: m.type,
          status: m.status,
          source_compute: server.host,
          source_node: server.node,
          dest_compute: null,
          dest_node: null,
          dest_host: m.destHost ?? null,
          old_instance_type_id: server.instance_type_id,
          new_instance_type_id: m.newTypeId ?? server.instance_type_id,
          old_flavor: server.flavor,
          new_flavor: m.newFlavor ? JSON.stringify(m.newFlavor) : server.flavor,
          old_vm_state: server.vm_state,
          hidden: 0,
          project_id: server.project_id,
          user_id: server.user_id,
          memory_total: null,
          memory_processed: null,
          memory_remaining: null,
          disk_total: null,
          disk_processed: null,
          disk_remaining: null,
          created_at: now,
          updated_at: now,
        },
        trx,
      )
      await this.record(trx, caller, server, m.action, requestId, {
        operation,
        migration_uuid: uuid,
        ...(m.force ? { force: true } : {}),
      })
    })
    d.queue.kick()
  }

  /** An operation with a task state. */
  private async start(
    caller: Caller,
    server: Server,
    action: string,
    task: string,
    requestId: string,
    args: Omit<ServerOperationArgs, 'instance_uuid' | 'request_id'>,
  ): Promise<void> {
    if (!(await this.d.repo.updateIf(server.uuid, [null], { task_state: task })))
      throw new ServerInvalidState(action, server.uuid, 'task_state', 'changed by another request')
    await this.send(caller, server, action, requestId, args)
  }

  /** The action and the conductor's message, in one transaction. */
  private async send(
    caller: Caller,
    server: Server,
    action: string,
    requestId: string,
    args: Omit<ServerOperationArgs, 'instance_uuid' | 'request_id'>,
  ): Promise<void> {
    await this.d.repo.db.transaction().execute(async (trx) => {
      await this.record(trx, caller, server, action, requestId, args)
    })
    this.d.queue.kick()
  }

  private async record(
    trx: Parameters<ConductorQueue['add']>[0],
    caller: Caller,
    server: Server,
    action: string,
    requestId: string,
    args: Omit<ServerOperationArgs, 'instance_uuid' | 'request_id'>,
  ): Promise<void> {
    const actionId = await this.d.actions.start(
      {
        action,
        instance_uuid: server.uuid,
        request_id: requestId,
        user_id: caller.userId,
        project_id: caller.projectId,
        start_time: new Date().toISOString(),
      },
      trx,
    )
    const message: ServerOperationArgs = {
      instance_uuid: server.uuid,
      request_id: requestId,
      action_id: actionId,
      ...args,
    }
    await this.d.queue.add(trx, 'server_operation', message)
  }
}
