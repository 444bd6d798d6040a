/**
 * The typed bus messages of compute's control plane:
 *
 *   API ──cast (outbox)──▶ conductor   namespace `compute_task` 1.1: build_instances,
 *                                      delete_instance, server_action
 *   conductor ──call──▶ scheduler      namespace `scheduler` 1.0: select_destinations
 *   conductor ──call──▶ compute.<host> namespace `compute` 1.1: build_and_run_instance,
 *                                      terminate_instance, the power operations,
 *                                      rebuild_instance (the agent's contract, from
 *                                      src/agents/compute/rpc.ts)
 *   API ──call──▶ compute.<host>        get_console_output, get_diagnostics (reads)
 *
 * The agent's message shapes and names come from the agent's own contract.
 */
import {
  type BuildAndRunInstanceArgs,
  COMPUTE_NAMESPACE,
  COMPUTE_RPC_VERSION,
  COMPUTE_TOPIC,
  type ConsoleOutputArgs,
  type DiagnosticsReply,
  type InstanceArgs,
  type InstanceStateReport,
  type RebootInstanceArgs,
  type RebuildInstanceArgs,
  type TerminateInstanceArgs,
} from '../../agents/compute/rpc.js'
import type { Bus } from '../../kernel/bus/index.js'
import type { AllocationRequest } from '../../scheduler/framework.js'
import type { InstanceFlavor } from './domain/servers.js'

export const CONDUCTOR_TOPIC = 'conductor'
export const CONDUCTOR_NAMESPACE = 'compute_task'
/** 1.0: build_instances, delete_instance. 1.1: server_action. 1.2: server_operation. */
export const CONDUCTOR_VERSION = '1.2'

export const SCHEDULER_TOPIC = 'scheduler'
export const SCHEDULER_NAMESPACE = 'scheduler'
/** 1.0: select_destinations. */
export const SCHEDULER_VERSION = '1.0'

export { COMPUTE_NAMESPACE, COMPUTE_RPC_VERSION, COMPUTE_TOPIC } from '../../agents/compute/rpc.js'

/** API → conductor: build these instances (one create request, possibly many servers). */
export interface BuildInstancesArgs {
  instance_uuids: string[]
  request_id: string
}

/** API → conductor: take this instance down (agent, allocations, record). */
export interface DeleteInstanceArgs {
  instance_uuid: string
  request_id: string
}

/** The server actions the conductor carries out on the server's host. */
export type ServerActionName =
  | 'stop'
  | 'start'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'rebuild'
  | 'change_password'

/**
 * API → conductor: carry out an action the API accepted. The API has set the task state
 * the action starts in (`powering-off`, `rebooting`, ...) and recorded the instance
 * action under `request_id`.
 */
export interface ServerActionArgs {
  instance_uuid: string
  request_id: string
  action: ServerActionName
  /** reboot: SOFT or HARD. */
  reboot_type?: 'SOFT' | 'HARD'
  /** rebuild: the server was stopped and ends stopped again, as upstream. */
  was_stopped?: boolean
  /** rebuild: keep the ephemeral disk. */
  preserve_ephemeral?: boolean
  /** change_password: the new administrator password. */
  new_pass?: string
}

/** One chosen host and how its resources are claimed in placement. */
export interface SelectionMessage {
  host: string
  nodename: string
  allocation_request: AllocationRequest
}

/** Conductor → scheduler: place and claim these instances. */
export interface SelectDestinationsArgs {
  instance_uuids: string[]
  /** Hosts tried before for a reschedule (or a move's source); never chosen again. */
  ignore_hosts?: string[]
  /** A move of an existing server: the create's requested destination no longer applies. */
  move?: boolean
  /** A move: the flavor the server moves to (a resize's new one). */
  flavor?: InstanceFlavor
  /** A move: only this host (and node). */
  destination?: { host?: string; node?: string }
  /** A move: the zone it goes to (null: any zone; unshelve 2.91 unpins it). */
  availability_zone?: string | null
}

/** The scheduler's answer: a claimed host per instance with alternates, or why none. */
export type SelectDestinationsReply =
  | {
      ok: true
      selections: { instance_uuid: string; selection: SelectionMessage; alternates: SelectionMessage[] }[]
    }
  | { ok: false; message: string; details: string }

// --- the agent's contract, from where it is defined
export type {
  BuildAndRunInstanceArgs,
  ConsoleOutputArgs,
  DiagnosticsReply,
  InstanceMessage,
  InstanceStateReport,
  TerminateInstanceArgs,
} from '../../agents/compute/rpc.js'

