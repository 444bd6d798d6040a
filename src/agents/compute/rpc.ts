/**
 * The compute agent's messages on the bus, versioned: what the conductor (and the API,
 * for a few reads) sends an agent on topic `compute`, server `<host>`, and what an agent
 * reports back to topic `conductor`. The only contract between agents and the control
 * plane; field names are snake_case, as upstream's RPC arguments are.
 *
 *   conductor ── cast/call compute.<host> ──▶ agent   namespace `compute`, 1.0
 *   conductor ◀── cast conductor ─────────── agent   namespace `compute_reports`, 1.0
 *
 * A method sent as a `call` runs to the end and replies with the guest's state (or the
 * error: a RemoteError with the agent's error code). Sent as a `cast`, the long ones
 * (build, power operations, terminate) are accepted at once and run in the background,
 * so one conductor's casts to a host do not wait for each other; their progress and
 * outcome reach the sender's topic as `instance_update` / `build_failed` reports. A call
 * gets none: its reply is the outcome (and Cloudlet's conductor only calls).
 *
 * Versions: a new optional argument or a new method is a minor bump; the agent accepts
 * any 1.x up to its own. A conductor pinned below (`versionCap`) keeps to the old forms.
 */
import type { Bus, ClientSendOptions, RpcClient } from '../../kernel/bus/index.js'
import type { InstanceSpec, PowerState, RebootType } from './drivers/driver.js'

export const COMPUTE_TOPIC = 'compute'
/** The service registry's binary name for an agent, as upstream spells it. */
export const COMPUTE_BINARY = 'nova-compute'
export const COMPUTE_NAMESPACE = 'compute'
/**
 * 1.0: build_and_run_instance, terminate_instance, start/stop/reboot/pause/unpause/
 * suspend/resume_instance, snapshot_instance, get_console_output, get_instance_state,
 * get_host_uptime, get_host_utilisation, set_host_enabled, live_migration,
 * prep_resize (refused until migrations exist).
 * 1.1: rebuild_instance, get_diagnostics, set_admin_password.
 * 1.2: the moves (operations.ts): check_can_receive, resize_instance, finish_resize,
 * confirm_resize, revert_resize, finish_revert_resize, pre_live_migration,
 * live_migration, live_migration_abort, live_migration_force_complete,
 * post_live_migration_at_destination, rollback_live_migration_at_destination,
 * rescue_instance, unrescue_instance, shelve_instance, shelve_offload_instance,
 * trigger_crash_dump.
 */
export const COMPUTE_RPC_VERSION = '1.2'

export const CONDUCTOR_TOPIC = 'conductor'
export const COMPUTE_REPORTS_NAMESPACE = 'compute_reports'
/** 1.0: instance_update, build_failed. */
export const COMPUTE_REPORTS_VERSION = '1.0'

/** A guest as the conductor describes it to the agent (from the instance and its flavor). */
export interface InstanceMessage {
  uuid: string
  name?: string
  project_id?: string
  user_id?: string
  vcpus: number
  memory_mb: number
  root_gb: number
  ephemeral_gb?: number
  swap_mb?: number
  image?: { id: string; disk_format?: string; properties?: Record<string, string> }
  extra_specs?: Record<string, string>
  user_data?: string
  /** PCI addresses on this host the claim gave the guest. */
  pci_devices?: string[]
  /** `hw:mem_encryption`: the guest takes one SEV key slot. */
  mem_encryption?: boolean
}

/** A port the guest plugs (upstream's VIF in the network info). */
export interface VifMessage {
  id: string
  network_id: string
  mac_address: string
}

export interface BuildAndRunInstanceArgs {
  instance: InstanceMessage
  /** Which try this is (1 for the first host); echoed in `build_failed`. @default 1 */
  attempt?: number
  /** The ports bound to this host for the guest; each plugged VIF is reported. */
  network_info?: VifMessage[]
}

