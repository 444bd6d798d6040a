/**
 * Every plugin the scheduler knows, by name: upstream's filters and weighers under their
 * class names, upstream's request filters under their function names, and Cloudlet's
 * own (UtilizationFilter, UtilizationWeigher, PlacementClaim). `lookup` resolves the
 * names `enabled_filters` and `weight_classes` carry, dotted paths included.
 */
import { closest } from '../kernel/config/suggest.js'
import type { SchedulerConfig } from './config.js'
import type { Plugin } from './framework.js'
import type { PciAlias } from './pci.js'
import * as AggregateImagePropertiesIsolation from './plugins/aggregate-image-properties-isolation/index.js'
import * as AggregateInstanceExtraSpecsFilter from './plugins/aggregate-instance-extra-specs-filter/index.js'
import * as AggregateIoOpsFilter from './plugins/aggregate-io-ops-filter/index.js'
import * as AggregateMultiTenancyIsolation from './plugins/aggregate-multi-tenancy-isolation/index.js'
import * as AggregateNumInstancesFilter from './plugins/aggregate-num-instances-filter/index.js'
import * as AllHostsFilter from './plugins/all-hosts-filter/index.js'
import * as AvailabilityZoneFilter from './plugins/availability-zone-filter/index.js'
import * as BuildFailureWeigher from './plugins/build-failure-weigher/index.js'
import * as ComputeCapabilitiesFilter from './plugins/compute-capabilities-filter/index.js'
import * as ComputeFilter from './plugins/compute-filter/index.js'
import * as ComputeStatusFilter from './plugins/compute-status-filter/index.js'
import * as CPUWeigher from './plugins/cpu-weigher/index.js'
import * as DifferentHostFilter from './plugins/different-host-filter/index.js'
import * as DiskWeigher from './plugins/disk-weigher/index.js'
import * as HypervisorVersionWeigher from './plugins/hypervisor-version-weigher/index.js'
import * as ImagePropertiesFilter from './plugins/image-properties-filter/index.js'
import * as IoOpsFilter from './plugins/io-ops-filter/index.js'
import * as IoOpsWeigher from './plugins/io-ops-weigher/index.js'
import * as IsolateAggregates from './plugins/isolate-aggregates/index.js'
import * as IsolatedHostsFilter from './plugins/isolated-hosts-filter/index.js'
import * as JsonFilter from './plugins/json-filter/index.js'
import * as MapAzToPlacementAggregate from './plugins/map-az-to-placement-aggregate/index.js'
import * as MetricsFilter from './plugins/metrics-filter/index.js'
import * as MetricsWeigher from './plugins/metrics-weigher/index.js'
import * as NumInstancesFilter from './plugins/num-instances-filter/index.js'
import * as NumInstancesWeigher from './plugins/num-instances-weigher/index.js'
import * as PciPassthroughFilter from './plugins/pci-passthrough-filter/index.js'
import * as PCIWeigher from './plugins/pci-weigher/index.js'
import * as PlacementClaim from './plugins/placement-claim/index.js'
import * as RAMWeigher from './plugins/ram-weigher/index.js'
import * as RequireImageTypeSupport from './plugins/require-image-type-support/index.js'
import * as RequireTenantAggregate from './plugins/require-tenant-aggregate/index.js'
import * as SameHostFilter from './plugins/same-host-filter/index.js'
import * as ServerGroupAffinityFilter from './plugins/server-group-affinity-filter/index.js'
import * as ServerGroupAntiAffinityFilter from './plugins/server-group-anti-affinity-filter/index.js'
import * as ServerGroupSoftAffinityWeigher from './plugins/server-group-soft-affinity-weigher/index.js'
import * as ServerGroupSoftAntiAffinityWeigher from './plugins/server-group-soft-anti-affinity-weigher/index.js'
import * as UtilizationFilter from './plugins/utilization-filter/index.js'
import * as UtilizationWeigher from './plugins/utilization-weigher/index.js'

/** What a plugin's factory receives: the loaded options and the parsed PCI aliases. */
export interface PluginOptions {
  readonly config: SchedulerConfig
  readonly pciAliases: ReadonlyMap<string, readonly PciAlias[]>
}

