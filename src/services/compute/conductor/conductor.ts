/**
 * The conductor role: builds and deletes servers the API accepted.
 *
 *   build_instances (cast from the API's outbox)
 *     │ scheduler.select_destinations ─▶ a claimed host + alternates per server
 *     │   none ─▶ ERROR, fault "No valid host was found. ...", mapped to cell0
 *     ▼
 *   per server: mapped to cell1, host set, task_state spawning
 *     │ agent build_and_run_instance (call on compute.<host>)
 *     │   ok ─▶ ACTIVE, running, launched_at
 *     │   failed ─▶ allocation released; the next alternate claimed and tried, up to
 *     │             [scheduler] max_attempts hosts; none left ─▶ ERROR with the reason
 *     ▼
 *   instance.create.start / .end / .error notifications, the action's events
 *
 *   delete_instance: waits for a build in flight, asks the agent to destroy the guest,
 *   releases the allocation, marks the instance deleted (instance.delete.start/.end).
 *
 *   server_action (stop, start, reboot, pause, unpause, suspend, resume, rebuild): the
 *   API set the task state and recorded the action; the agent of the server's host does
 *   the work (an event `compute_<action>_instance` on the action); the instance takes
 *   the state the guest reports and its task state clears (instance.<what>.start/.end);
 *   a failed operation clears the task state and leaves the vm_state as it was, as
 *   upstream's reverts_task_state does.
 *
 * The conductor answers a message once it has taken the work; the work itself runs in
 * the background. The instance rows are the durable record: `resume` picks up whatever
 * a crash interrupted (builds not finished, deletes not done).
 */
import type { Logger } from 'pino'
import type { VersionedPayload } from '../../../kernel/bus/index.js'
import type { PlacementApi } from '../clients/placement.js'
import { type InstanceFlavor, type InstanceImage, POWER } from '../domain/servers.js'
import type {
  AgentApi,
  BuildInstancesArgs,
  DeleteInstanceArgs,
  InstanceMessage,
  InstanceStateReport,
  PowerMethod,
  SelectDestinationsArgs,
  SelectDestinationsReply,
  SelectionMessage,
  ServerActionArgs,
  ServerActionName,
  ServerOperationArgs,
} from '../rpc.js'
import type { ActionRepo } from '../storage/action.repo.js'
import type { InstanceRow, ServerRepo } from '../storage/server.repo.js'
import { type BlockDeviceSteps, BuildAborted } from './block-devices.js'
import { NetworkAllocationFailed, type ServerNetworking } from './networking.js'

export type Notifier = (
  eventType: string,
  payload: VersionedPayload,
  priority?: 'info' | 'error',
) => Promise<void>

export interface ConductorDeps {
  servers: ServerRepo
  actions: ActionRepo
  placement: PlacementApi
  agents: AgentApi
  selectDestinations(args: SelectDestinationsArgs): Promise<SelectDestinationsReply>
  notify: Notifier
  logger: Logger
  maxAttempts: number
  /** Resize, migrations, shelve, rescue, ... (moves.ts); absent: refused. */
  operations?: {
    run(args: ServerOperationArgs): Promise<void>
    onDeleted(uuid: string): Promise<void>
  }
  /** The volume steps of builds and deletes (conductor/block-devices.ts). */
  blockDevices?: BlockDeviceSteps
  /** The ports of servers (networking.ts); without it servers get none. */
  networking?: ServerNetworking
}

const BUILD_EVENT = 'compute__do_build_and_run_instance'
const SCHEDULE_EVENT = 'conductor_schedule_and_build_instances'
const TERMINATE_EVENT = 'compute_terminate_instance'

/** Per action: the task state the API set, the agent method, the notification's name. */
const ACTIONS: Record<
  ServerActionName,
  { task: readonly string[]; method?: PowerMethod; notification?: string }
