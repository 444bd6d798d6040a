/**
 * The scheduler's configuration sections with upstream's option names and defaults
 * ([filter_scheduler], [scheduler], [metrics], [pci] alias), plus Cloudlet's own
 * [utilization] for the monitoring-aware pair. The compute module merges these into its
 * schema with `mergeSchemas`; the scheduler itself only reads the typed result.
 */
import { type ConfigOf, defineSections, opt } from '../kernel/config/index.js'

export const schedulerConfig = defineSections({
  filter_scheduler: {
    host_subset_size: opt.int({
      default: 1,
      min: 1,
      help: 'Pick each server at random among this many best-weighed hosts (1: always the best).',
    }),
    max_io_ops_per_host: opt.int({
      default: 8,
      min: 0,
      help: 'IoOpsFilter: refuse hosts with at least this many servers in an I/O-heavy task.',
    }),
    max_instances_per_host: opt.int({
      default: 50,
      min: 1,
      help: 'NumInstancesFilter: refuse hosts with at least this many servers.',
    }),
    available_filters: opt.multiStr({
      default: ['nova.scheduler.filters.all_filters'],
      help: 'Filters that may be enabled; `nova.scheduler.filters.all_filters` means every built-in one.',
    }),
    enabled_filters: opt.list({
      default: [
        'ComputeFilter',
        'ComputeCapabilitiesFilter',
        'ImagePropertiesFilter',
        'ServerGroupAntiAffinityFilter',
        'ServerGroupAffinityFilter',
      ],
      help: 'Filters run on every placement candidate, in this order.',
    }),
    weight_classes: opt.list({
      default: ['nova.scheduler.weights.all_weighers'],
      help: 'Weighers that rank the hosts that passed; `nova.scheduler.weights.all_weighers` means every upstream one.',
    }),
    ram_weight_multiplier: opt.float({
      default: 1.0,
      help: 'RAMWeigher: positive spreads servers over hosts with more free RAM, negative stacks them.',
    }),
    cpu_weight_multiplier: opt.float({
      default: 1.0,
      help: 'CPUWeigher: positive prefers hosts with more free vCPUs, negative stacks.',
    }),
    disk_weight_multiplier: opt.float({
      default: 1.0,
      help: 'DiskWeigher: positive prefers hosts with more free disk, negative stacks.',
    }),
    io_ops_weight_multiplier: opt.float({
      default: -1.0,
      help: 'IoOpsWeigher: negative prefers hosts with fewer I/O-heavy tasks.',
    }),
    pci_weight_multiplier: opt.float({
      default: 1.0,
      min: 0,
      help: 'PCIWeigher: keeps hosts with PCI devices for the servers that ask for them.',
    }),
    soft_affinity_weight_multiplier: opt.float({
      default: 1.0,
      min: 0,
      help: 'ServerGroupSoftAffinityWeigher: preference for hosts running members of a soft-affinity group.',
    }),
    soft_anti_affinity_weight_multiplier: opt.float({
      default: 1.0,
      min: 0,
      help: 'ServerGroupSoftAntiAffinityWeigher: preference for hosts running fewer members of a soft-anti-affinity group.',
    }),
    build_failure_weight_multiplier: opt.float({
      default: 1000000.0,
      help: 'BuildFailureWeigher: how strongly hosts with recent build failures are avoided.',
    }),
    num_instances_weight_multiplier: opt.float({
      default: 0.0,
      help: 'NumInstancesWeigher: positive packs hosts with more servers, negative spreads.',
    }),
    hypervisor_version_weight_multiplier: opt.float({
      default: 1.0,
      help: 'HypervisorVersionWeigher: positive prefers newer hypervisors, negative older.',
    }),
    shuffle_best_same_weighed_hosts: opt.bool({
      default: false,
      help: 'Shuffle the hosts that share the best weight, so equal hosts share the load.',
    }),
    image_properties_default_architecture: opt.str({
      default: undefined,
      help: 'ImagePropertiesFilter: architecture assumed for images that do not set hw_architecture.',
    }),
    isolated_images: opt.list({
      default: [],
      help: 'IsolatedHostsFilter: images that run only on isolated hosts.',
    }),
    isolated_hosts: opt.list({
      default: [],
      help: 'IsolatedHostsFilter: hosts kept for the isolated images.',
    }),
    restrict_isolated_hosts_to_isolated_images: opt.bool({
      default: true,
      help: 'IsolatedHostsFilter: refuse other images on isolated hosts.',
    }),
    aggregate_image_properties_isolation_namespace: opt.str({
      default: undefined,
      help: 'AggregateImagePropertiesIsolation: only aggregate metadata keys in this namespace are compared.',
    }),
    aggregate_image_properties_isolation_separator: opt.str({
      default: '.',
      help: 'AggregateImagePropertiesIsolation: separator between the namespace and the key.',
    }),
  },
  scheduler: {
    max_attempts: opt.int({
      default: 3,
      min: 1,
      help: 'Attempts per server: the chosen host plus up to this many minus one alternates.',
    }),
    max_placement_results: opt.int({
      default: 1000,
      min: 1,
      help: 'The most allocation candidates asked from placement per request.',
    }),
    limit_tenants_to_placement_aggregate: opt.bool({
      default: false,
      help: 'Ask placement only for hosts in aggregates whose filter_tenant_id metadata names the project.',
    }),
    placement_aggregate_required_for_tenants: opt.bool({
      default: false,
      help: 'With tenant isolation, refuse projects that no aggregate names (else they may use any host).',
    }),
    query_placement_for_availability_zone: opt.bool({
      default: true,
      help: "Ask placement only for hosts in the requested zone's aggregates.",
    }),
    query_placement_for_image_type_support: opt.bool({
      default: false,
      help: "Ask placement only for hosts whose COMPUTE_IMAGE_TYPE_* traits include the image's disk format.",
    }),
    enable_isolated_aggregate_filtering: opt.bool({
      default: false,
      help: 'Keep requests off aggregates whose trait:<TRAIT>=required metadata the request does not require.',
    }),
  },
  metrics: {
    weight_multiplier: opt.float({ default: 1.0, help: 'MetricsWeigher: multiplier of the metrics weight.' }),
    weight_setting: opt.list({
      default: [],
      help: 'MetricsWeigher and MetricsFilter: `name=ratio` pairs, e.g. `cpu.percent=-1.0`.',
    }),
    required: opt.bool({
      default: true,
      help: 'MetricsWeigher: a host missing a metric is an error (true) or weighs weight_of_unavailable (false).',
    }),
    weight_of_unavailable: opt.float({
      default: -10000.0,
      help: 'MetricsWeigher: weight of a host missing a metric when `required` is false.',
    }),
  },
  pci: {
    alias: opt.multiStr({
      help: 'A PCI alias as JSON ({"name", "vendor_id", "product_id", "device_type"}); one line per alias.',
    }),
  },
  utilization: {
    metric: opt.str({
      default: 'cpu.percent',
      help: 'Cloudlet: the metric whose average UtilizationFilter and UtilizationWeigher use.',
    }),
    window: opt.int({
      default: 86400,
      min: 60,
      help: 'Cloudlet: seconds of history averaged (86400: the last 24 h).',
    }),
    min_samples: opt.int({
      default: 1,
      min: 1,
      help: 'Cloudlet: fewer samples in the window than this and the average is unknown.',
    }),
    max_average: opt.float({
      default: 85.0,
      min: 0,
      help: 'Cloudlet: UtilizationFilter refuses hosts whose average is above this.',
    }),
    weight_multiplier: opt.float({
      default: 5.0,
      help: 'Cloudlet: UtilizationWeigher multiplier; positive ranks busy hosts last.',
    }),
    unknown_average: opt.float({
      default: 50.0,
      min: 0,
      help: 'Cloudlet: average assumed by UtilizationWeigher for a host without enough history.',
    }),
  },
})

/** The scheduler's typed options. */
export type SchedulerConfig = ConfigOf<typeof schedulerConfig>

/** The defaults, typed, for tests and tools that have no loaded configuration. */
export function defaultSchedulerConfig(overrides: DeepPartial<SchedulerConfig> = {}): SchedulerConfig {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [section, options] of Object.entries(schedulerConfig)) {
    const values: Record<string, unknown> = {}
    for (const [name, o] of Object.entries(options)) values[name] = o.default
    Object.assign(values, (overrides as Record<string, Record<string, unknown> | undefined>)[section] ?? {})
    out[section] = values
  }
  return out as unknown as SchedulerConfig
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] }
