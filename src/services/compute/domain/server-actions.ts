/**
 * Server actions as the API accepts them, with upstream's state machine: each action
 * is allowed from some vm_states (and task states), refused on a locked server for
 * non-admins, and accepted by moving the task state (compare-and-swap on the current
 * one, so two racing actions cannot both start) and recording the instance action and
 * the conductor's message in one transaction. The conductor and the server's agent do
 * the work (conductor/conductor.ts).
 *
 *   action    from vm_state                          task state      ends
 *   stop      active, error                          powering-off    stopped
 *   start     stopped                                powering-on     active
 *   reboot    SOFT: active; HARD: active, stopped,   rebooting /     active
 *             paused, suspended, error               rebooting_hard
 *   pause     active                                 pausing         paused
 *   unpause   paused                                 unpausing       active
 *   suspend   active                                 suspending      suspended
 *   resume    suspended                              resuming        active
 *   rebuild   active, stopped, error                 rebuilding      active (stopped stays stopped)
 *
 * lock/unlock and resetState change the record only; the reads (console output,
 * diagnostics) ask the server's agent directly, as upstream's API asks nova-compute.
 */
import type { ComputeConfig } from '../config.js'
import {
  ServerCreateInvalid,
  ServerHostUnavailable,
  ServerInvalidState,
  ServerLocked,
  ServerNotReady,
  ServerQuotaExceeded,
} from '../errors.js'
import type { AgentApi, DiagnosticsReply, ServerActionArgs, ServerActionName } from '../rpc.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { InstanceRow, ServerRepo } from '../storage/server.repo.js'
import type { Caller } from './caller.js'
import type { Keypairs } from './keypairs.js'
import type { Quotas } from './quotas.js'
import type { ConductorQueue, InstanceFlavor, InstanceImage, Server, Servers } from './servers.js'
import { normaliseIpv6 } from './servers.js'

export interface ServerActionsDeps {
  servers: Servers
  repo: ServerRepo
  actions: ActionRepo
  keypairs: Keypairs
  quotas: Quotas
  queue: ConductorQueue
  /** The agents, for the reads; absent in a process without a bus. */
  agents?: AgentApi
  config: ComputeConfig
}

/** What a rebuild may change besides the image. */
export interface RebuildInput {
  imageRef: string
  name?: string
  metadata?: Record<string, string>
  accessIPv4?: string
  accessIPv6?: string
  preserveEphemeral?: boolean
  diskConfig?: 'AUTO' | 'MANUAL'
  /** 2.54: a key pair name, or null to remove the key. */
  keyName?: string | null
  /** 2.57: base64 user data, or null to remove it. */
  userData?: string | null
  description?: string | null
  hostname?: string
  requestId: string
  userToken?: string
}

const HARD_REBOOT_FROM_TASKS = [
  null,
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'rebooting_hard',
  'reboot_pending_hard',
  'reboot_started_hard',
  'resuming',
  'unpausing',
  'pausing',
  'suspending',
]

/** Per simple action: the vm_states it starts from and the task state it sets. */
const SIMPLE: Record<
  Exclude<ServerActionName, 'reboot' | 'rebuild' | 'change_password'>,
  { from: string[]; task: string }
> = {
  stop: { from: ['active', 'error'], task: 'powering-off' },
  start: { from: ['stopped'], task: 'powering-on' },
  pause: { from: ['active'], task: 'pausing' },
  unpause: { from: ['paused'], task: 'unpausing' },
  suspend: { from: ['active'], task: 'suspending' },
  resume: { from: ['suspended'], task: 'resuming' },
}

export class ServerActions {
  constructor(private readonly d: ServerActionsDeps) {}

  /** stop, start, pause, unpause, suspend, resume. */
  async simple(
    caller: Caller,
    server: Server,
    action: keyof typeof SIMPLE,
    requestId: string,
  ): Promise<void> {
    const spec = SIMPLE[action]
    this.checkLock(caller, server)
    this.checkState(action, server, spec.from, [null])
    await this.accept(caller, server, [null], spec.task, { action }, requestId)
  }