> = {
  stop: { task: ['powering-off'], method: 'stop_instance', notification: 'instance.power_off' },
  start: { task: ['powering-on'], method: 'start_instance', notification: 'instance.power_on' },
  reboot: {
    task: ['rebooting', 'rebooting_hard', 'reboot_pending', 'reboot_pending_hard'],
    method: 'reboot_instance',
    notification: 'instance.reboot',
  },
  pause: { task: ['pausing'], method: 'pause_instance', notification: 'instance.pause' },
  unpause: { task: ['unpausing'], method: 'unpause_instance', notification: 'instance.unpause' },
  suspend: { task: ['suspending'], method: 'suspend_instance', notification: 'instance.suspend' },
  resume: { task: ['resuming'], method: 'resume_instance', notification: 'instance.resume' },
  rebuild: { task: ['rebuilding', 'rebuild_spawning'], notification: 'instance.rebuild' },
  // NOTE: upstream sends no versioned notification for a password change.
  change_password: { task: ['updating_password'], method: 'set_admin_password' },
}

/** The task states an accepted action leaves a server in until the conductor is done. */
export const ACTION_TASK_STATES: readonly string[] = [
  ...new Set(Object.values(ACTIONS).flatMap((a) => a.task)),
]

export class Conductor {
  private readonly inflight = new Map<string, Promise<void>>()
  private closed = false

  constructor(private readonly d: ConductorDeps) {}

  /** Takes a build; answers at once. */
  buildInstances(args: BuildInstancesArgs): { accepted: true } {
    // NOTE: a cast the outbox replays after a crash can find the build already running
    // (resume started it from the instance row): the build in flight finishes it.
    const uuids = args.instance_uuids.filter((u) => !this.inflight.has(u))
    if (uuids.length > 0) this.track(uuids, this.build(uuids, args.request_id))
    return { accepted: true }
  }

  /** Takes a delete; answers at once. */
  deleteInstance(args: DeleteInstanceArgs): { accepted: true } {
    const previous = this.inflight.get(args.instance_uuid)
    const work = (previous ?? Promise.resolve()).then(() => this.destroy(args.instance_uuid, args.request_id))
    this.track([args.instance_uuid], work)
    return { accepted: true }
  }

  /** Takes an action on a server; answers at once (after any work in flight on it). */
  serverAction(args: ServerActionArgs): { accepted: true } {
    const previous = this.inflight.get(args.instance_uuid)
    const work = (previous ?? Promise.resolve()).then(() => this.act(args))
    this.track([args.instance_uuid], work)
    return { accepted: true }
  }

  /** Takes an operation (moves.ts); answers at once (after any work in flight on the server). */
  serverOperation(args: ServerOperationArgs): { accepted: true } {
    const ops = this.d.operations
    if (!ops) throw new Error('this conductor runs no server operations')
    const previous = this.inflight.get(args.instance_uuid)
    const work = (previous ?? Promise.resolve()).then(() => ops.run(args))
    this.track([args.instance_uuid], work)
    return { accepted: true }
  }

  /** Finishes what a crash interrupted: unfinished builds start over, deletes go on. */
  async resume(): Promise<number> {
    const rows = await this.d.servers.unfinished(ACTION_TASK_STATES)
    for (const row of rows) {
      if (this.inflight.has(row.uuid)) continue
      if (row.task_state === 'deleting') {
        const action = await this.d.actions.latest(row.uuid, 'delete')
        this.deleteInstance({ instance_uuid: row.uuid, request_id: action?.request_id ?? 'resume' })
        continue
      }
      if (row.vm_state !== 'building' && row.task_state && ACTION_TASK_STATES.includes(row.task_state)) {
        // NOTE: an action the API accepted whose work a stop interrupted is done again
        // (the agent's operations end in the same state when repeated).
        const name = (Object.keys(ACTIONS) as ServerActionName[]).find((n) =>
          ACTIONS[n].task.includes(row.task_state!),
        )!
        if (name === 'change_password') {
          // the password travelled only in the message: the change is dropped, as upstream's
          // compute clears a task state it finds at start-up
          await this.d.servers.update(row.uuid, { task_state: null })
          continue
        }
        const action = await this.d.actions.latest(row.uuid, name)
        this.serverAction({
          instance_uuid: row.uuid,
          request_id: action?.request_id ?? 'resume',
          action: name,
          ...(name === 'reboot' ? { reboot_type: row.task_state.includes('hard') ? 'HARD' : 'SOFT' } : {}),
        })
        continue
      }
      // NOTE: a guest the agent was spawning when the process died is gone with the
      // agent's memory (fake driver) or will be found by the agent's own recovery; the
      // server starts its build over from the scheduler.
      await this.d.placement.release(row.uuid).catch(() => {})
      await this.d.servers.update(row.uuid, { host: null, node: null, task_state: 'scheduling' })
      const action = await this.d.actions.latest(row.uuid, 'create')
      this.buildInstances({ instance_uuids: [row.uuid], request_id: action?.request_id ?? 'resume' })
    }
    return rows.length
  }

