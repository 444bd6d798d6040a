/**
 * The fake driver: an in-memory hypervisor for one simulated host. It keeps guests and
 * their power states, takes configurable time per operation, and can be made to fail, so
 * everything above it (agent, conductor, scheduler, API) runs as against a real host.
 *
 * What it promises, as a real hypervisor would (fake-driver.test.ts checks each row):
 *
 *   operation   from power state                     to          otherwise
 *   spawn       (no such guest)                      RUNNING     InstanceExists
 *   power_off   RUNNING PAUSED SUSPENDED CRASHED      SHUTDOWN    (SHUTDOWN: no-op)
 *   power_on    SHUTDOWN CRASHED                     RUNNING     (RUNNING: no-op) invalid
 *   reboot SOFT RUNNING                              RUNNING     invalid (a soft reboot
 *                                                                 needs a running guest)
 *   reboot HARD any                                  RUNNING
 *   pause       RUNNING                              PAUSED      invalid
 *   unpause     PAUSED                               RUNNING     invalid
 *   suspend     RUNNING PAUSED                       SUSPENDED   invalid
 *   resume      SUSPENDED                            RUNNING     invalid
 *   destroy     any (an unknown uuid too)            (gone)
 *   snapshot    any                                  unchanged   raw image bytes
 *   set admin password RUNNING                       unchanged   invalid
 *
 * Any operation on an unknown uuid (but destroy) is InstanceNotFound; on a host that is
 * down, HypervisorUnavailable. A spawn that asks for an SEV slot or PCI devices the host
 * does not have free fails with HostResourcesExhausted. Injected spawn failures
 * (`failNextSpawns`, a failure rate, a host in `fail_spawn_hosts`) leave no guest behind.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import {
  HostResourcesExhausted,
  HypervisorUnavailable,
  InstanceExists,
  InstanceNotFound,
  InstancePowerStateInvalid,
  MigrationAborted,
} from '../../errors.js'
import {
  type ComputeDriver,
  type DriverCapabilities,
  type HostResources,
  type InstanceInfo,
  type InstanceSpec,
  POWER_STATE_NAMES,
  PowerState,
  type RebootType,
  type SnapshotData,
  type UtilisationSample,
} from '../driver.js'
import type { FakeHostSpec } from './fake-config.js'
import { simulatedCpu } from './utilisation.js'

/** What the fake hypervisor can do: most things a KVM host can, no PCPUs and no vTPM. */
export const FAKE_CAPABILITIES: Readonly<DriverCapabilities> = Object.freeze({
  has_imagecache: true,
  supports_evacuate: true,
  supports_migrate_to_same_host: true,
  supports_attach_interface: true,
  supports_device_tagging: true,
  supports_tagged_attach_interface: true,
  supports_tagged_attach_volume: true,
  supports_extend_volume: true,
  supports_multiattach: true,
  supports_trusted_certs: true,
  supports_pcpus: false,
  supports_accelerators: false,
  supports_bfv_rescue: true,
  supports_vtpm: false,
  supports_socket_pci_numa_affinity: false,
  supports_remote_managed_ports: false,
  supports_address_space_passthrough: false,
  supports_address_space_emulated: false,
  supports_stateless_firmware: false,
  supports_image_type_aki: false,
  supports_image_type_ami: false,
  supports_image_type_ari: false,
  supports_image_type_iso: true,
  supports_image_type_qcow2: true,
  supports_image_type_raw: true,
  supports_image_type_vdi: false,
  supports_image_type_vhd: false,
  supports_image_type_vhdx: false,
  supports_image_type_vmdk: true,
  supports_image_type_ploop: false,
})

interface Guest {
  spec: InstanceSpec
  powerState: PowerState
  /** ms since epoch when it last entered RUNNING, while running. */
  runningSince?: number
  cpuSeconds: number
  console: string[]
}

/** The steps of a move where a failure can be injected. */
export type MoveStep = 'pre-check' | 'transfer' | 'post' | 'rescue' | 'snapshot'

export interface FakeDriverOptions {
  /** 0..1 random numbers (jitter, failure rate). @default Math.random */
  random?: () => number
  /** ms since epoch. @default Date.now */
  now?: () => number
}

const { NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED } = PowerState