/** A plugin module: its `name` and a factory. */
export interface PluginModule {
  readonly name: string
  readonly create: (o: PluginOptions) => Plugin
}

/** Upstream's filters, in the order upstream's documentation lists them. */
export const FILTERS: readonly PluginModule[] = [
  ComputeFilter,
  AvailabilityZoneFilter,
  ComputeCapabilitiesFilter,
  ImagePropertiesFilter,
  ServerGroupAffinityFilter,
  ServerGroupAntiAffinityFilter,
  SameHostFilter,
  DifferentHostFilter,
  AggregateInstanceExtraSpecsFilter,
  AggregateMultiTenancyIsolation,
  AggregateImagePropertiesIsolation,
  AggregateNumInstancesFilter,
  AggregateIoOpsFilter,
  NumInstancesFilter,
  IoOpsFilter,
  IsolatedHostsFilter,
  JsonFilter,
  MetricsFilter,
  PciPassthroughFilter,
  AllHostsFilter,
]

/** Upstream's weighers: what `nova.scheduler.weights.all_weighers` stands for. */
export const WEIGHERS: readonly PluginModule[] = [
  RAMWeigher,
  CPUWeigher,
  DiskWeigher,
  IoOpsWeigher,
  NumInstancesWeigher,
  MetricsWeigher,
  PCIWeigher,
  BuildFailureWeigher,
  ServerGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher,
  HypervisorVersionWeigher,
]

/** Cloudlet's own filters and weighers; named explicitly in the options to be used. */
export const CLOUDLET_FILTERS: readonly PluginModule[] = [UtilizationFilter]
export const CLOUDLET_WEIGHERS: readonly PluginModule[] = [UtilizationWeigher]

/** Request filters, always run in this order; each checks its own `[scheduler]` switch. */
export const REQUEST_FILTERS: readonly PluginModule[] = [
  MapAzToPlacementAggregate,
  RequireTenantAggregate,
  RequireImageTypeSupport,
  ComputeStatusFilter,
  IsolateAggregates,
]

/** Reserve plugins, run in order for each chosen host. */
export const RESERVERS: readonly PluginModule[] = [PlacementClaim]

export const ALL_FILTERS = 'nova.scheduler.filters.all_filters'
export const ALL_WEIGHERS = 'nova.scheduler.weights.all_weighers'

/**
 * Filters upstream removed because placement does their work now; listing one is a
 * configuration left over from an older release.
 */
const REMOVED = new Set([
  'RetryFilter',
  'RamFilter',
  'CoreFilter',
  'DiskFilter',
  'AggregateRamFilter',
  'AggregateCoreFilter',
  'AggregateDiskFilter',
  'ExactRamFilter',
  'ExactCoreFilter',
  'ExactDiskFilter',
])

/** Thrown for a name in `enabled_filters` or `weight_classes` that no plugin has. */
export class SchedulerPluginNotFound extends Error {
  constructor(
    readonly option: string,
    readonly plugin: string,
    hint: string,
  ) {
    super(`[filter_scheduler] ${option}: ${plugin} ${hint}`)
  }
}

/** `nova.scheduler.filters.ram_filter.RamFilter` -> `RamFilter`. */
export const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1)

/** Resolves a filter or weigher name from the options; throws with a suggestion. */
export function lookup(option: 'enabled_filters' | 'weight_classes', name: string): PluginModule {
  const known =
    option === 'enabled_filters' ? [...FILTERS, ...CLOUDLET_FILTERS] : [...WEIGHERS, ...CLOUDLET_WEIGHERS]
  const short = shortName(name)
  const found = known.find((m) => m.name === short)
  if (found) return found
  if (REMOVED.has(short))
    throw new SchedulerPluginNotFound(
      option,
      short,
      'was removed upstream: placement checks this now; drop it',
    )
  const near = closest(
    short,
    known.map((m) => m.name),
  )
  throw new SchedulerPluginNotFound(
    option,
    short,
    `is not a known plugin${near ? ` (did you mean ${near}?)` : ''}`,
  )
}