  /** Waits for the work in flight. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.allSettled([...new Set(this.inflight.values())])
  }

  /** Whether anything is in flight (tests wait on it). */
  get busy(): boolean {
    return this.inflight.size > 0
  }

  private track(uuids: readonly string[], work: Promise<void>): void {
    const guarded = work.catch((err: unknown) =>
      this.d.logger.error({ err, instances: uuids }, 'conductor work failed'),
    )
    for (const u of uuids) this.inflight.set(u, guarded)
    void guarded.finally(() => {
      for (const u of uuids) if (this.inflight.get(u) === guarded) this.inflight.delete(u)
    })
  }

  private async build(uuids: readonly string[], requestId: string): Promise<void> {
    const rows = (await this.d.servers.rows(uuids)).filter(
      (r) => r.deleted === 0 && r.vm_state === 'building' && r.task_state === 'scheduling',
    )
    if (rows.length === 0 || this.closed) return
    const events = new Map<string, { action?: number; event?: number }>()
    for (const r of rows) {
      const action = await this.d.actions.byRequest(r.uuid, requestId)
      const event = action ? await this.d.actions.startEvent(action.id, SCHEDULE_EVENT, null) : undefined
      events.set(r.uuid, { ...(action ? { action: action.id } : {}), ...(event ? { event } : {}) })
    }
    let reply: SelectDestinationsReply
    try {
      reply = await this.d.selectDestinations({ instance_uuids: rows.map((r) => r.uuid) })
    } catch (e) {
      reply = { ok: false, message: `No valid host was found. ${(e as Error).message}`, details: '' }
    }
    if (!reply.ok) {
      await Promise.all(
        rows.map(async (r) => {
          const ev = events.get(r.uuid)!
          if (ev.event) await this.d.actions.finishEvent(ev.event, 'Error', reply.ok ? null : reply.message)
          await this.fail(r, reply.ok ? '' : reply.message, undefined, ev.action)
        }),
      )
      return
    }
    const byUuid = new Map(rows.map((r) => [r.uuid, r]))
    await Promise.all(
      reply.selections.map(async (s) => {
        const row = byUuid.get(s.instance_uuid)!
        const ev = events.get(row.uuid)!
        if (ev.event) await this.d.actions.finishEvent(ev.event, 'Success', null)
        await this.spawn(row, s.selection, [...s.alternates], ev.action)
      }),
    )
  }