export interface InstanceArgs {
  instance_uuid: string
}

/** Rebuild: the guest is destroyed and spawned again from `instance` (its new image). */
export interface RebuildInstanceArgs {
  instance: InstanceMessage
  /** Keep the ephemeral disk (the fake driver keeps nothing else either). @default false */
  preserve_ephemeral?: boolean
}

/** A move's destination check: the guest as it will be there (its new flavor). */
export interface CheckCanReceiveArgs {
  instance: InstanceMessage
  kind: 'resize' | 'live'
}

/** A move's transfer from the source. */
export interface MoveFromArgs extends InstanceArgs {
  destination: string
}

/** The guest defined at the destination (or again at the source, on a revert). */
export interface FinishMoveArgs {
  instance: InstanceMessage
  power_on: boolean
}

export interface PostLiveMigrationArgs extends InstanceArgs {
  power_state: PowerState
}

export interface RescueInstanceArgs extends InstanceArgs {
  rescue_image_ref: string
}

export interface SetAdminPasswordArgs extends InstanceArgs {
  new_pass: string
}

export interface ConsoleOutputArgs extends InstanceArgs {
  /** Only the last this many lines. @default every line */
  length?: number
}

/** A guest's diagnostics in upstream's standard form (2.48), filled from the driver. */
export interface DiagnosticsReply {
  state: string
  driver: string
  hypervisor: string | null
  hypervisor_os: string | null
  uptime: number | null
  num_cpus: number
  num_disks: number
  memory_details: { maximum: number | null; used: number | null }
  cpu_details: { id: number | null; time: number | null; utilisation: number | null }[]
  disk_details: {
    read_bytes: number | null
    read_requests: number | null
    write_bytes: number | null
    write_requests: number | null
    errors_count: number | null
  }[]
}

export interface TerminateInstanceArgs extends InstanceArgs {
  /** Drop the guest's allocations in placement once it is gone. @default true */
  delete_allocations?: boolean
}

export interface StopInstanceArgs extends InstanceArgs {
  /** Ask the guest to shut down first (the fake driver always may). @default true */
  clean_shutdown?: boolean
}

export interface RebootInstanceArgs extends InstanceArgs {
  reboot_type: RebootType
}

export interface SetHostEnabledArgs {
  enabled: boolean
}

export interface HostUtilisationArgs {
  /** Only samples from the last this many seconds. @default every sample kept */
  window_seconds?: number
}

/** Upstream's vm_state values the agent reports. */
export type VmState = 'building' | 'active' | 'stopped' | 'paused' | 'suspended' | 'error' | 'deleted'

/** Upstream's task_state values the agent sets while it works; null when done. */
export type TaskState = 'spawning' | null

/** A guest's state after an operation: the reply to a call, and `instance_update`'s body. */
export interface InstanceStateReport {
  instance_uuid: string
  host: string
  /** The compute node (the root provider's name); the host itself for the fake driver. */
  node: string
  vm_state: VmState
  task_state: TaskState
  power_state: PowerState
  /** ISO 8601: the guest became ACTIVE (builds only). */
  launched_at?: string
  /** ISO 8601: the guest is gone (terminate only). */
  terminated_at?: string
}

/** A build that did not make it; the conductor reschedules or puts the guest in ERROR. */
export interface BuildFailedReport {
  instance_uuid: string
  host: string
  node: string
  attempt: number
  /** The failure, for the server's fault. */
  reason: string
  /** The error's stable code, e.g. `compute.instance.build_failed`. */
  code: string
  /** Another host may succeed (a hypervisor failure), unlike a request no host can run. */
  reschedulable: boolean
}

/** What a build sent as a cast answers at once. */
export interface Accepted {
  accepted: true
  instance_uuid: string
}

export interface SnapshotReply {
  disk_format: string
  container_format: string
  size: number
  /** The image bytes, base64. NOTE: the agent will upload to the image service itself once one is wired. */
  data: string
}