/** What the conductor asks of agents. */
export interface AgentApi {
  /** Builds and runs the guest; throws when the build failed (a RemoteError from the agent). */
  build(host: string, args: BuildAndRunInstanceArgs): Promise<InstanceStateReport>
  terminate(host: string, args: TerminateInstanceArgs): Promise<void>
  /** A power operation (stop, start, pause, unpause, suspend, resume, reboot) to the end. */
  power(
    host: string,
    method: PowerMethod,
    args: InstanceArgs | RebootInstanceArgs | (InstanceArgs & { new_pass: string }),
  ): Promise<InstanceStateReport>
  /** Destroys and spawns the guest again from its (new) image. */
  rebuild(host: string, args: RebuildInstanceArgs): Promise<InstanceStateReport>
  consoleOutput(host: string, args: ConsoleOutputArgs): Promise<string>
  diagnostics(host: string, args: InstanceArgs): Promise<DiagnosticsReply>
  /** The host's service was enabled or disabled: its provider's traits follow now. */
  setHostEnabled(host: string, enabled: boolean): Promise<void>
  /** One step of a move or another operation (src/agents/compute/operations.ts), to the end. */
  operation<T = unknown>(host: string, method: OperationMethod, args: object): Promise<T>
}

/** The agent's operation methods (compute 1.2). */
export type OperationMethod =
  | 'check_can_receive'
  | 'resize_instance'
  | 'finish_resize'
  | 'confirm_resize'
  | 'revert_resize'
  | 'finish_revert_resize'
  | 'pre_live_migration'
  | 'live_migration'
  | 'live_migration_abort'
  | 'live_migration_force_complete'
  | 'post_live_migration_at_destination'
  | 'rollback_live_migration_at_destination'
  | 'rescue_instance'
  | 'unrescue_instance'
  | 'shelve_instance'
  | 'shelve_offload_instance'
  | 'trigger_crash_dump'
  | 'snapshot_instance'

/** The operations the conductor runs for the API (conductor/moves.ts). */
export type ServerOperationName =
  | 'resize'
  | 'migrate'
  | 'live_migrate'
  | 'confirm_resize'
  | 'revert_resize'
  | 'evacuate'
  | 'shelve'
  | 'shelve_offload'
  | 'unshelve'
  | 'rescue'
  | 'unrescue'
  | 'trigger_crash_dump'
  | 'snapshot'

/**
 * API → conductor (compute_task 1.2): carry out an operation the API accepted (task
 * state set, instance action recorded, and for a move its migration record created).
 */
export interface ServerOperationArgs {
  instance_uuid: string
  request_id: string
  operation: ServerOperationName
  /** The instance action the API recorded for the request (absent: looked up by request id). */
  action_id?: number
  /** The move's migration record (its uuid is also the source allocation's consumer). */
  migration_uuid?: string
  /** live_migrate, evacuate: skip the scheduler and claim on `host` directly. */
  force?: boolean
  /** unshelve (2.77/2.91): the zone asked for; null unpins it. */
  availability_zone?: string | null
  /** unshelve 2.91: the host asked for. */
  host?: string
  /** rescue: the image the rescue system boots from. */
  rescue_image_ref?: string
  /** snapshot (createImage, createBackup): the image record the guest's disk is uploaded to. */
  image_id?: string
  /** createBackup: the backup's type and how many of that type the server keeps. */
  backup_type?: string
  rotation?: number
}

export type PowerMethod =
  | 'stop_instance'
  | 'start_instance'
  | 'reboot_instance'
  | 'pause_instance'
  | 'unpause_instance'
  | 'suspend_instance'
  | 'resume_instance'
  | 'set_admin_password'

/** The agents over the bus: calls on topic `compute`, server `<host>`. */
export function busAgents(bus: Bus, timeoutSeconds: number): AgentApi {
  const rpc = bus.client({ topic: COMPUTE_TOPIC, namespace: COMPUTE_NAMESPACE })
  const opts = (host: string) => ({ server: host, version: COMPUTE_RPC_VERSION, timeout: timeoutSeconds })
  return {
    build: (host, args) => rpc.call<InstanceStateReport>('build_and_run_instance', args, opts(host)),
    terminate: async (host, args) => {
      await rpc.call('terminate_instance', args, opts(host))
    },
    power: (host, method, args) => rpc.call<InstanceStateReport>(method, args, opts(host)),
    rebuild: (host, args) => rpc.call<InstanceStateReport>('rebuild_instance', args, opts(host)),
    consoleOutput: async (host, args) =>
      (await rpc.call<{ output: string }>('get_console_output', args, opts(host))).output,
    diagnostics: (host, args) => rpc.call<DiagnosticsReply>('get_diagnostics', args, opts(host)),
    operation: <T>(host: string, method: OperationMethod, args: object) =>
      rpc.call<T>(method, args, opts(host)),
    setHostEnabled: async (host, enabled) => {
      // NOTE: a short wait: the answer only hastens what the host's periodic update does anyway.
      await rpc.call(
        'set_host_enabled',
        { enabled },
        { ...opts(host), timeout: Math.min(timeoutSeconds, 10) },
      )
    },
  }
}
