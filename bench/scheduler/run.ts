/**
 * bench/scheduler: decision latency of the scheduler library (request filters, filters,
 * weighing, pick, alternates) over simulated clouds of 1,000 and 10,000 hosts, p50/p99
 * per decision. Placement's candidates are computed once per cloud outside the timing:
 * they are an input of the scheduler, and placement has its own benchmark.
 *
 * usage: node dist/bench/scheduler/run.js [hosts=1000,10000] [decisions=200]
 */
import { cpus } from 'node:os'
import type { DeepPartial, SchedulerConfig } from '../../src/scheduler/config.js'
import { explain, explainText } from '../../src/scheduler/explain.js'
import type { Aggregate, HostState } from '../../src/scheduler/host-state.js'
import { buildProfile } from '../../src/scheduler/profiles.js'
import type { RequestSpec } from '../../src/scheduler/request-spec.js'
import { prepare, select } from '../../src/scheduler/runtime.js'
import {
  config,
  fakePlacement,
  makeHost,
  makeRequest,
  makeSnapshot,
  NOW,
  res,
} from '../../src/scheduler/testing/harness.js'

const sizes = (process.argv[2] ?? '1000,10000').split(',').map(Number)
const decisions = Number(process.argv[3] ?? 200)

/** Park-Miller: the same cloud on every run. */
function rng(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 48271) % 2147483647
    return s / 2147483647
  }
}

function cloud(n: number): HostState[] {
  const r = rng(42)
  const zones: Aggregate[] = Array.from({ length: 4 }, (_, i) => ({
    uuid: `az${i}`,
    name: `az${i}`,
    metadata: { availability_zone: `az${i}` },
  }))
  const ssd: Aggregate = { uuid: 'ssd', name: 'ssd', metadata: { ssd: 'true' } }
  const tenant: Aggregate = { uuid: 'private', name: 'private', metadata: { filter_tenant_id: 'other' } }
  return Array.from({ length: n }, (_, i) => {
    const vcpus = 32 + Math.floor(r() * 4) * 32
    const ram = vcpus * 8192
    const instances = Array.from({ length: Math.floor(r() * 40) }, (_, k) => `h${i}-s${k}`)
    const aggregates = [zones[i % 4]!]
    if (r() < 0.5) aggregates.push(ssd)
    if (r() < 0.05) aggregates.push(tenant)
    const avg = r() * 100
    return makeHost({
      host: `host-${String(i).padStart(5, '0')}`,
      resources: {
        VCPU: res(vcpus, Math.floor(r() * vcpus * 3), 4),
        MEMORY_MB: res(ram, Math.floor(r() * ram * 0.9), 1, 4096),
        DISK_GB: res(4000, Math.floor(r() * 3000)),
      },
      traits: r() < 0.8 ? ['HW_CPU_X86_AVX2', 'COMPUTE_IMAGE_TYPE_QCOW2'] : ['COMPUTE_IMAGE_TYPE_QCOW2'],
      aggregates,
      instances,
      numIoOps: Math.floor(r() * 10),
      failedBuilds: r() < 0.02 ? 1 : 0,
      hypervisorVersion: 6000000 + Math.floor(r() * 3) * 1000000,
      metrics: [{ name: 'cpu.percent', value: avg, timestamp: NOW }],
      metricsHistory: {
        'cpu.percent': Array.from({ length: 24 }, (_, k) => [NOW - 86400 + k * 3600 + 60, avg] as const),
      },
      pciPools: r() < 0.1 ? [{ vendorId: '10de', productId: '1eb8', deviceType: 'type-PCI', count: 4 }] : [],
      service: { disabled: r() < 0.01, forcedDown: false, up: r() > 0.01 },
    })
  })
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}

interface Case {
  readonly name: string
  readonly options: DeepPartial<SchedulerConfig>
  readonly request: RequestSpec
}

