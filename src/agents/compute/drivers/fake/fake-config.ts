/**
 * `[fake_driver]`: Cloudlet's own section for simulated hypervisors (upstream's fake
 * driver has no options). How many hosts a process simulates and their names, each
 * host's shape (CPUs, memory, disk, CPU model, PCI devices, SEV key slots), how long
 * operations take, which failures to inject, and how busy the hosts look.
 *
 * `hostSpecs(config, names)` compiles the section into one `FakeHostSpec` per host name.
 */
import { type ConfigOf, defineSections, opt } from '../../../../kernel/config/index.js'
import type { PciDevice, PciDeviceType } from '../driver.js'

export const fakeDriverConfig = defineSections({
  fake_driver: {
    hosts: opt.int({
      default: 3,
      min: 0,
      help: 'Simulated hosts a process runs (`cloudlet up`; `cloudlet compute --hosts N` overrides).',
    }),
    host_name_format: opt.str({
      default: '{host}-fake-{n}',
      help: "Name of the n-th simulated host (from 1); {host} is the process's [DEFAULT] host.",
    }),
    vcpus: opt.int({ default: 32, min: 1, help: 'Physical CPUs of a simulated host.' }),
    memory_mb: opt.int({ default: 131072, min: 1, help: 'Memory of a simulated host, MiB.' }),
    disk_gb: opt.int({ default: 2048, min: 1, help: 'Local disk of a simulated host, GiB.' }),
    cpu_model: opt.str({
      default: 'Skylake-Server',
      help: 'CPU model of a simulated host (qemu64, Nehalem, SandyBridge, Haswell, Broadwell, Skylake-Server, Cascadelake-Server, Icelake-Server, SapphireRapids-Server, EPYC, EPYC-Rome, EPYC-Milan); its features become HW_CPU_X86_* traits.',
    }),
    pci_devices: opt.list({
      default: [],
      help: 'Passthrough devices of each simulated host, as vendor:product:type[:count] items (8086:1572:type-PF:2, 10de:1eb8:type-PCI, 8086:154c:type-VF:8); VFs get a PF of their own.',
    }),
    sev_key_slots: opt.int({
      default: 0,
      min: 0,
      help: 'AMD SEV guests a simulated host can run at once; above 0 the host reports MEM_ENCRYPTION_CONTEXT and HW_CPU_X86_AMD_SEV.',
    }),
    shapes: opt.list({
      default: [],
      help: 'Varied hosts: items of space-separated key=value pairs (vcpus, memory_mb, disk_gb, cpu_model, sev_key_slots, pci as items joined by |), given to the hosts in turn; unset keys come from the options above.',
    }),
    spawn_time: opt.float({ default: 0.05, min: 0, help: 'Seconds a spawn takes.' }),
    power_time: opt.float({
      default: 0.01,
      min: 0,
      help: 'Seconds a power on or off, pause, suspend or resume takes.',
    }),
    reboot_time: opt.float({ default: 0.02, min: 0, help: 'Seconds a reboot takes.' }),
    destroy_time: opt.float({ default: 0.01, min: 0, help: 'Seconds a destroy takes.' }),
    snapshot_time: opt.float({ default: 0.05, min: 0, help: 'Seconds a snapshot takes.' }),
    migrate_time: opt.float({
      default: 0.05,
      min: 0,
      help: "Seconds a migration's transfer takes (resize, cold and live migration, shelve offload).",
    }),
    timing_jitter: opt.float({
      default: 0.2,
      min: 0,
      max: 1,
      help: 'Each timing varies at random by up to this fraction.',
    }),
    slow_hosts: opt.list({
      default: [],
      help: 'Hosts whose every operation takes slow_factor times longer.',
    }),
    slow_factor: opt.float({ default: 10, min: 1, help: 'How much slower a slow host is.' }),
    spawn_failure_rate: opt.float({
      default: 0,
      min: 0,
      max: 1,
      help: 'Fraction of spawns that fail on every simulated host, at random.',
    }),
    fail_spawn_hosts: opt.list({ default: [], help: 'Hosts on which every spawn fails.' }),
    down_hosts: opt.list({
      default: [],
      help: 'Hosts that start down: no heartbeat, no RPC, until brought up.',
    }),
    cpu_idle: opt.float({
      default: 0.03,
      min: 0,
      max: 1,
      help: 'Simulated CPU use of a host with no guests, 0..1.',
    }),
    guest_cpu_load: opt.float({
      default: 0.5,
      min: 0,
      max: 1,
      help: 'Average use of a running guest vCPU, 0..1; the host CPU use adds them over its physical CPUs.',
    }),
    cpu_daily_swing: opt.float({
      default: 0.1,
      min: 0,
      max: 1,
      help: 'Amplitude of the simulated daily load cycle, 0..1.',
    }),
    busy_hosts: opt.list({
      default: [],
      help: 'Hosts whose CPU use stays near busy_cpu whatever their guests (load from outside the cloud).',
    }),
    busy_cpu: opt.float({ default: 0.9, min: 0, max: 1, help: 'CPU use of a busy host, 0..1.' }),
  },
})

export type FakeDriverConfig = ConfigOf<typeof fakeDriverConfig>['fake_driver']

/** Timings in milliseconds. */
export interface FakeTimings {
  spawnMs: number
  powerMs: number
  rebootMs: number
  destroyMs: number
  snapshotMs: number
  migrateMs: number
  /** 0..1 */
  jitter: number
}

