/**
 * The compute agent's configuration: upstream's `[DEFAULT]` options for the driver, the
 * allocation ratios and reserved amounts it reports to placement, the resource update
 * period, concurrent builds and monitors; and `[fake_driver]` (Cloudlet's own). The
 * compute module merges `computeAgentConfig` into its schema, so `cloudlet config check`
 * knows every option.
 */
import { type ConfigOf, defineSections, mergeSchemas, opt } from '../../kernel/config/index.js'
import type { HostConfig } from '../../kernel/host/index.js'
import { fakeDriverConfig } from './drivers/fake/fake-config.js'

const ratio = (resource: string, related: string) =>
  opt.float({
    default: undefined,
    min: 0,
    help: `${resource} allocation ratio written to placement on every update. Unset or 0: the ratio already in placement stays (an operator may have changed it there); a new provider gets ${related}.`,
  })

export const computeAgentSections = defineSections({
  DEFAULT: {
    compute_driver: opt.enum({
      // NOTE: upstream spells drivers as module.Class; `fake.FakeDriver` is accepted so
      // an upstream nova.conf carries over. The qemu driver joins the list when it exists.
      choices: ['fake', 'fake.FakeDriver'] as const,
      default: 'fake',
      help: 'The hypervisor driver of the compute agents: fake (simulated hosts, [fake_driver]).',
    }),
    cpu_allocation_ratio: ratio('VCPU', 'initial_cpu_allocation_ratio'),
    ram_allocation_ratio: ratio('MEMORY_MB', 'initial_ram_allocation_ratio'),
    disk_allocation_ratio: ratio('DISK_GB', 'initial_disk_allocation_ratio'),
    // NOTE: the initial ratios are Zed's (16.0, 1.5, 1.0), the release the project
    // matches; 2023.1 lowered them to 4.0 and 1.0.
    initial_cpu_allocation_ratio: opt.float({
      default: 16.0,
      min: 0,
      help: 'VCPU allocation ratio of a compute node provider when it is created.',
    }),
    initial_ram_allocation_ratio: opt.float({
      default: 1.5,
      min: 0,
      help: 'MEMORY_MB allocation ratio of a compute node provider when it is created.',
    }),
    initial_disk_allocation_ratio: opt.float({
      default: 1.0,
      min: 0,
      help: 'DISK_GB allocation ratio of a compute node provider when it is created.',
    }),
    reserved_host_memory_mb: opt.int({
      default: 512,
      min: 0,
      help: "Memory (MiB) kept for the host's own processes: placement's MEMORY_MB reserved.",
    }),
    reserved_host_disk_mb: opt.int({
      default: 0,
      min: 0,
      help: 'Disk (MiB) kept for the host: placement DISK_GB reserved, rounded up to GiB.',
    }),
    reserved_host_cpus: opt.int({
      default: 0,
      min: 0,
      help: 'Physical CPUs kept for the host: placement VCPU reserved.',
    }),
    update_resources_interval: opt.int({
      default: 0,
      help: "Seconds between updates of each host's resources in placement; 0: every 60 seconds; below 0: never after the first.",
    }),
    max_concurrent_builds: opt.int({
      default: 10,
      min: 0,
      help: 'Builds an agent runs at once; the rest wait. 0: no limit.',
    }),
    compute_monitors: opt.list({
      default: [],
      help: 'Monitors whose metrics each resource update publishes (compute.metrics.update notifications): cpu.virt_driver for the host CPU use the driver reports.',
    }),
  },
})

/** Every section the agents read: merge it into the compute module's schema. */
export const computeAgentConfig = mergeSchemas(computeAgentSections, fakeDriverConfig)

export type ComputeAgentConfig = ConfigOf<typeof computeAgentConfig> & HostConfig

/** The default periodic interval upstream's resource update runs at. */
export const DEFAULT_UPDATE_INTERVAL_SECONDS = 60

/** `update_resources_interval` as milliseconds between runs; undefined: no periodic run. */
export function updateIntervalMs(config: Pick<ComputeAgentConfig['DEFAULT'], 'update_resources_interval'>) {
  const s = config.update_resources_interval
  if (s < 0) return undefined
  return (s === 0 ? DEFAULT_UPDATE_INTERVAL_SECONDS : s) * 1000
}