export class FakeDriver implements ComputeDriver {
  readonly type = 'fake'
  readonly capabilities = FAKE_CAPABILITIES
  readonly host: string
  private readonly guests = new Map<string, Guest>()
  private down: boolean
  private slowFactor: number
  private failureRate: number
  private failNext = 0
  private failReason = 'injected spawn failure'
  private busy: number | undefined
  private readonly stepFailures = new Map<MoveStep, { count: number; reason: string }>()
  private readonly migrating = new Map<string, { abort: boolean; force: boolean }>()
  private readonly random: () => number
  private readonly now: () => number

  constructor(
    readonly spec: FakeHostSpec,
    options: FakeDriverOptions = {},
  ) {
    this.host = spec.host
    this.down = spec.startsDown
    this.slowFactor = spec.slowFactor
    this.failureRate = spec.spawnFailureRate
    this.busy = spec.load.busy
    this.random = options.random ?? Math.random
    this.now = options.now ?? Date.now
  }

  // --- failure injection (tests, `cloudlet compute --driver fake` operators) ---

  /** Takes the host down (no heartbeat, every call fails) or brings it back. */
  setDown(down: boolean): void {
    this.down = down
  }

  /** Every operation takes `factor` times its configured time. */
  setSlowFactor(factor: number): void {
    this.slowFactor = Math.max(1, factor)
  }

  /** The next `count` spawns fail with `reason`. */
  failNextSpawns(count: number, reason = 'injected spawn failure'): void {
    this.failNext = count
    this.failReason = reason
  }

  /**
   * The next `count` times a move reaches `step` on this host it fails with `reason`:
   * `pre-check` (the destination's check), `transfer` (the source's copy), `post` (the
   * destination's finish), `rescue`, or `snapshot` (the disk read for createImage).
   */
  failNextStep(step: MoveStep, count = 1, reason = `injected ${step} failure`): void {
    if (count <= 0) this.stepFailures.delete(step)
    else this.stepFailures.set(step, { count, reason })
  }

  /** 0..1: the chance any spawn fails. */
  setSpawnFailureRate(rate: number): void {
    this.failureRate = Math.min(1, Math.max(0, rate))
  }

  /** Outside load: CPU use stays near `cpu` (undefined: back to the guests' load). */
  setBusy(cpu: number | undefined): void {
    this.busy = cpu
  }

  /** The guest crashes (a kernel panic): power state CRASHED. */
  crash(uuid: string): void {
    const g = this.guest(uuid)
    this.settleCpu(g)
    g.powerState = CRASHED
    g.console.push('Kernel panic - not syncing: simulated crash')
  }

  // --- the driver contract ---

  async init(): Promise<void> {}

  alive(): boolean {
    return !this.down
  }

  resources(): HostResources {
    this.check()
    return {
      vcpus: this.spec.vcpus,
      memoryMb: this.spec.memoryMb,
      diskGb: this.spec.diskGb,
      cpuModel: this.spec.cpuModel,
      arch: this.spec.arch,
      pciDevices: this.spec.pciDevices,
      sevKeySlots: this.spec.sevKeySlots,
      hypervisorType: 'fake',
      hypervisorVersion: 1000,
    }
  }

  listInstances(): string[] {
    this.check()
    return [...this.guests.keys()]
  }

  getInfo(uuid: string): InstanceInfo {
    this.check()
    return this.info(this.guest(uuid))
  }

  async spawn(instance: InstanceSpec): Promise<InstanceInfo> {
    this.check()
    if (this.guests.has(instance.uuid)) throw new InstanceExists(instance.uuid)
    this.claimDevices(instance)
    // NOTE: the guest is defined (NOSTATE) while it builds, so a concurrent spawn of the
    // same uuid is refused and the devices it holds are not given twice.
    const guest: Guest = { spec: instance, powerState: NOSTATE, cpuSeconds: 0, console: [] }
    this.guests.set(instance.uuid, guest)
    try {
      await this.take(this.spec.timings.spawnMs)
      this.check()
      if (this.failNext > 0) {
        this.failNext--
        throw new Error(this.failReason)
      }
      if (this.failureRate > 0 && this.random() < this.failureRate) throw new Error('injected spawn failure')
    } catch (error) {
      this.guests.delete(instance.uuid)
      throw error
    }
    this.start(guest)
    return this.info(guest)
  }

  async destroy(uuid: string): Promise<void> {
    this.check()
    if (!this.guests.has(uuid)) return
    await this.take(this.spec.timings.destroyMs)
    this.guests.delete(uuid)
  }