/** One simulated host: its shape, timings, failures and load. */
export interface FakeHostSpec {
  host: string
  vcpus: number
  memoryMb: number
  diskGb: number
  cpuModel: string
  arch: string
  pciDevices: PciDevice[]
  sevKeySlots: number
  timings: FakeTimings
  /** Every operation takes this many times longer (1: normal). */
  slowFactor: number
  /** 0..1: chance a spawn fails; 1 for a host in fail_spawn_hosts. */
  spawnFailureRate: number
  startsDown: boolean
  load: { idle: number; perGuestVcpu: number; dailySwing: number; busy?: number }
}

/** The names of `count` simulated hosts of a process whose host name is `base`. */
export function fakeHostNames(config: FakeDriverConfig, base: string, count = config.hosts): string[] {
  return Array.from({ length: count }, (_, i) =>
    config.host_name_format.replaceAll('{host}', base).replaceAll('{n}', String(i + 1)),
  )
}

/** Parses `vendor:product:type[:count]` items into devices with addresses on bus 0x81 upwards. */
export function parsePciDevices(items: readonly string[]): PciDevice[] {
  const devices: PciDevice[] = []
  let bus = 0x81
  for (const item of items) {
    const [vendor, product, type = 'type-PCI', countText = '1'] = item.trim().split(':')
    if (!vendor || !/^[0-9a-f]{4}$/i.test(vendor) || !product || !/^[0-9a-f]{4}$/i.test(product))
      throw new Error(`[fake_driver] pci_devices: "${item}" is not vendor:product:type[:count] (hex ids)`)
    if (type !== 'type-PCI' && type !== 'type-PF' && type !== 'type-VF')
      throw new Error(`[fake_driver] pci_devices: "${item}": the type is type-PCI, type-PF or type-VF`)
    const count = Number(countText)
    if (!Number.isInteger(count) || count < 1 || count > 256)
      throw new Error(`[fake_driver] pci_devices: "${item}": the count is 1 to 256`)
    const ids = { vendorId: vendor.toLowerCase(), productId: product.toLowerCase() }
    const address = (b: number, fn: number) =>
      `0000:${b.toString(16).padStart(2, '0')}:${(fn >> 3).toString(16).padStart(2, '0')}.${fn & 7}`
    if (type === 'type-VF') {
      // NOTE: VFs exist only under a PF; the PF itself is not offered while its VFs are.
      const pf = address(bus, 0)
      for (let i = 0; i < count; i++)
        devices.push({ ...ids, type, address: address(bus + 1, i), parentAddress: pf, numaNode: 0 })
      bus += 2
    } else {
      for (let i = 0; i < count; i++)
        devices.push({ ...ids, type: type as PciDeviceType, address: address(bus, i) })
      bus += 1
    }
  }
  return devices
}

interface ShapeOverrides {
  vcpus?: number
  memory_mb?: number
  disk_gb?: number
  cpu_model?: string
  sev_key_slots?: number
  pci?: string[]
}

/** Parses one `shapes` item: `vcpus=64 memory_mb=262144 cpu_model=EPYC-Rome sev_key_slots=15 pci=a|b`. */
export function parseShape(item: string): ShapeOverrides {
  const shape: ShapeOverrides = {}
  for (const pair of item.trim().split(/\s+/).filter(Boolean)) {
    const i = pair.indexOf('=')
    const key = i < 0 ? pair : pair.slice(0, i)
    const value = i < 0 ? '' : pair.slice(i + 1)
    const int = () => {
      const n = Number(value)
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`[fake_driver] shapes: ${key}=${value} is not a count`)
      return n
    }
    if (key === 'vcpus') shape.vcpus = int()
    else if (key === 'memory_mb') shape.memory_mb = int()
    else if (key === 'disk_gb') shape.disk_gb = int()
    else if (key === 'sev_key_slots') shape.sev_key_slots = int()
    else if (key === 'cpu_model') shape.cpu_model = value
    else if (key === 'pci') shape.pci = value.split('|').filter(Boolean)
    else throw new Error(`[fake_driver] shapes: unknown key "${key}" in "${item}"`)
  }
  return shape
}

/** One spec per host name, from the section: shapes in turn, failures and load by name. */
export function hostSpecs(config: FakeDriverConfig, names: readonly string[]): FakeHostSpec[] {
  const shapes = config.shapes.map(parseShape)
  const base = parsePciDevices(config.pci_devices)
  const slow = new Set(config.slow_hosts)
  const failing = new Set(config.fail_spawn_hosts)
  const down = new Set(config.down_hosts)
  const busy = new Set(config.busy_hosts)
  return names.map((host, i) => {
    const shape = shapes.length ? shapes[i % shapes.length]! : {}
    return {
      host,
      vcpus: shape.vcpus ?? config.vcpus,
      memoryMb: shape.memory_mb ?? config.memory_mb,
      diskGb: shape.disk_gb ?? config.disk_gb,
      cpuModel: shape.cpu_model ?? config.cpu_model,
      arch: 'x86_64',
      pciDevices: shape.pci ? parsePciDevices(shape.pci) : base,
      sevKeySlots: shape.sev_key_slots ?? config.sev_key_slots,
      timings: {
        spawnMs: config.spawn_time * 1000,
        powerMs: config.power_time * 1000,
        rebootMs: config.reboot_time * 1000,
        destroyMs: config.destroy_time * 1000,
        snapshotMs: config.snapshot_time * 1000,
        migrateMs: config.migrate_time * 1000,
        jitter: config.timing_jitter,
      },
      slowFactor: slow.has(host) ? config.slow_factor : 1,
      spawnFailureRate: failing.has(host) ? 1 : config.spawn_failure_rate,
      startsDown: down.has(host),
      load: {
        idle: config.cpu_idle,
        perGuestVcpu: config.guest_cpu_load,
        dailySwing: config.cpu_daily_swing,
        ...(busy.has(host) ? { busy: config.busy_cpu } : {}),
      },
    }
  })
}
