/**
 * One compute agent: the process-side owner of one hypervisor host. It
 *
 * - keeps the host's provider tree in placement (provider-tree.ts says what it should
 *   be; this file writes it, compare-and-swap on generations, retrying on conflicts),
 *   at start and every `[DEFAULT] update_resources_interval`;
 * - records the host in the service registry (`nova-compute`, topic `compute`) and
 *   heartbeats every `[DEFAULT] report_interval` while the hypervisor answers; a host
 *   that goes down stops heartbeating and serving, so it shows down after
 *   `service_down_time`, and comes back by itself when the hypervisor does;
 * - serves the `compute` RPC interface (rpc.ts) on topic `compute`, server `<host>`,
 *   calling the driver and reporting each guest's new state to the conductor;
 * - samples the host's utilisation at each resource update and keeps a day of samples
 *   (`get_host_utilisation`); with `[DEFAULT] compute_monitors = cpu.virt_driver` it also
 *   publishes each sample as a `compute.metrics.update` notification (see README.md for why both).
 *
 * start-agents.ts starts many of these in one process.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { Bus, MessageInfo, RpcServer } from '../../kernel/bus/index.js'
import type { TaskGroup } from '../../kernel/host/index.js'
import type { ServiceRegistry } from '../../kernel/registry/index.js'
import { type ComputeAgentConfig, updateIntervalMs } from './config.js'
import {
  type ComputeDriver,
  type InstanceInfo,
  POWER_STATE_NAMES,
  PowerState,
  type UtilisationSample,
} from './drivers/driver.js'
import { InstanceBuildFailed, InstanceExists, ProviderUpdateConflict } from './errors.js'
import { operationMethods } from './operations.js'
import { GenerationConflict, type Inventories, type PlacementClient } from './placement-client.js'
import { mergeTraits, type ProviderPlan, planTree, providerUuid, sameInventories } from './provider-tree.js'
import {
  type Accepted,
  type BuildAndRunInstanceArgs,
  type BuildFailedReport,
  COMPUTE_BINARY,
  COMPUTE_NAMESPACE,
  COMPUTE_REPORTS_NAMESPACE,
  COMPUTE_REPORTS_VERSION,
  COMPUTE_RPC_VERSION,
  COMPUTE_TOPIC,
  CONDUCTOR_TOPIC,
  type ConsoleOutputArgs,
  type DiagnosticsReply,
  type HostUtilisationArgs,
  type InstanceArgs,
  type InstanceStateReport,
  type RebootInstanceArgs,
  type RebuildInstanceArgs,
  type SetAdminPasswordArgs,
  type SetHostEnabledArgs,
  type SnapshotReply,
  type TerminateInstanceArgs,
  toInstanceSpec,
  type UtilisationReply,
  type VifMessage,
  type VmState,
} from './rpc.js'
import type { VifEventSink } from './vif-events.js'

/** The options an agent reads: its own `[DEFAULT]` ones and the host's. */
export type AgentConfig = Pick<ComputeAgentConfig, 'DEFAULT'>

export interface ComputeAgentDeps {
  driver: ComputeDriver
  bus: Bus
  placement: PlacementClient
  /** Where the agent records itself; without one it neither registers nor heartbeats. */
  registry?: ServiceRegistry
  /** The host's background work for the module; the agent's periodic jobs go on it. */
  tasks: TaskGroup
  logger: Logger
  config: AgentConfig
  /** Where plugged VIFs are reported (vif-events.ts); without it nothing is posted. */
  vifEvents?: VifEventSink
}

/** Attempts at writing a provider before giving up until the next update. */
const MAX_CONFLICT_ATTEMPTS = 4
/** A cached provider is read again after this long even without a conflict. */
const PROVIDER_REFRESH_MS = 300_000
/** Samples kept: a day at the default update interval. */
const SAMPLES_KEPT = 1440

interface CachedProvider {
  uuid: string
  generation: number
  inventories: Inventories
  traits: string[]
  readAt: number
}

/** Counters a test or `/metrics` can read. */
export interface AgentStats {
  resourceUpdates: number
  generationConflicts: number
  heartbeats: number
  builds: number
  buildFailures: number
}