  async reboot(caller: Caller, server: Server, type: 'SOFT' | 'HARD', requestId: string): Promise<void> {
    this.checkLock(caller, server)
    if (type === 'SOFT') this.checkState('reboot', server, ['active'], [null])
    else
      this.checkState(
        'reboot',
        server,
        ['active', 'stopped', 'paused', 'suspended', 'error'],
        HARD_REBOOT_FROM_TASKS,
      )
    await this.accept(
      caller,
      server,
      type === 'SOFT' ? [null] : HARD_REBOOT_FROM_TASKS,
      type === 'SOFT' ? 'rebooting' : 'rebooting_hard',
      { action: 'reboot', reboot_type: type },
      requestId,
    )
  }

  /** changePassword: the guest's agent sets it (a running server only). */
  async changePassword(caller: Caller, server: Server, password: string, requestId: string): Promise<void> {
    this.checkLock(caller, server)
    this.checkState('changePassword', server, ['active'], [null])
    await this.accept(
      caller,
      server,
      [null],
      'updating_password',
      { action: 'change_password', new_pass: password },
      requestId,
    )
  }

  /** Rebuild: the record takes the new image (and name, metadata, ...) at once. */
  async rebuild(caller: Caller, server: Server, input: RebuildInput): Promise<Server> {
    const d = this.d
    this.checkLock(caller, server)
    this.checkState('rebuild', server, ['active', 'stopped', 'error'], [null])
    const image = await d.servers.image(caller, input.imageRef, input.requestId, input.userToken)
    const flavor = JSON.parse(server.flavor) as InstanceFlavor
    if (image.min_ram > flavor.memory_mb)
      throw new ServerCreateInvalid("Flavor's memory is too small for requested image.")
    if (flavor.root_gb > 0 && image.min_disk > flavor.root_gb)
      throw new ServerCreateInvalid("Flavor's disk is too small for requested image.")
    let keyData: string | null | undefined
    if (input.keyName !== undefined && input.keyName !== null) {
      const kp = await d.keypairs.get(server.user_id, input.keyName).catch(() => {
        throw new ServerCreateInvalid('Invalid key_name provided.')
      })
      keyData = kp.public_key
    } else if (input.keyName === null) keyData = null
    if (input.metadata) {
      const limit = (await d.quotas.limits(server.project_id, server.user_id)).metadata_items ?? -1
      const n = Object.keys(input.metadata).length
      if (limit >= 0 && n > limit)
        throw new ServerQuotaExceeded(
          `Quota exceeded for metadata_items: Requested ${n}, but already used 0 of ${limit} metadata_items`,
        )
    }
    const newImage: InstanceImage = {
      id: image.id,
      disk_format: image.disk_format,
      properties: image.properties,
    }
    const wasStopped = server.vm_state === 'stopped'
    await this.accept(
      caller,
      server,
      [null],
      'rebuilding',
      { action: 'rebuild', was_stopped: wasStopped, preserve_ephemeral: input.preserveEphemeral ?? false },
      input.requestId,
      async () => {
        await d.repo.update(server.uuid, {
          image_ref: image.id,
          image: JSON.stringify(newImage),
          // NOTE: a rebuild of a server in ERROR brings it back (upstream resets it to
          // ACTIVE once the guest is spawned again); the record says what it will be.
          ...(server.vm_state === 'error' ? { vm_state: 'active' } : {}),
          ...(input.name !== undefined ? { display_name: input.name } : {}),
          ...(input.accessIPv4 !== undefined ? { access_ip_v4: input.accessIPv4 || null } : {}),
          ...(input.accessIPv6 !== undefined
            ? { access_ip_v6: normaliseIpv6(input.accessIPv6) || null }
            : {}),
          ...(input.keyName !== undefined ? { key_name: input.keyName, key_data: keyData ?? null } : {}),
          ...(input.userData !== undefined ? { user_data: input.userData } : {}),
          ...(input.description !== undefined ? { display_description: input.description } : {}),
          ...(input.hostname !== undefined ? { hostname: input.hostname } : {}),
          ...(input.diskConfig !== undefined
            ? { auto_disk_config: input.diskConfig === 'AUTO' ? 1 : 0 }
            : {}),
        })
        if (input.metadata) await d.repo.setMetadata(server.uuid, input.metadata, true)
      },
    )
    return d.servers.get(server.uuid)
  }

  /** lock (2.73: with a reason); who locked it is remembered for unlock. */
  async lock(caller: Caller, server: Server, reason: string | undefined, requestId: string): Promise<void> {
    await this.record(caller, server, 'lock', requestId)
    await this.d.repo.update(server.uuid, {
      locked: 1,
      locked_by: caller.projectId === server.project_id ? 'owner' : 'admin',
      locked_reason: reason ?? null,
    })
  }