  /** Builds on the claimed host, then on each alternate the scheduler gave. */
  private async spawn(
    row: InstanceRow,
    first: SelectionMessage,
    alternates: SelectionMessage[],
    actionId: number | undefined,
  ): Promise<void> {
    const owner = { projectId: row.project_id, userId: row.user_id }
    let current: SelectionMessage | undefined = first
    let attempt = 1
    let lastError = ''
    let lastHost: string | undefined
    while (current) {
      const sel: SelectionMessage = current
      await this.d.servers.mapToCell(row.uuid, 'cell1')
      await this.d.servers.mapHost(sel.host)
      const moved = await this.d.servers.updateIf(row.uuid, ['scheduling', 'spawning'], {
        host: sel.host,
        node: sel.nodename,
        launched_on: sel.host,
        task_state: 'spawning',
      })
      if (!moved) {
        // deleted (or being deleted) while it was scheduled: the delete finishes it
        await this.d.placement.release(row.uuid)
        return
      }
      const live = { ...row, host: sel.host, node: sel.nodename, task_state: 'spawning' }
      const event = actionId ? await this.d.actions.startEvent(actionId, BUILD_EVENT, sel.host) : undefined
      await this.notify('instance.create.start', live)
      try {
        await this.d.blockDevices?.prepare(row.uuid, sel.host, actionRequest(row))
        const vifs = await this.d.networking?.allocate(row, sel.host)
        const report = await this.d.agents.build(sel.host, {
          instance: instanceMessage(row),
          attempt,
          ...(vifs?.length ? { network_info: vifs } : {}),
        })
        const launched = report.launched_at ?? new Date().toISOString()
        const done = await this.d.servers.updateIf(row.uuid, ['spawning'], {
          vm_state: 'active',
          task_state: null,
          power_state: report.power_state ?? POWER.RUNNING,
          launched_at: launched,
        })
        if (event) await this.d.actions.finishEvent(event, 'Success', null)
        if (actionId) await this.d.actions.finish(actionId)
        if (done)
          await this.notify('instance.create.end', {
            ...live,
            vm_state: 'active',
            task_state: null,
            power_state: POWER.RUNNING,
            launched_at: launched,
          })
        return
      } catch (e) {
        lastError = (e as Error).message
        lastHost = sel.host
        if (event) await this.d.actions.finishEvent(event, 'Error', lastError)
        if (e instanceof NetworkAllocationFailed) {
          // NOTE: as upstream's BuildAbortException: another host would get the same
          // answer from the network service, so the build ends here.
          await this.fail(row, `Build of instance ${row.uuid} aborted: ${lastError}`, sel.host, actionId)
          return
        }
        this.d.logger.warn({ instance: row.uuid, host: sel.host, attempt, err: lastError }, 'build failed')
        await this.d.placement.release(row.uuid)
        if (e instanceof BuildAborted) {
          await this.fail(row, `Build of instance ${row.uuid} aborted: ${lastError}`, sel.host, actionId)
          return
        }
      }
      current = undefined
      while (alternates.length && attempt < this.d.maxAttempts) {
        const alt = alternates.shift()!
        if (await this.d.placement.claim(row.uuid, alt.allocation_request, owner)) {
          current = alt
          attempt++
          break
        }
      }
    }
    const message =
      attempt >= this.d.maxAttempts
        ? `Exceeded maximum number of retries. Exceeded max scheduling attempts ${this.d.maxAttempts} for instance ${row.uuid}. Last exception: ${lastError}`
        : `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${row.uuid}.`
    await this.fail(row, message, lastHost, actionId)
  }

  /** ERROR with a fault; no allocation left; cell0 when it never reached a host. */
  private async fail(row: InstanceRow, message: string, host: string | undefined, actionId?: number) {
    await this.d.blockDevices?.abandon(row.uuid, actionRequest(row))
    // NOTE: the server must leave BUILD even when placement cannot be asked now; an
    // allocation left behind is released by the delete that follows.
    await this.d.placement
      .release(row.uuid)
      .catch((err: unknown) => this.d.logger.warn({ err, instance: row.uuid }, 'allocation not released'))
    await this.deallocateNetworks(row.uuid)
    // The fault and the cell first: a reader that sees ERROR also sees why.
    await this.d.servers.addFault({
      instance_uuid: row.uuid,
      code: 500,
      message: message.length > 255 ? `${message.slice(0, 252)}...` : message,
      details: message,
      host: host ?? null,
      created_at: new Date().toISOString(),
    })
    await this.d.servers.mapToCell(row.uuid, host ? 'cell1' : 'cell0')
    await this.d.servers.updateIf(row.uuid, ['scheduling', 'spawning'], {
      vm_state: 'error',
      task_state: null,
      power_state: POWER.NOSTATE,
      ...(host ? {} : { host: null, node: null }),
    })
    if (actionId) await this.d.actions.finish(actionId)
    await this.notify(
      'instance.create.error',
      { ...row, vm_state: 'error', task_state: null },
      'error',
      message,
    )
  }