export class ComputeAgent {
  readonly host: string
  readonly stats: AgentStats = {
    resourceUpdates: 0,
    generationConflicts: 0,
    heartbeats: 0,
    builds: 0,
    buildFailures: 0,
  }
  readonly driver: ComputeDriver
  private readonly deps: ComputeAgentDeps
  private readonly log: Logger
  private server: RpcServer | undefined
  private serviceId: string | undefined
  private up = false
  private stopped = false
  private disabled = false
  private readonly providers = new Map<string, CachedProvider>()
  private readonly knownClasses = new Set<string>()
  private readonly samples: UtilisationSample[] = []
  private readonly locks = new Map<string, Promise<unknown>>()
  private readonly builds: Semaphore
  private readonly startedAt = Date.now()
  private updating: Promise<void> | undefined
  private firstUpdate: Promise<void> | undefined
  private treeChecked = false
  private rootCreated = false

  constructor(deps: ComputeAgentDeps) {
    this.deps = deps
    this.driver = deps.driver
    this.host = deps.driver.host
    this.log = deps.logger.child({ host: this.host })
    this.builds = new Semaphore(deps.config.DEFAULT.max_concurrent_builds)
  }

  /** Whether the agent heartbeats and serves now. */
  get isUp(): boolean {
    return this.up
  }

  /** The root provider's uuid once known. */
  get rootProviderUuid(): string | undefined {
    return this.providers.get(this.host)?.uuid
  }

  /** Starts the agent; a host whose hypervisor is down starts serving once it is up. */
  async start(): Promise<void> {
    await this.driver.init()
    if (this.driver.alive()) await this.comeUp()
    else this.log.warn('the hypervisor is down: not registering until it answers')
    const { tasks, config } = this.deps
    tasks.every(`${this.host} heartbeat`, config.DEFAULT.report_interval * 1000, () => this.heartbeat())
    const interval = updateIntervalMs(config.DEFAULT)
    if (interval !== undefined)
      tasks.every(`${this.host} update resources`, interval, () => this.updateResources())
  }

  /** Stops serving; the periodic jobs end with the host's task group. */
  async stop(deadlineMs = 2000): Promise<void> {
    this.stopped = true
    await this.goDown(deadlineMs)
    await this.updating?.catch(() => {})
  }

  /**
   * One heartbeat: records the host alive, or notices the hypervisor went down (stop
   * serving, no heartbeat) or came back (register, serve, update resources).
   */
  async heartbeat(): Promise<void> {
    if (this.stopped) return
    if (!this.driver.alive()) {
      if (this.up) {
        this.log.warn('the hypervisor stopped answering: no more heartbeats until it does')
        await this.goDown()
      }
      return
    }
    if (!this.up) {
      await this.comeUp()
      return
    }
    if (this.serviceId && this.deps.registry) {
      await this.deps.registry.heartbeat(this.serviceId)
      this.stats.heartbeats++
    }
  }

  /**
   * Brings placement in line with the host (resources, traits, disabled status) and takes
   * a utilisation sample. Runs once at a time; a call during a run waits for it.
   */
  updateResources(): Promise<void> {
    if (this.stopped || !this.driver.alive()) return Promise.resolve()
    if (!this.updating)
      this.updating = this.runUpdate().finally(() => {
        this.updating = undefined
      })
    return this.updating
  }

  /** The samples of the last `windowSeconds` (all kept ones without). */
  utilisationSamples(windowSeconds?: number): UtilisationSample[] {
    if (windowSeconds === undefined) return [...this.samples]
    const since = Date.now() - windowSeconds * 1000
    return this.samples.filter((s) => Date.parse(s.timestamp) >= since)
  }

  // --- registry and RPC server ---

  private async comeUp(): Promise<void> {
    const { registry, bus } = this.deps
    if (registry) {
      const record = await registry.register({
        host: this.host,
        binary: COMPUTE_BINARY,
        topic: COMPUTE_TOPIC,
      })
      this.serviceId = record.id
      this.disabled = record.disabled
    }
    this.server = await bus.serve({ topic: COMPUTE_TOPIC, server: this.host }, [
      { namespace: COMPUTE_NAMESPACE, version: COMPUTE_RPC_VERSION, methods: this.methods() },
    ])
    this.up = true
    // NOTE: in the background, tried again with backoff: placement may not answer yet (the
    // process's own HTTP app is built after every module has started; another process's
    // placement may still be starting), and a host must not wait a whole update period.
    this.firstUpdate = this.deps.tasks.spawn(`${this.host} first resource update`, () => this.initialUpdate())
  }