export interface UtilisationReply {
  host: string
  samples: Array<{ timestamp: string; cpu_percent: number; memory_used_mb: number; memory_total_mb: number }>
}

/** The guest the driver gets from a message. */
export function toInstanceSpec(m: InstanceMessage): InstanceSpec {
  return {
    uuid: m.uuid,
    ...(m.name === undefined ? {} : { name: m.name }),
    vcpus: m.vcpus,
    memoryMb: m.memory_mb,
    diskGb: m.root_gb + (m.ephemeral_gb ?? 0) + Math.ceil((m.swap_mb ?? 0) / 1024),
    ...(m.image
      ? {
          image: {
            id: m.image.id,
            ...(m.image.disk_format ? { diskFormat: m.image.disk_format } : {}),
            ...(m.image.properties ? { properties: m.image.properties } : {}),
          },
        }
      : {}),
    ...(m.extra_specs ? { extraSpecs: m.extra_specs } : {}),
    ...(m.user_data ? { userData: m.user_data } : {}),
    ...(m.pci_devices ? { pciDevices: m.pci_devices } : {}),
    ...(m.mem_encryption ? { memEncryption: true } : {}),
  }
}

/**
 * The conductor's typed client for agents: one method per message, sent to the agent of
 * `host`. `wait: true` sends a call (the reply is the outcome), otherwise a cast.
 */
export class ComputeRpcClient {
  private readonly rpc: RpcClient

  constructor(bus: Bus, options: { versionCap?: string } = {}) {
    this.rpc = bus.client({
      topic: COMPUTE_TOPIC,
      namespace: COMPUTE_NAMESPACE,
      ...(options.versionCap ? { versionCap: options.versionCap } : {}),
    })
  }

  buildAndRunInstance(
    host: string,
    args: BuildAndRunInstanceArgs,
    options: SendOpts & { wait: true },
  ): Promise<InstanceStateReport>
  buildAndRunInstance(host: string, args: BuildAndRunInstanceArgs, options?: SendOpts): Promise<void>
  buildAndRunInstance(host: string, args: BuildAndRunInstanceArgs, options: SendOpts = {}) {
    return this.send('build_and_run_instance', host, args, options)
  }

  terminateInstance(host: string, args: TerminateInstanceArgs, options: SendOpts = {}) {
    return this.send('terminate_instance', host, args, options)
  }

  stopInstance(host: string, args: StopInstanceArgs, options: SendOpts = {}) {
    return this.send('stop_instance', host, args, options)
  }

  startInstance(host: string, args: InstanceArgs, options: SendOpts = {}) {
    return this.send('start_instance', host, args, options)
  }

  rebootInstance(host: string, args: RebootInstanceArgs, options: SendOpts = {}) {
    return this.send('reboot_instance', host, args, options)
  }

  getInstanceState(host: string, args: InstanceArgs, options: Omit<SendOpts, 'wait'> = {}) {
    return this.rpc.call<InstanceStateReport>('get_instance_state', args, { ...options, server: host })
  }

  setHostEnabled(host: string, args: SetHostEnabledArgs, options: Omit<SendOpts, 'wait'> = {}) {
    return this.rpc.call<{ enabled: boolean }>('set_host_enabled', args, { ...options, server: host })
  }

  getHostUtilisation(host: string, args: HostUtilisationArgs = {}, options: Omit<SendOpts, 'wait'> = {}) {
    return this.rpc.call<UtilisationReply>('get_host_utilisation', args, { ...options, server: host })
  }

  private send(method: string, host: string, args: object, options: SendOpts): Promise<unknown> {
    const { wait, ...rest } = options
    const send = { version: COMPUTE_RPC_VERSION, ...rest, server: host }
    return wait ? this.rpc.call(method, args, send) : this.rpc.cast(method, args, send)
  }
}

export type SendOpts = Omit<ClientSendOptions, 'server'> & { wait?: boolean }