  private async destroy(uuid: string, requestId: string): Promise<void> {
    const [row] = await this.d.servers.rows([uuid])
    if (row?.deleted !== 0) return
    const action = await this.d.actions.byRequest(uuid, requestId)
    await this.notify('instance.delete.start', row)
    if (row.host) {
      const event = action ? await this.d.actions.startEvent(action.id, TERMINATE_EVENT, row.host) : undefined
      try {
        await this.d.agents.terminate(row.host, { instance_uuid: uuid, delete_allocations: false })
        if (event) await this.d.actions.finishEvent(event, 'Success', null)
      } catch (e) {
        // NOTE: a host that is down or no longer knows the guest cannot stop the delete:
        // the record and the allocation go (upstream's local delete).
        if (event) await this.d.actions.finishEvent(event, 'Error', (e as Error).message)
        this.d.logger.warn({ instance: uuid, host: row.host, err: (e as Error).message }, 'terminate failed')
      }
    }
    await this.d.blockDevices?.teardown(uuid, requestId)
    await this.deallocateNetworks(uuid)
    await this.d.placement.release(uuid)
    await this.d.operations?.onDeleted(uuid)
    await this.d.servers.markDeleted(uuid)
    if (action) await this.d.actions.finish(action.id)
    await this.notify('instance.delete.end', {
      ...row,
      vm_state: 'deleted',
      task_state: null,
      power_state: POWER.NOSTATE,
    })
  }

  /** The server's ports given back; a network service that fails is logged, not fatal. */
  private async deallocateNetworks(uuid: string): Promise<void> {
    await this.d.networking
      ?.deallocate(uuid)
      .catch((err: unknown) => this.d.logger.warn({ err, instance: uuid }, 'ports not released'))
  }

  private async act(args: ServerActionArgs): Promise<void> {
    const spec = ACTIONS[args.action]
    const [row] = await this.d.servers.rows([args.instance_uuid])
    if (row?.deleted !== 0 || !row.task_state || !spec.task.includes(row.task_state)) return
    const action = await this.d.actions.byRequest(row.uuid, args.request_id)
    const eventName =
      args.action === 'change_password' ? 'compute_set_admin_password' : `compute_${args.action}_instance`
    const event = action ? await this.d.actions.startEvent(action.id, eventName, row.host) : undefined
    if (spec.notification) await this.notify(`${spec.notification}.start`, row)
    try {
      if (!row.host) throw new Error(`instance ${row.uuid} has no host`)
      let report: InstanceStateReport
      if (args.action === 'rebuild') {
        await this.d.servers.updateIf(row.uuid, spec.task, { task_state: 'rebuild_spawning' })
        report = await this.d.agents.rebuild(row.host, {
          instance: instanceMessage(row),
          ...(args.preserve_ephemeral ? { preserve_ephemeral: true } : {}),
        })
        // NOTE: a stopped server is rebuilt, then stopped again (upstream ends it SHUTOFF).
        if (args.was_stopped)
          report = await this.d.agents.power(row.host, 'stop_instance', { instance_uuid: row.uuid })
      } else {
        if (args.action === 'reboot')
          await this.d.servers.updateIf(row.uuid, spec.task, {
            task_state: args.reboot_type === 'HARD' ? 'reboot_started_hard' : 'reboot_started',
          })
        const callArgs =
          args.action === 'reboot'
            ? { instance_uuid: row.uuid, reboot_type: args.reboot_type ?? 'SOFT' }
            : args.action === 'change_password'
              ? { instance_uuid: row.uuid, new_pass: args.new_pass ?? '' }
              : { instance_uuid: row.uuid }
        report = await this.d.agents.power(row.host, spec.method!, callArgs)
      }
      const done = {
        vm_state: report.vm_state,
        task_state: null,
        power_state: report.power_state,
        ...(args.action === 'rebuild' ? { launched_at: new Date().toISOString() } : {}),
      }
      await this.d.servers.updateIf(row.uuid, [...spec.task, 'reboot_started', 'reboot_started_hard'], done)
      if (event) await this.d.actions.finishEvent(event, 'Success', null)
      if (action) await this.d.actions.finish(action.id)
      if (spec.notification) await this.notify(`${spec.notification}.end`, { ...row, ...done })
    } catch (e) {
      const message = (e as Error).message
      this.d.logger.warn({ instance: row.uuid, action: args.action, err: message }, 'server action failed')
      // NOTE: a failed rebuild leaves no guest behind: the server goes to ERROR with the
      // reason as its fault (upstream's rebuild does the same); other actions only clear
      // their task state.
      await this.d.servers.updateIf(row.uuid, [...spec.task, 'reboot_started', 'reboot_started_hard'], {
        task_state: null,
        ...(args.action === 'rebuild' ? { vm_state: 'error' } : {}),
      })
      if (args.action === 'rebuild')
        await this.d.servers.addFault({
          instance_uuid: row.uuid,
          code: 500,
          message: message.length > 255 ? `${message.slice(0, 252)}...` : message,
          details: message,
          host: row.host,
          created_at: new Date().toISOString(),
        })
      if (event) await this.d.actions.finishEvent(event, 'Error', message, message)
      if (action) await this.d.actions.finish(action.id, 'Error')
      if (spec.notification) await this.notify(`${spec.notification}.error`, row, 'error', message)
    }
  }