  async unlock(caller: Caller, server: Server, requestId: string): Promise<void> {
    await this.record(caller, server, 'unlock', requestId)
    await this.d.repo.update(server.uuid, { locked: 0, locked_by: null, locked_reason: null })
  }

  /** os-resetState: the admin's word on the vm_state; the task state clears. */
  async resetState(
    caller: Caller,
    server: Server,
    state: 'active' | 'error',
    requestId: string,
  ): Promise<void> {
    await this.record(caller, server, 'resetState', requestId)
    await this.d.repo.update(server.uuid, { vm_state: state, task_state: null })
  }

  /** The guest's console log (the last `length` lines). */
  async consoleOutput(server: Server, length: number | undefined): Promise<string> {
    if (server.task_state === 'deleting' || server.task_state === 'soft-deleting')
      throw new ServerInvalidState('get_console_output', server.uuid, 'task_state', server.task_state)
    const host = this.hostOf(server)
    try {
      return await this.d.agents!.consoleOutput(host, {
        instance_uuid: server.uuid,
        ...(length === undefined ? {} : { length }),
      })
    } catch (e) {
      throw new ServerHostUnavailable(server.uuid, (e as Error).message)
    }
  }

  async diagnostics(server: Server): Promise<DiagnosticsReply> {
    const host = this.hostOf(server)
    try {
      return await this.d.agents!.diagnostics(host, { instance_uuid: server.uuid })
    } catch (e) {
      throw new ServerHostUnavailable(server.uuid, (e as Error).message)
    }
  }

  async password(server: Server): Promise<string> {
    return server.password ?? ''
  }

  async clearPassword(server: Server): Promise<void> {
    await this.d.repo.update(server.uuid, { password: null })
  }

  // --- internals

  private hostOf(server: Server): string {
    if (!server.host || !this.d.agents || server.vm_state === 'building')
      throw new ServerNotReady(server.uuid)
    return server.host
  }

  private checkLock(caller: Caller, server: Server): void {
    if (server.locked && !caller.isAdmin) throw new ServerLocked(server.uuid)
  }

  private checkState(
    action: string,
    server: InstanceRow,
    vmStates: readonly string[],
    taskStates: readonly (string | null)[],
  ): void {
    if (!vmStates.includes(server.vm_state))
      throw new ServerInvalidState(action, server.uuid, 'vm_state', server.vm_state)
    if (!taskStates.includes(server.task_state))
      throw new ServerInvalidState(action, server.uuid, 'task_state', String(server.task_state))
    if (!server.host && action !== 'lock') throw new ServerNotReady(server.uuid)
  }

  /**
   * Moves the task state from one of `from` to `task` (or 409 if another request moved it
   * first), then records the action and the conductor's message in one transaction.
   */
  private async accept(
    caller: Caller,
    server: Server,
    from: readonly (string | null)[],
    task: string,
    args: Omit<ServerActionArgs, 'instance_uuid' | 'request_id'>,
    requestId: string,
    also?: () => Promise<void>,
  ): Promise<void> {
    const d = this.d
    if (!(await d.repo.updateIf(server.uuid, from, { task_state: task })))
      throw new ServerInvalidState(args.action, server.uuid, 'task_state', 'changed by another request')
    await also?.()
    await d.repo.db.transaction().execute(async (trx) => {
      await d.actions.start(
        {
          action: args.action === 'change_password' ? 'changePassword' : args.action,
          instance_uuid: server.uuid,
          request_id: requestId,
          user_id: caller.userId,
          project_id: caller.projectId,
          start_time: new Date().toISOString(),
        },
        trx,
      )
      const message: ServerActionArgs = { instance_uuid: server.uuid, request_id: requestId, ...args }
      await d.queue.add(trx, 'server_action', message)
    })
    d.queue.kick()
  }

  /** An action done by the API alone: recorded as started and finished. */
  private async record(caller: Caller, server: Server, action: string, requestId: string): Promise<void> {
    const now = new Date().toISOString()
    const id = await this.d.actions.start({
      action,
      instance_uuid: server.uuid,
      request_id: requestId,
      user_id: caller.userId,
      project_id: caller.projectId,
      start_time: now,
    })
    await this.d.actions.finish(id)
  }
}