const CASES: Case[] = [
  { name: 'defaults, 1 server', options: {}, request: makeRequest({ flavor: { vcpus: 2, memoryMb: 4096 } }) },
  {
    name: 'every filter + all weighers + Utilization, 1 server',
    options: {
      filter_scheduler: {
        enabled_filters: [
          'ComputeFilter',
          'AvailabilityZoneFilter',
          'ComputeCapabilitiesFilter',
          'ImagePropertiesFilter',
          'ServerGroupAffinityFilter',
          'ServerGroupAntiAffinityFilter',
          'SameHostFilter',
          'DifferentHostFilter',
          'AggregateInstanceExtraSpecsFilter',
          'AggregateMultiTenancyIsolation',
          'AggregateImagePropertiesIsolation',
          'AggregateNumInstancesFilter',
          'AggregateIoOpsFilter',
          'NumInstancesFilter',
          'IoOpsFilter',
          'IsolatedHostsFilter',
          'JsonFilter',
          'MetricsFilter',
          'PciPassthroughFilter',
          'UtilizationFilter',
        ],
        weight_classes: ['nova.scheduler.weights.all_weighers', 'UtilizationWeigher'],
      },
      metrics: { weight_setting: ['cpu.percent=-1.0'] },
    },
    request: makeRequest({
      flavor: { vcpus: 2, memoryMb: 4096, extraSpecs: { 'aggregate_instance_extra_specs:ssd': 'true' } },
      image: { id: 'img', diskFormat: 'qcow2', properties: { hw_architecture: 'x86_64' } },
      hints: { query: JSON.stringify(['>=', '$free_ram_mb', 4096]) },
      group: { uuid: 'g', policy: 'anti-affinity', rules: {}, members: ['m1'], hosts: [] },
    }),
  },
  {
    name: 'defaults, 10 servers (multi-create)',
    options: {},
    request: makeRequest({
      flavor: { vcpus: 2, memoryMb: 4096 },
      instanceUuids: Array.from({ length: 10 }, (_, i) => `x${i}`),
    }),
  },
]

console.log(
  `# scheduler decision latency; node ${process.version}, ${cpus().length} cores, load ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
)
console.log(
  '| hosts | case | candidates | decisions | p50 ms | p99 ms | CPU ms per decision | explain text p50 ms |',
)
console.log('|---|---|---|---|---|---|---|---|')
for (const n of sizes) {
  const snapshot = makeSnapshot(cloud(n))
  for (const c of CASES) {
    const profile = buildProfile(config(c.options))
    const candidates = fakePlacement(snapshot)(prepare(profile, snapshot, c.request))
    const runs = n >= 10000 ? Math.max(20, Math.floor(decisions / 4)) : decisions
    const random = rng(7)
    for (let i = 0; i < 5; i++) select(profile, prepare(profile, snapshot, c.request), candidates, { random })
    const times: number[] = []
    const explainTimes: number[] = []
    let cpuMicros = 0
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const result = select(profile, prepare(profile, snapshot, c.request), candidates, { random })
      const t1 = performance.now()
      const c1 = process.cpuUsage(c0)
      // NOTE: wall time on a shared machine includes waiting for a core; the process's
      // CPU time per decision is the figure other engineers' load does not inflate.
      cpuMicros += c1.user + c1.system
      times.push(t1 - t0)
      if (!result.plan) throw new Error(`${c.name}: no plan`)
      if (i < 10) {
        const t2 = performance.now()
        explainText(explain(result))
        explainTimes.push(performance.now() - t2)
      }
    }
    console.log(
      `| ${n.toLocaleString('en')} | ${c.name} | ${candidates.length.toLocaleString('en')} | ${runs} | ${pct(times, 50).toFixed(2)} | ${pct(times, 99).toFixed(2)} | ${(cpuMicros / runs / 1000).toFixed(2)} | ${pct(explainTimes, 50).toFixed(1)} |`,
    )
  }
}