  private async notify(
    eventType: string,
    row: InstanceRow,
    priority: 'info' | 'error' = 'info',
    fault?: string,
  ): Promise<void> {
    await this.d
      .notify(eventType, instancePayload(eventType, row, fault), priority)
      .catch((err: unknown) => this.d.logger.warn({ err, eventType }, 'notification not sent'))
  }
}

/** The request id the block storage service sees for a build's calls. */
function actionRequest(row: InstanceRow): string {
  return `req-build-${row.uuid}`
}

/** The guest as the agent's build message describes it. */
export function instanceMessage(row: InstanceRow): InstanceMessage {
  const flavor = JSON.parse(row.flavor) as InstanceFlavor
  const image = JSON.parse(row.image) as InstanceImage
  const encrypt = flavor.extra_specs['hw:mem_encryption'] ?? image.properties.hw_mem_encryption
  return {
    uuid: row.uuid,
    name: row.display_name,
    project_id: row.project_id,
    user_id: row.user_id,
    vcpus: flavor.vcpus,
    memory_mb: flavor.memory_mb,
    root_gb: flavor.root_gb,
    ephemeral_gb: flavor.ephemeral_gb,
    swap_mb: flavor.swap,
    image: {
      id: image.id,
      ...(image.disk_format ? { disk_format: image.disk_format } : {}),
      properties: image.properties,
    },
    extra_specs: flavor.extra_specs,
    ...(row.user_data ? { user_data: row.user_data } : {}),
    ...(encrypt && ['true', 'yes', '1', 'on'].includes(encrypt.toLowerCase())
      ? { mem_encryption: true }
      : {}),
  }
}

/** Upstream's versioned instance payloads, with the fields consumers read most. */
function instancePayload(eventType: string, row: InstanceRow, fault?: string): VersionedPayload {
  const flavor = JSON.parse(row.flavor) as InstanceFlavor
  const name = eventType.startsWith('instance.create') ? 'InstanceCreatePayload' : 'InstanceActionPayload'
  return {
    name,
    version: name === 'InstanceCreatePayload' ? '1.12' : '1.8',
    data: {
      uuid: row.uuid,
      display_name: row.display_name,
      tenant_id: row.project_id,
      user_id: row.user_id,
      host: row.host,
      node: row.node,
      reservation_id: row.reservation_id,
      availability_zone: row.availability_zone,
      state: row.vm_state,
      task_state: row.task_state,
      power_state: ['pending', 'running', '', 'paused', 'shutdown', '', 'crashed', 'suspended'][
        row.power_state
      ],
      image_uuid: row.image_ref,
      flavor: {
        name: flavor.name,
        flavorid: flavor.flavorid,
        vcpus: flavor.vcpus,
        memory_mb: flavor.memory_mb,
        root_gb: flavor.root_gb,
        ephemeral_gb: flavor.ephemeral_gb,
        swap: flavor.swap,
        extra_specs: flavor.extra_specs,
      },
      created_at: row.created_at,
      launched_at: row.launched_at,
      terminated_at: row.terminated_at,
      key_name: row.key_name,
      fault: fault
        ? {
            message: fault,
            exception: eventType.startsWith('instance.create') ? 'NoValidHost' : 'InstanceFaultRollback',
          }
        : null,
    },
  }
}
