/**
 * The read-only picture of the cloud the scheduler decides on: one `HostState` per
 * compute node (resources with allocation ratios, traits, aggregates, instances, load,
 * metrics and their history, PCI pools, service state) inside a `Snapshot`. The caller
 * builds it from placement and the compute database; the scheduler never changes it.
 * Helpers here derive upstream's host figures (free RAM, usable vCPUs, zone) from it.
 */

/** One resource class on a host, as placement's inventory and usage describe it. */
export interface Resource {
  readonly total: number
  readonly reserved: number
  /** Allocated to consumers (servers), not counting `reserved`. */
  readonly used: number
  readonly allocationRatio: number
}

/** A host aggregate the host belongs to. */
export interface Aggregate {
  readonly uuid: string
  readonly name: string
  readonly metadata: Readonly<Record<string, string>>
}

/** A monitor metric's latest value (upstream's compute monitors: `cpu.percent`, ...). */
export interface Metric {
  readonly name: string
  readonly value: number
  /** Seconds since the epoch. */
  readonly timestamp: number
  readonly source?: string
}

/** One sample of a metric's history: seconds since the epoch and the value. */
export type Sample = readonly [timestamp: number, value: number]

/** A pool of identical free PCI devices on a host. */
export interface PciPool {
  readonly vendorId: string
  readonly productId: string
  /** `type-PCI`, `type-PF` or `type-VF`. */
  readonly deviceType: string
  readonly count: number
  readonly numaNode?: number
  readonly tags?: Readonly<Record<string, string>>
}

/** The compute service running the host. */
export interface ServiceState {
  readonly disabled: boolean
  readonly disabledReason?: string
  readonly forcedDown: boolean
  /** Heartbeat within `service_down_time`. */
  readonly up: boolean
}

/** `[architecture, hypervisor type, vm mode]`, upstream's supported_instances entries. */
export type SupportedInstance = readonly [arch: string, hvType: string, vmMode: string]

/** One compute node as the scheduler sees it. */
export interface HostState {
  /** The compute service's host name. */
  readonly host: string
  /** The hypervisor node name (equal to `host` except for drivers with many nodes). */
  readonly nodename: string
  /** The compute node's root resource provider uuid. */
  readonly uuid: string
  readonly cell?: string
  /** By resource class: VCPU, MEMORY_MB, DISK_GB, custom classes. */
  readonly resources: Readonly<Record<string, Resource>>
  readonly traits: readonly string[]
  readonly aggregates: readonly Aggregate[]
  /** Uuids of the servers on the host. */
  readonly instances: readonly string[]
  /** Servers in a build, resize, snapshot, migrate, rescue or unshelve task. */
  readonly numIoOps: number
  readonly metrics: readonly Metric[]
  /** By metric name, oldest first; the utilisation plugins average a window of it. */
  readonly metricsHistory?: Readonly<Record<string, readonly Sample[]>>
  readonly pciPools: readonly PciPool[]
  /** Builds that failed here since the last success. */
  readonly failedBuilds: number
  readonly hypervisorType: string
  /** Upstream's integer encoding: 1002003 is 1.2.3. */
  readonly hypervisorVersion: number
  readonly hypervisorHostname: string
  readonly supportedInstances: readonly SupportedInstance[]
  /** The CPU description a driver reports (arch, model, vendor, features, topology). */
  readonly cpuInfo?: Readonly<Record<string, unknown>>
  readonly service: ServiceState
}

/** Everything the scheduler reads, taken at one instant. */
export interface Snapshot {
  readonly hosts: readonly HostState[]
  /** Seconds since the epoch at which the snapshot was taken. */
  readonly now: number
  /** Zone of a host in no zoned aggregate (`[DEFAULT] default_availability_zone`). */
  readonly defaultAvailabilityZone: string
}

/** Upstream's free RAM: total minus reserved minus used, without overcommit. */
export const freeRamMb = (h: HostState): number => free(h.resources.MEMORY_MB)
/** Upstream's free disk in MiB, from DISK_GB. */
export const freeDiskMb = (h: HostState): number => free(h.resources.DISK_GB) * 1024
/** vCPUs still to give: total times the allocation ratio minus reserved and used. */
export const freeVcpus = (h: HostState): number => capacity(h.resources.VCPU) - used(h.resources.VCPU)

function free(r: Resource | undefined): number {
  return r ? r.total - r.reserved - r.used : 0
}
function used(r: Resource | undefined): number {
  return r ? r.used + r.reserved : 0
}
/** What placement lets consumers take: (total - reserved) x ratio. */
export function capacity(r: Resource | undefined): number {
  return r ? (r.total - r.reserved) * r.allocationRatio : 0
}