  private async initialUpdate(): Promise<void> {
    for (let attempt = 0; !this.stopped && this.up; attempt++) {
      try {
        await this.updateResources()
        return
      } catch (err) {
        const wait = Math.min(10_000, 50 * 2 ** attempt)
        if (attempt >= 3) this.log.warn({ err, retryInMs: wait }, 'the resource update failed; trying again')
        await sleep(wait)
      }
    }
  }

  /** Resolves once the host's tree is in placement after it came up (or it stopped trying). */
  async ready(): Promise<void> {
    await this.firstUpdate
  }

  private async goDown(deadlineMs = 2000): Promise<void> {
    this.up = false
    const server = this.server
    this.server = undefined
    await server?.stop(deadlineMs)
  }

  // --- placement ---

  private async runUpdate(): Promise<void> {
    const resources = this.driver.resources()
    if (this.serviceId && this.deps.registry) {
      const record = await this.deps.registry.get(this.serviceId)
      if (record) this.disabled = record.disabled
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writeTree(resources)
        break
      } catch (error) {
        if (!(error instanceof GenerationConflict)) throw error
        this.stats.generationConflicts++
        // NOTE: someone else (an operator, another process) changed the provider since we
        // read it: forget what we knew, read it again, and redo the write on top.
        this.providers.delete(this.nameOf(error.provider) ?? '')
        if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ProviderUpdateConflict(error.provider, attempt)
        await sleep(5 * 2 ** attempt * (0.5 + Math.random()))
      }
    }
    this.stats.resourceUpdates++
    this.sample()
  }

  private nameOf(uuid: string): string | undefined {
    for (const [name, p] of this.providers) if (p.uuid === uuid) return name
    return undefined
  }

  private async writeTree(resources: ReturnType<ComputeDriver['resources']>): Promise<void> {
    const { placement, config } = this.deps
    const root = await this.provider({ name: this.host, uuid: providerUuid(this.host) })
    const plan = planTree({
      host: this.host,
      resources,
      capabilities: this.driver.capabilities,
      disabled: this.disabled,
      options: config.DEFAULT,
      ...(Object.keys(root.inventories).length ? { current: root.inventories } : {}),
    })
    for (const rc of plan.customResourceClasses) {
      if (this.knownClasses.has(rc)) continue
      await placement.ensureResourceClass(rc)
      this.knownClasses.add(rc)
    }
    await this.writeProvider(root, plan.root)
    for (const child of plan.children) {
      const cached = await this.provider({ ...child, parentUuid: root.uuid })
      await this.writeProvider(cached, child)
    }
    await this.pruneChildren(root.uuid, plan.children)
  }

  /** The provider as last read, reading (and creating) it when unknown or stale. */
  private async provider(plan: Pick<ProviderPlan, 'name' | 'uuid' | 'parentUuid'>): Promise<CachedProvider> {
    const cached = this.providers.get(plan.name)
    if (cached && Date.now() - cached.readAt < PROVIDER_REFRESH_MS) return cached
    const { placement } = this.deps
    // NOTE: names are unique in placement, so one lookup finds the provider whatever its
    // uuid (one an earlier version or an operator created); a new one is known to be empty
    // and needs no further read.
    const existing = await placement.providerByName(plan.name)
    let fresh: CachedProvider
    if (existing) {
      fresh = await this.read(existing.uuid)
    } else {
      const created = await placement.createProvider({
        uuid: plan.uuid,
        name: plan.name,
        ...(plan.parentUuid ? { parentProviderUuid: plan.parentUuid } : {}),
      })
      if (created) {
        fresh = {
          uuid: created.uuid,
          generation: created.generation,
          inventories: {},
          traits: [],
          readAt: Date.now(),
        }
        if (plan.name === this.host) this.rootCreated = true
      } else {
        // Created meanwhile by someone else (another agent process of this host).
        const raced = await placement.providerByName(plan.name)
        if (!raced) throw new Error(`resource provider ${plan.name} could neither be created nor found`)
        fresh = await this.read(raced.uuid)
      }
    }
    this.providers.set(plan.name, fresh)
    return fresh
  }

  private async read(uuid: string): Promise<CachedProvider> {
    const inv = await this.deps.placement.inventories(uuid)
    const traits = await this.deps.placement.traits(uuid)
    return {
      uuid,
      generation: traits.generation,
      inventories: inv.inventories,
      traits: traits.traits,
      readAt: Date.now(),
    }
  }

  private async writeProvider(cached: CachedProvider, plan: ProviderPlan): Promise<void> {
    const { placement } = this.deps
    if (!sameInventories(cached.inventories, plan.inventories)) {
      cached.generation = await placement.putInventories(cached.uuid, cached.generation, plan.inventories)
      cached.inventories = plan.inventories
    }
    const traits = mergeTraits(cached.traits, plan.traits)
    if (traits.join() !== [...cached.traits].sort().join()) {
      cached.generation = await placement.putTraits(cached.uuid, cached.generation, traits)
      cached.traits = traits
    }
  }

  /** Deletes child providers of devices the host no longer has (when nothing uses them). */
  private async pruneChildren(rootUuid: string, children: readonly ProviderPlan[]): Promise<void> {
    const wanted = new Set(children.map((c) => c.name))
    const stale = [...this.providers.keys()].filter(
      (name) => name !== this.host && !wanted.has(name) && name.startsWith(`${this.host}_`),
    )
    // NOTE: placement is listed only when a device went away since the last update, or
    // once for a root left from an earlier run (it may hold children of devices this
    // run's configuration no longer has); a root created now has no children to check.
    const firstCheck = !this.treeChecked
    this.treeChecked = true
    if (stale.length === 0 && !(firstCheck && !this.rootCreated)) return
    for (const p of await this.deps.placement.tree(rootUuid)) {
      if (p.uuid === rootUuid || wanted.has(p.name) || !p.name.startsWith(`${this.host}_`)) continue
      if (await this.deps.placement.deleteProvider(p.uuid)) this.log.info({ provider: p.name }, 'device gone')
      this.providers.delete(p.name)
    }
  }

  // --- utilisation ---

  private sample(): void {
    let s: UtilisationSample
    try {
      s = this.driver.utilisation()
    } catch {
      return
    }
    this.samples.push(s)
    if (this.samples.length > SAMPLES_KEPT) this.samples.splice(0, this.samples.length - SAMPLES_KEPT)
    if (!this.deps.config.DEFAULT.compute_monitors.includes('cpu.virt_driver')) return
    const source = `${this.driver.type}.virt_driver`
    const metric = (name: string, value: number) => ({ name, value, timestamp: s.timestamp, source })
    void this.deps.bus
      .notify({
        publisherId: `${COMPUTE_BINARY}:${this.host}`,
        eventType: 'compute.metrics.update',
        priority: 'info',
        payload: {
          name: 'MetricsPayload',
          version: '1.0',
          data: {
            host: this.host,
            nodename: this.host,
            metrics: [
              metric('cpu.percent', s.cpuPercent),
              metric('memory.used_mb', s.memoryUsedMb),
              metric('memory.total_mb', s.memoryTotalMb),
              metric('instances.running', s.running),
            ],
          },
        },
      })
      .catch((err: unknown) => this.log.warn({ err }, 'compute.metrics.update could not be published'))
  }

  // --- the RPC interface ---

  private methods() {
    return {
      build_and_run_instance: (args: BuildAndRunInstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance.uuid, (tell) => this.build(args, tell)),
      terminate_instance: (args: TerminateInstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) => this.terminate(args, tell)),
      stop_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.powerOff(u)),
        ),
      start_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.powerOn(u)),
        ),
      reboot_instance: (args: RebootInstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) =>
            this.driver.reboot(u, args.reboot_type === 'SOFT' ? 'SOFT' : 'HARD'),
          ),
        ),
      pause_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.pause(u)),
        ),
      unpause_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.unpause(u)),
        ),
      suspend_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.suspend(u)),
        ),
      resume_instance: (args: InstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.resume(u)),
        ),
      snapshot_instance: (args: InstanceArgs): Promise<SnapshotReply> =>
        this.locked(args.instance_uuid, async () => {
          const snap = await this.driver.snapshot(args.instance_uuid)
          return {
            disk_format: snap.diskFormat,
            container_format: snap.containerFormat,
            size: snap.data.byteLength,
            data: Buffer.from(snap.data).toString('base64'),
          }
        }),
      set_admin_password: (args: SetAdminPasswordArgs, info: MessageInfo) =>
        this.accept(info, args.instance_uuid, (tell) =>
          this.power(args.instance_uuid, tell, (u) => this.driver.setAdminPassword(u, args.new_pass)),
        ),
      rebuild_instance: (args: RebuildInstanceArgs, info: MessageInfo) =>
        this.accept(info, args.instance.uuid, (tell) => this.rebuild(args, tell)),
      get_console_output: async (args: ConsoleOutputArgs) => {
        const output = await this.driver.consoleOutput(args.instance_uuid)
        if (args.length === undefined || args.length < 0) return { output }
        // the last `length` pieces between newlines, as upstream's compute tails the log
        return { output: args.length === 0 ? '' : output.split('\n').slice(-args.length).join('\n') }
      },
      get_diagnostics: async (args: InstanceArgs): Promise<DiagnosticsReply> =>
        this.diagnostics(args.instance_uuid),
      get_instance_state: async (args: InstanceArgs) => this.report(this.driver.getInfo(args.instance_uuid)),
      get_host_uptime: async () => ({
        uptime: `up ${Math.floor((Date.now() - this.startedAt) / 1000)} s, ${this.driver.listInstances().length} guests`,
      }),
      get_host_utilisation: async (args: HostUtilisationArgs): Promise<UtilisationReply> => ({
        host: this.host,
        samples: this.utilisationSamples(args.window_seconds).map((s) => ({
          timestamp: s.timestamp,
          cpu_percent: s.cpuPercent,
          memory_used_mb: s.memoryUsedMb,
          memory_total_mb: s.memoryTotalMb,
        })),
      }),
      set_host_enabled: async (args: SetHostEnabledArgs) => {
        // NOTE: the API records the change in the registry first; this makes placement
        // follow now instead of at the next periodic update, which reads it again anyway.
        // (an update already running may have read the old status: this one follows it)
        await this.updating?.catch(() => {})
        this.disabled = !args.enabled
        await this.updateResources()
        return { enabled: args.enabled }
      },
      ...operationMethods({
        driver: this.driver,
        locked: (uuid, work) => this.locked(uuid, work),
        report: (info) => this.report(info),
      }),
    }
  }

  /**
   * Runs a long operation: to the end for a call (its reply is the outcome), in the
   * background for a cast, so a conductor's casts to this host do not queue behind each
   * other (the bus runs one sender's casts to a server one at a time).
   */
  private async accept<T>(
    info: MessageInfo,
    uuid: string,
    work: (tell: Tell) => Promise<T>,
  ): Promise<T | Accepted> {
    // NOTE: a caller learns the outcome from the reply; only a cast's sender needs the
    // reports (a report nobody serves would be dead-lettered on every operation).
    if (info.kind === 'call') return this.locked(uuid, () => work(silent))
    const tell: Tell = (method, report) => this.tell(method, report)
    void this.deps.tasks.spawn(`${this.host} ${uuid}`, async () => {
      await this.locked(uuid, () => work(tell))
    })
    return { accepted: true, instance_uuid: uuid }
  }

  /** Operations on one guest run one at a time, in arrival order. */
  private locked<T>(uuid: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(uuid) ?? Promise.resolve()
    const run = before.catch(() => {}).then(work)
    const tail = run.catch(() => {})
    this.locks.set(uuid, tail)
    void tail.then(() => {
      if (this.locks.get(uuid) === tail) this.locks.delete(uuid)
    })
    return run
  }

  private async build(args: BuildAndRunInstanceArgs, tell: Tell): Promise<InstanceStateReport> {
    const spec = toInstanceSpec(args.instance)
    const release = await this.builds.acquire()
    try {
      this.stats.builds++
      await tell('instance_update', {
        ...this.base(spec.uuid),
        vm_state: 'building',
        task_state: 'spawning',
        power_state: PowerState.NOSTATE,
      })
      let info: InstanceInfo
      try {
        info = await this.driver.spawn(spec)
      } catch (error) {
        this.stats.buildFailures++
        const reason = error instanceof Error ? error.message : String(error)
        // NOTE: a duplicate build is the request's fault and would fail anywhere alike;
        // anything the hypervisor got wrong another host may get right.
        const reschedulable = !(error instanceof InstanceExists)
        const failure: BuildFailedReport = {
          ...this.base(spec.uuid),
          attempt: args.attempt ?? 1,
          reason,
          code: (error as { code?: string }).code ?? 'compute.instance.build_failed',
          reschedulable,
        }
        await tell('build_failed', failure)
        throw new InstanceBuildFailed(spec.uuid, this.host, reason, reschedulable)
      }
      await this.reportVifs(spec.uuid, args.network_info ?? [])
      const report = { ...this.report(info), launched_at: new Date().toISOString() }
      await tell('instance_update', report)
      return report
    } finally {
      release()
    }
  }

  /**
   * The guest's ports are plugged: network-vif-plugged for each. A report that does not
   * arrive does not fail the build (upstream's vif_plugging_is_fatal applies to the
   * network agent's wiring, which is simulated here); it is logged.
   */
  private async reportVifs(uuid: string, vifs: readonly VifMessage[]): Promise<void> {
    if (!this.deps.vifEvents || vifs.length === 0) return
    await this.deps
      .vifEvents(uuid, vifs)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, instance: uuid }, 'network-vif-plugged not reported'),
      )
  }

  /** Rebuild: the guest goes and comes back from the new image, on this host, running. */
  private async rebuild(args: RebuildInstanceArgs, tell: Tell): Promise<InstanceStateReport> {
    const spec = toInstanceSpec(args.instance)
    await this.driver.destroy(spec.uuid)
    const report = this.report(await this.driver.spawn(spec))
    await tell('instance_update', report)
    return report
  }

  private diagnostics(uuid: string): DiagnosticsReply {
    const info = this.driver.getInfo(uuid)
    const uptime = info.startedAt
      ? Math.max(0, Math.floor((Date.now() - Date.parse(info.startedAt)) / 1000))
      : 0
    const perCpu = Math.round((info.cpuTimeSeconds * 1e9) / Math.max(1, info.vcpus))
    return {
      state: POWER_STATE_NAMES[info.powerState],
      // NOTE: upstream's diagnostics name one of its real drivers (the schema allows no
      // other); its own fake driver says `libvirt` too.
      driver: 'libvirt',
      hypervisor: this.driver.type,
      hypervisor_os: 'linux',
      uptime,
      num_cpus: info.vcpus,
      num_disks: 1,
      memory_details: {
        maximum: info.memoryMb,
        used: info.powerState === PowerState.RUNNING ? info.memoryMb : 0,
      },
      cpu_details: Array.from({ length: info.vcpus }, (_, id) => ({ id, time: perCpu, utilisation: null })),
      disk_details: [{ read_bytes: 0, read_requests: 0, write_bytes: 0, write_requests: 0, errors_count: 0 }],
    }
  }

  private async terminate(args: TerminateInstanceArgs, tell: Tell): Promise<InstanceStateReport> {
    await this.driver.destroy(args.instance_uuid)
    if (args.delete_allocations !== false) await this.deps.placement.deleteAllocations(args.instance_uuid)
    const report: InstanceStateReport = {
      ...this.base(args.instance_uuid),
      vm_state: 'deleted',
      task_state: null,
      power_state: PowerState.NOSTATE,
      terminated_at: new Date().toISOString(),
    }
    await tell('instance_update', report)
    return report
  }

  private async power(
    uuid: string,
    tell: Tell,
    op: (uuid: string) => Promise<InstanceInfo>,
  ): Promise<InstanceStateReport> {
    const report = this.report(await op(uuid))
    await tell('instance_update', report)
    return report
  }

  private base(uuid: string) {
    return { instance_uuid: uuid, host: this.host, node: this.host }
  }

  private report(info: InstanceInfo): InstanceStateReport {
    return {
      ...this.base(info.uuid),
      vm_state: vmStateOf(info.powerState),
      task_state: null,
      power_state: info.powerState,
    }
  }

  /** Casts a report to the conductor; a lost report is logged, not the operation's failure. */
  private async tell(method: 'instance_update' | 'build_failed', report: object): Promise<void> {
    try {
      await this.deps.bus.cast({ topic: CONDUCTOR_TOPIC }, method, report, {
        namespace: COMPUTE_REPORTS_NAMESPACE,
        version: COMPUTE_REPORTS_VERSION,
      })
    } catch (err) {
      this.log.warn({ err, method }, 'a report to the conductor could not be sent')
    }
  }
}

/** The vm_state a power state means once no task runs. */
export function vmStateOf(power: PowerState): VmState {
  switch (power) {
    case PowerState.RUNNING:
      return 'active'
    case PowerState.PAUSED:
      return 'paused'
    case PowerState.SUSPENDED:
      return 'suspended'
    case PowerState.SHUTDOWN:
    case PowerState.CRASHED:
      return 'stopped'
    default:
      return 'building'
  }
}

/** Reports an operation's progress and outcome to the conductor (for casts only). */
type Tell = (method: 'instance_update' | 'build_failed', report: object) => Promise<void>
const silent: Tell = async () => {}

/** At most `limit` holders at once (0: no limit); the rest wait in order. */
class Semaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    // NOTE: a released slot passes straight to the next waiter, so no newcomer can take
    // it in between and the limit holds.
    if (this.limit > 0 && this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r))
    else this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
