/**
 * The compute driver contract: what a compute agent asks of the hypervisor it owns.
 *
 * One driver instance drives one host. The agent calls it for guest lifecycle (spawn,
 * destroy, power, reboot, pause, suspend), for snapshot data, for migrations (hooks the
 * server operations work fills in; a driver that cannot do one throws DriverNotSupported),
 * and asks it what the host has (`resources()`), what it can do (`capabilities`, turned
 * into placement traits by `capabilityTraits`) and how busy it is (`utilisation()`).
 *
 * Power states are upstream's numbers, because they travel in API responses
 * (`OS-EXT-STS:power_state`) and notifications unchanged.
 */

/** A guest's power state as the hypervisor reports it (upstream's numbering). */
export const PowerState = Object.freeze({
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  /** Powered off: the guest is defined but not running. */
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const)
export type PowerState = (typeof PowerState)[keyof typeof PowerState]

/** The state names upstream prints beside the numbers (`nova.compute.power_state.STATE_MAP`). */
export const POWER_STATE_NAMES: Readonly<Record<PowerState, string>> = {
  0: 'pending',
  1: 'running',
  3: 'paused',
  4: 'shutdown',
  6: 'crashed',
  7: 'suspended',
}

/** What a guest gets: the flavor's sizes and what the image says about itself. */
export interface InstanceSpec {
  uuid: string
  name?: string
  vcpus: number
  memoryMb: number
  /** Root plus ephemeral plus swap, rounded up to GiB. */
  diskGb: number
  image?: { id: string; diskFormat?: string; properties?: Readonly<Record<string, string>> }
  /** The flavor's extra specs (`hw:*`, `resources:*`, …); a driver may ignore them. */
  extraSpecs?: Readonly<Record<string, string>>
  /** Base64 user data, as the API received it. */
  userData?: string
  /** PCI devices the claim gave this guest (addresses on this host). */
  pciDevices?: readonly string[]
  /** The guest gets one SEV key slot (`hw:mem_encryption`). */
  memEncryption?: boolean
}

/** A guest as the hypervisor sees it now. */
export interface InstanceInfo {
  uuid: string
  powerState: PowerState
  vcpus: number
  memoryMb: number
  diskGb: number
  /** CPU seconds used so far (simulated by the fake driver). */
  cpuTimeSeconds: number
  /** ISO 8601, when it was last started. */
  startedAt?: string
  pciDevices: readonly string[]
  memEncryption: boolean
}

/** PCI device types, as `[pci] device_spec` and upstream's PCI tracker name them. */
export type PciDeviceType = 'type-PCI' | 'type-PF' | 'type-VF'

export interface PciDevice {
  /** `dddd:bb:ss.f`, e.g. `0000:81:00.0`. */
  address: string
  /** Four hex digits, lower case, e.g. `8086`. */
  vendorId: string
  productId: string
  type: PciDeviceType
  /** For a VF: its PF's address. */
  parentAddress?: string
  numaNode?: number
}

/** What the host has to give guests, before reserved amounts and ratios. */
export interface HostResources {
  vcpus: number
  memoryMb: number
  diskGb: number
  /** A libvirt-style CPU model name, e.g. `EPYC-Rome`; its features become HW_CPU_X86_* traits. */
  cpuModel: string
  /** `x86_64`, `aarch64`, … */
  arch: string
  /** Passthrough-capable devices; VFs name their PF. */
  pciDevices: readonly PciDevice[]
  /** AMD SEV guests the host can run at once (key slots); 0 without SEV. */
  sevKeySlots: number
  hypervisorType: string
  /** Upstream encodes versions as an integer, e.g. 8000000 for 8.0.0. */
  hypervisorVersion: number
}

/**
 * What a driver can do, by upstream's capability names. Each one with a trait in
 * `CAPABILITY_TRAITS` is reported to placement, so the scheduler can require or forbid it
 * (`trait:COMPUTE_VOLUME_MULTI_ATTACH=required`).
 */
export interface DriverCapabilities {
  has_imagecache: boolean
  supports_evacuate: boolean
  supports_migrate_to_same_host: boolean
  supports_attach_interface: boolean
  supports_device_tagging: boolean
  supports_tagged_attach_interface: boolean
  supports_tagged_attach_volume: boolean
  supports_extend_volume: boolean
  supports_multiattach: boolean
  supports_trusted_certs: boolean
  supports_pcpus: boolean
  supports_accelerators: boolean
  supports_bfv_rescue: boolean
  supports_vtpm: boolean
  supports_socket_pci_numa_affinity: boolean
  supports_remote_managed_ports: boolean
  supports_address_space_passthrough: boolean
  supports_address_space_emulated: boolean
  supports_stateless_firmware: boolean
  supports_image_type_aki: boolean
  supports_image_type_ami: boolean
  supports_image_type_ari: boolean
  supports_image_type_iso: boolean
  supports_image_type_qcow2: boolean
  supports_image_type_raw: boolean
  supports_image_type_vdi: boolean
  supports_image_type_vhd: boolean
  supports_image_type_vhdx: boolean
  supports_image_type_vmdk: boolean
  supports_image_type_ploop: boolean
}

/**
 * Capability → trait, with upstream's names on both sides. Capabilities without a trait
 * (`has_imagecache`, `supports_evacuate`, `supports_pcpus`, …) tell the agent, not placement.
 */
export const CAPABILITY_TRAITS: Readonly<Partial<Record<keyof DriverCapabilities, string>>> = {
  supports_attach_interface: 'COMPUTE_NET_ATTACH_INTERFACE',
  supports_device_tagging: 'COMPUTE_DEVICE_TAGGING',
  supports_tagged_attach_interface: 'COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG',
  supports_tagged_attach_volume: 'COMPUTE_VOLUME_ATTACH_WITH_TAG',
  supports_extend_volume: 'COMPUTE_VOLUME_EXTEND',
  supports_multiattach: 'COMPUTE_VOLUME_MULTI_ATTACH',
  supports_trusted_certs: 'COMPUTE_TRUSTED_CERTS',
  supports_accelerators: 'COMPUTE_ACCELERATORS',
  supports_bfv_rescue: 'COMPUTE_RESCUE_BFV',
  supports_socket_pci_numa_affinity: 'COMPUTE_SOCKET_PCI_NUMA_AFFINITY',
  supports_remote_managed_ports: 'COMPUTE_REMOTE_MANAGED_PORTS',
  supports_address_space_passthrough: 'COMPUTE_ADDRESS_SPACE_PASSTHROUGH',
  supports_address_space_emulated: 'COMPUTE_ADDRESS_SPACE_EMULATED',
  supports_stateless_firmware: 'COMPUTE_SECURITY_STATELESS_FIRMWARE',
  supports_image_type_aki: 'COMPUTE_IMAGE_TYPE_AKI',
  supports_image_type_ami: 'COMPUTE_IMAGE_TYPE_AMI',
  supports_image_type_ari: 'COMPUTE_IMAGE_TYPE_ARI',
  supports_image_type_iso: 'COMPUTE_IMAGE_TYPE_ISO',
  supports_image_type_qcow2: 'COMPUTE_IMAGE_TYPE_QCOW2',
  supports_image_type_raw: 'COMPUTE_IMAGE_TYPE_RAW',
  supports_image_type_vdi: 'COMPUTE_IMAGE_TYPE_VDI',
  supports_image_type_vhd: 'COMPUTE_IMAGE_TYPE_VHD',
  supports_image_type_vhdx: 'COMPUTE_IMAGE_TYPE_VHDX',
  supports_image_type_vmdk: 'COMPUTE_IMAGE_TYPE_VMDK',
  supports_image_type_ploop: 'COMPUTE_IMAGE_TYPE_PLOOP',
}

/** The traits a capability set gives, sorted. */
export function capabilityTraits(capabilities: Readonly<DriverCapabilities>): string[] {
  const traits: string[] = []
  for (const [name, trait] of Object.entries(CAPABILITY_TRAITS)) {
    if (trait && capabilities[name as keyof DriverCapabilities]) traits.push(trait)
  }
  return traits.sort()
}

/** How busy the host is at one moment (what `[DEFAULT] compute_monitors` would read). */
export interface UtilisationSample {
  /** ISO 8601. */
  timestamp: string
  /** Host CPU busy, 0..1 over all physical CPUs (upstream's `cpu.percent` is this fraction). */
  cpuPercent: number
  memoryUsedMb: number
  memoryTotalMb: number
  /** Guests defined on the host (any power state). */
  instances: number
  /** Guests running. */
  running: number
}

/** Image bytes a snapshot produced, for the caller to upload to the image service. */
export interface SnapshotData {
  diskFormat: string
  containerFormat: string
  data: Uint8Array
}

export type RebootType = 'SOFT' | 'HARD'

/**
 * A hypervisor driver for one host. Every guest operation names the guest by its uuid;
 * an unknown uuid gives InstanceNotFound, an operation the guest's power state does not
 * allow gives InstancePowerStateInvalid, a host that does not answer gives
 * HypervisorUnavailable (errors.ts).
 */
export interface ComputeDriver {
  /** e.g. `fake`, `qemu`. */
  readonly type: string
  /** The host this driver owns (the compute node's name in placement). */
  readonly host: string
  readonly capabilities: Readonly<DriverCapabilities>

  /** Prepares the hypervisor (connect, discover guests left from a previous run). */
  init(): Promise<void>
  /** Whether the hypervisor answers; the agent stops heartbeating while it does not. */
  alive(): boolean

  resources(): HostResources
  /** Guests the hypervisor knows, by uuid. */
  listInstances(): string[]
  getInfo(uuid: string): InstanceInfo

  /** Creates and starts a guest. Resolves once it runs (power state RUNNING). */
  spawn(instance: InstanceSpec): Promise<InstanceInfo>
  /** Stops and removes a guest; an unknown uuid is not an error (a retried delete). */
  destroy(uuid: string): Promise<void>
  powerOff(uuid: string, options?: { timeoutSeconds?: number }): Promise<InstanceInfo>
  powerOn(uuid: string): Promise<InstanceInfo>
  reboot(uuid: string, type: RebootType): Promise<InstanceInfo>
  pause(uuid: string): Promise<InstanceInfo>
  unpause(uuid: string): Promise<InstanceInfo>
  suspend(uuid: string): Promise<InstanceInfo>
  resume(uuid: string): Promise<InstanceInfo>
  /** The guest's disk as image data. */
  snapshot(uuid: string): Promise<SnapshotData>
  /** The guest's console log so far. */
  consoleOutput(uuid: string): Promise<string>
  /** Sets the guest's administrator password (a running guest's agent does it). */
  setAdminPassword(uuid: string, password: string): Promise<InstanceInfo>

  // --- moves (resize, cold and live migration, evacuate, shelve); a driver that cannot
  // do one throws DriverNotSupported. Each names the step it is: a failure at the
  // destination's check, in the transfer, or in the finish at the destination.

  /** Destination, pre-check: this host can take the guest (resources, devices). */
  checkCanReceive(instance: InstanceSpec, kind: 'resize' | 'live'): Promise<void>
  /** Source, transfer: the guest's disk goes to `destination`; the guest is left off here. */
  migrateDiskAndPowerOff(uuid: string, destination: string): Promise<void>
  /** Destination, post: the moved guest is defined (with its new flavor) and powered on or not. */
  finishMigration(instance: InstanceSpec, powerOn: boolean): Promise<InstanceInfo>
  /** Source, after a revert: the guest left here takes its old flavor and power again. */
  finishRevertMigration(instance: InstanceSpec, powerOn: boolean): Promise<InstanceInfo>
  /** Destination, before a live migration: an incoming guest is defined. */
  preLiveMigration(instance: InstanceSpec): Promise<void>
  /**
   * Source, transfer: memory and disk go to `destination` while the guest runs; resolves
   * once it switched over (the guest is gone from here). Abortable until then.
   */
  liveMigrate(uuid: string, destination: string): Promise<void>
  /** Source: stop a running live migration (the guest stays here). */
  abortLiveMigration(uuid: string): Promise<void>
  /** Source: pause the guest so a running live migration converges now. */
  forceCompleteLiveMigration(uuid: string): Promise<void>
  /** Destination, post: the incoming guest runs here, in the power state it had. */
  postLiveMigrationAtDestination(uuid: string, powerState: PowerState): Promise<InstanceInfo>
  /** Boots the guest from a rescue image, its own disk attached. */
  rescue(uuid: string, imageId: string): Promise<InstanceInfo>
  unrescue(uuid: string): Promise<InstanceInfo>
  /** Injects an NMI (trigger crash dump); the guest's kernel decides what happens. */
  injectNmi(uuid: string): Promise<void>

  /** How busy the host is now. */
  utilisation(): UtilisationSample
  /** Releases what init() took. */
  close(): Promise<void>
}