  powerOff(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'power off', [RUNNING, PAUSED, SUSPENDED, CRASHED, SHUTDOWN], SHUTDOWN)
  }

  powerOn(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'power on', [SHUTDOWN, CRASHED, RUNNING], RUNNING)
  }

  reboot(uuid: string, type: RebootType): Promise<InstanceInfo> {
    const from = type === 'SOFT' ? [RUNNING] : [RUNNING, PAUSED, SUSPENDED, SHUTDOWN, CRASHED]
    return this.transition(
      uuid,
      `${type.toLowerCase()} reboot`,
      from,
      RUNNING,
      this.spec.timings.rebootMs,
      true,
    )
  }

  pause(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'pause', [RUNNING], PAUSED)
  }

  unpause(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'unpause', [PAUSED], RUNNING)
  }

  suspend(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'suspend', [RUNNING, PAUSED], SUSPENDED)
  }

  resume(uuid: string): Promise<InstanceInfo> {
    return this.transition(uuid, 'resume', [SUSPENDED], RUNNING)
  }

  async snapshot(uuid: string): Promise<SnapshotData> {
    this.check()
    const g = this.guest(uuid)
    await this.take(this.spec.timings.snapshotMs)
    this.injected('snapshot')
    // A small raw disk: a recognisable header, then zeros, one sector per GiB of disk.
    const header = new TextEncoder().encode(`CLOUDLET FAKE DISK ${uuid} ${this.host}\n`)
    const data = new Uint8Array(Math.max(512, 512 * g.spec.diskGb))
    data.set(header.subarray(0, data.length))
    return { diskFormat: 'raw', containerFormat: 'bare', data }
  }

  async consoleOutput(uuid: string): Promise<string> {
    this.check()
    return this.guest(uuid).console.join('\n') + '\n'
  }

  async setAdminPassword(uuid: string, password: string): Promise<InstanceInfo> {
    this.check()
    const g = this.guest(uuid)
    if (g.powerState !== RUNNING)
      throw new InstancePowerStateInvalid(uuid, 'set admin password', POWER_STATE_NAMES[g.powerState])
    await this.take(this.spec.timings.powerMs)
    g.console.push(
      `[${(this.now() / 1000).toFixed(6)}] guest agent: password for the administrator changed (${password.length} characters)`,
    )
    return this.info(g)
  }

  // --- moves: each step can be made to fail (failNextStep) ---

  async checkCanReceive(instance: InstanceSpec, _kind: 'resize' | 'live'): Promise<void> {
    this.check()
    this.injected('pre-check')
    if (instance.memEncryption) {
      const used = [...this.guests.values()].filter(
        (g) => g.spec.memEncryption && g.spec.uuid !== instance.uuid,
      )
      if (used.length >= this.spec.sevKeySlots) throw new HostResourcesExhausted(this.host, 'SEV key slot')
    }
  }

  async migrateDiskAndPowerOff(uuid: string, destination: string): Promise<void> {
    this.check()
    const g = this.guest(uuid)
    await this.take(this.spec.timings.migrateMs)
    this.check()
    this.injected('transfer')
    this.settleCpu(g)
    g.powerState = SHUTDOWN
    g.console.push(`[fake] disk copied to ${destination}; guest powered off for the move`)
  }

  async finishMigration(instance: InstanceSpec, powerOn: boolean): Promise<InstanceInfo> {
    this.check()
    this.injected('post')
    this.claimDevices(instance)
    const existing = this.guests.get(instance.uuid)
    // NOTE: a resize to the same host finds the guest itself: it takes the new flavor.
    const g: Guest = existing ?? { spec: instance, powerState: SHUTDOWN, cpuSeconds: 0, console: [] }
    g.spec = instance
    this.guests.set(instance.uuid, g)
    await this.take(this.spec.timings.spawnMs)
    if (powerOn) this.start(g)
    else {
      this.settleCpu(g)
      g.powerState = SHUTDOWN
    }
    return this.info(g)
  }

  async finishRevertMigration(instance: InstanceSpec, powerOn: boolean): Promise<InstanceInfo> {
    this.check()
    const g = this.guests.get(instance.uuid) ?? {
      spec: instance,
      powerState: SHUTDOWN,
      cpuSeconds: 0,
      console: [],
    }
    g.spec = instance
    this.guests.set(instance.uuid, g)
    await this.take(this.spec.timings.powerMs)
    if (powerOn) this.start(g)
    return this.info(g)
  }

  async preLiveMigration(instance: InstanceSpec): Promise<void> {
    this.check()
    if (this.guests.has(instance.uuid)) throw new InstanceExists(instance.uuid)
    this.claimDevices(instance)
    this.guests.set(instance.uuid, { spec: instance, powerState: NOSTATE, cpuSeconds: 0, console: [] })
  }

  async liveMigrate(uuid: string, destination: string): Promise<void> {
    this.check()
    const g = this.guest(uuid)
    const control = { abort: false, force: false }
    this.migrating.set(uuid, control)
    try {
      // NOTE: the transfer runs in slices so an abort or a force-complete is seen soon.
      const total = this.spec.timings.migrateMs * this.slowFactor
      const until = this.now() + total
      while (this.now() < until && !control.force) {
        if (control.abort) throw new MigrationAborted(uuid)
        await sleep(Math.min(10, Math.max(1, until - this.now())))
      }
      if (control.abort) throw new MigrationAborted(uuid)
      this.check()
      this.injected('transfer')
    } finally {
      this.migrating.delete(uuid)
    }
    this.settleCpu(g)
    this.guests.delete(uuid)
    this.log(g, `[fake] live-migrated to ${destination}`)
  }

  async abortLiveMigration(uuid: string): Promise<void> {
    const c = this.migrating.get(uuid)
    if (!c) throw new InstancePowerStateInvalid(uuid, 'abort live migration', 'not migrating')
    c.abort = true
  }

  async forceCompleteLiveMigration(uuid: string): Promise<void> {
    const c = this.migrating.get(uuid)
    if (!c) throw new InstancePowerStateInvalid(uuid, 'force-complete live migration', 'not migrating')
    c.force = true
  }

  async postLiveMigrationAtDestination(uuid: string, powerState: PowerState): Promise<InstanceInfo> {
    this.check()
    const g = this.guest(uuid)
    this.injected('post')
    if (powerState === RUNNING) this.start(g)
    else g.powerState = powerState
    return this.info(g)
  }

  async rescue(uuid: string, imageId: string): Promise<InstanceInfo> {
    this.check()
    const g = this.guest(uuid)
    await this.take(this.spec.timings.rebootMs)
    this.injected('rescue')
    this.settleCpu(g)
    this.start(g)
    g.console.push(`[fake] rescue system from image ${imageId}; the guest's disk is /dev/vdb`)
    return this.info(g)
  }

  async unrescue(uuid: string): Promise<InstanceInfo> {
    this.check()
    const g = this.guest(uuid)
    await this.take(this.spec.timings.rebootMs)
    this.settleCpu(g)
    this.start(g)
    return this.info(g)
  }

  async injectNmi(uuid: string): Promise<void> {
    this.check()
    const g = this.guest(uuid)
    if (g.powerState !== RUNNING && g.powerState !== PAUSED)
      throw new InstancePowerStateInvalid(uuid, 'inject NMI', POWER_STATE_NAMES[g.powerState])
    g.console.push('Kernel panic - not syncing: NMI: Not continuing (crash dump requested)')
  }

  utilisation(): UtilisationSample {
    this.check()
    const at = this.now()
    let runningVcpus = 0
    let running = 0
    let memoryUsedMb = 0
    for (const g of this.guests.values()) {
      if (g.powerState === RUNNING) {
        running++
        runningVcpus += g.spec.vcpus
      }
      // NOTE: a paused guest keeps its memory; a suspended one was saved to disk.
      if (g.powerState === RUNNING || g.powerState === PAUSED) memoryUsedMb += g.spec.memoryMb
    }
    const load = {
      ...this.spec.load,
      ...(this.busy === undefined ? { busy: undefined } : { busy: this.busy }),
    }
    return {
      timestamp: new Date(at).toISOString(),
      cpuPercent: simulatedCpu(load, this.host, this.spec.vcpus, runningVcpus, at),
      memoryUsedMb: Math.min(this.spec.memoryMb, memoryUsedMb),
      memoryTotalMb: this.spec.memoryMb,
      instances: this.guests.size,
      running,
    }
  }

  async close(): Promise<void> {}

  // --- internals ---

  /** Throws the injected failure of `step`, if one is due. */
  private injected(step: MoveStep): void {
    const f = this.stepFailures.get(step)
    if (!f) return
    if (--f.count <= 0) this.stepFailures.delete(step)
    throw new Error(f.reason)
  }

  private log(g: Guest, line: string): void {
    g.console.push(line)
  }

  private check(): void {
    if (this.down) throw new HypervisorUnavailable(this.host)
  }

  private guest(uuid: string): Guest {
    const g = this.guests.get(uuid)
    if (!g) throw new InstanceNotFound(uuid)
    return g
  }

  private claimDevices(instance: InstanceSpec): void {
    if (instance.memEncryption) {
      const used = [...this.guests.values()].filter((g) => g.spec.memEncryption).length
      if (used >= this.spec.sevKeySlots) throw new HostResourcesExhausted(this.host, 'SEV key slot')
    }
    for (const address of instance.pciDevices ?? []) {
      if (!this.spec.pciDevices.some((d) => d.address === address))
        throw new HostResourcesExhausted(this.host, `PCI device ${address}`)
      for (const g of this.guests.values())
        if (g.spec.pciDevices?.includes(address))
          throw new HostResourcesExhausted(this.host, `free PCI device ${address}`)
    }
  }

  private async transition(
    uuid: string,
    operation: string,
    from: readonly PowerState[],
    to: PowerState,
    ms = this.spec.timings.powerMs,
    boots = false,
  ): Promise<InstanceInfo> {
    this.check()
    const g = this.guest(uuid)
    if (!from.includes(g.powerState))
      throw new InstancePowerStateInvalid(uuid, operation, POWER_STATE_NAMES[g.powerState])
    // NOTE: powering off a guest that is off, or on one that runs, is a no-op upstream
    // drivers accept (a retried stop must not fail); it takes no time either.
    if (g.powerState === to && !boots) return this.info(g)
    await this.take(ms)
    this.check()
    const cold = boots || g.powerState === SHUTDOWN || g.powerState === CRASHED
    this.settleCpu(g)
    if (to === RUNNING && cold) this.start(g)
    else {
      g.powerState = to
      if (to === RUNNING) g.runningSince = this.now()
    }
    return this.info(g)
  }

  private start(g: Guest): void {
    g.powerState = RUNNING
    g.runningSince = this.now()
    g.console.push(`[    0.000000] Linux version 6.1.0-cloudlet (fake) booting ${g.spec.name ?? g.spec.uuid}`)
    g.console.push(`[    0.000000] Command line: root=LABEL=cloudimg-rootfs ro console=ttyS0`)
    g.console.push(`[    0.012000] Memory: ${g.spec.memoryMb * 1024}K available, ${g.spec.vcpus} CPUs`)
    g.console.push(`[    0.512000] EXT4-fs (vda1): mounted filesystem with ordered data mode`)
    g.console.push(`[    1.024000] cloud-init: ${g.spec.uuid} up on ${this.host}`)
  }

  /** Adds the CPU time of the running stretch that ends now. */
  private settleCpu(g: Guest): void {
    if (g.powerState === RUNNING && g.runningSince !== undefined)
      g.cpuSeconds += ((this.now() - g.runningSince) / 1000) * g.spec.vcpus * this.spec.load.perGuestVcpu
    g.runningSince = undefined
  }

  private info(g: Guest): InstanceInfo {
    const live =
      g.powerState === RUNNING && g.runningSince !== undefined
        ? ((this.now() - g.runningSince) / 1000) * g.spec.vcpus * this.spec.load.perGuestVcpu
        : 0
    return {
      uuid: g.spec.uuid,
      powerState: g.powerState,
      vcpus: g.spec.vcpus,
      memoryMb: g.spec.memoryMb,
      diskGb: g.spec.diskGb,
      cpuTimeSeconds: Math.round((g.cpuSeconds + live) * 1000) / 1000,
      ...(g.runningSince === undefined ? {} : { startedAt: new Date(g.runningSince).toISOString() }),
      pciDevices: g.spec.pciDevices ?? [],
      memEncryption: g.spec.memEncryption ?? false,
    }
  }

  /** Waits an operation's time: slowed on a slow host, varied by the jitter. */
  private async take(ms: number): Promise<void> {
    if (ms <= 0) return
    const jitter = 1 + (this.random() * 2 - 1) * this.spec.timings.jitter
    await sleep(ms * this.slowFactor * jitter)
  }
}