/** The zones of a host: its aggregates' `availability_zone`, else the default zone. */
export function hostZones(h: HostState, defaultZone: string): string[] {
  const zones = aggregateValues(h, 'availability_zone')
  return zones.length ? zones : [defaultZone]
}

/** The distinct values of one metadata key across the host's aggregates. */
export function aggregateValues(h: HostState, key: string): string[] {
  const out = new Set<string>()
  for (const a of h.aggregates) {
    const v = a.metadata[key]
    if (v !== undefined) out.add(v)
  }
  return [...out]
}

/** Per aggregate list (shared by a host and its per-cycle copies), the overrides read so far. */
const overrides = new WeakMap<readonly Aggregate[], Map<string, number | undefined>>()

/**
 * An aggregate override of a numeric option: the smallest valid value any of the host's
 * aggregates sets for `key`, else the option's value. Upstream takes the minimum too, so
 * the most restrictive aggregate wins.
 */
export function aggregateNumber(h: HostState, key: string, fallback: number): number {
  if (h.aggregates.length === 0) return fallback
  // NOTE: weighers ask this for every host and weigher of every decision; the snapshot
  // is immutable, so the answer per aggregate list and key is computed once.
  let cache = overrides.get(h.aggregates)
  if (!cache) {
    cache = new Map()
    overrides.set(h.aggregates, cache)
  }
  if (!cache.has(key)) {
    let best: number | undefined
    for (const raw of aggregateValues(h, key)) {
      const n = Number(raw)
      if (raw.trim() !== '' && Number.isFinite(n) && (best === undefined || n < best)) best = n
    }
    cache.set(key, best)
  }
  return cache.get(key) ?? fallback
}

/** The number of servers on the host. */
export const numInstances = (h: HostState): number => h.instances.length

/**
 * The host figures under upstream's attribute names, as ComputeCapabilitiesFilter
 * (`capabilities:hypervisor_type`) and JsonFilter (`$free_ram_mb`) refer to them.
 */
export function hostAttributes(h: HostState): Record<string, unknown> {
  const ram = h.resources.MEMORY_MB
  const vcpu = h.resources.VCPU
  return {
    host: h.host,
    nodename: h.nodename,
    hypervisor_hostname: h.hypervisorHostname,
    hypervisor_type: h.hypervisorType,
    hypervisor_version: h.hypervisorVersion,
    cpu_info: h.cpuInfo ?? {},
    free_ram_mb: freeRamMb(h),
    free_disk_mb: freeDiskMb(h),
    total_usable_ram_mb: ram ? ram.total - ram.reserved : 0,
    total_usable_disk_gb: h.resources.DISK_GB ? h.resources.DISK_GB.total - h.resources.DISK_GB.reserved : 0,
    vcpus_total: vcpu ? vcpu.total : 0,
    vcpus_used: vcpu ? vcpu.used : 0,
    num_instances: h.instances.length,
    num_io_ops: h.numIoOps,
    failed_builds: h.failedBuilds,
    supported_instances: h.supportedInstances.map((s) => [...s]),
    cell: h.cell,
    uuid: h.uuid,
  }
}

/** Follows `path` (`cpu_info`, `arch`) through nested objects; undefined when it leaves them. */
export function lookup(root: unknown, path: readonly string[]): unknown {
  let cur: unknown = root
  for (const part of path) {
    if (typeof cur === 'string' && (cur.startsWith('{') || cur.startsWith('['))) {
      try {
        cur = JSON.parse(cur)
      } catch {
        return undefined
      }
    }
    if (typeof cur !== 'object' || cur === null || !(part in cur)) return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

/** A value as a comparison sees it: strings as they are, everything else as JSON. */
export const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/**
 * The mean of a metric's samples taken in the last `window` seconds before `now`, or
 * undefined with fewer than `minSamples` of them. Samples are oldest first, so the scan
 * starts from the newest and stops at the window's edge.
 */
export function windowAverage(
  h: HostState,
  metric: string,
  now: number,
  window: number,
  minSamples = 1,
): number | undefined {
  const samples = h.metricsHistory?.[metric]
  if (!samples) return undefined
  const since = now - window
  let sum = 0
  let n = 0
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!
    if (s[0] < since) break
    if (s[0] <= now) {
      sum += s[1]
      n++
    }
  }
  return n >= minSamples && n > 0 ? sum / n : undefined
}
