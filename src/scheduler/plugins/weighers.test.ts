/**
 * Table tests for every weigher: host states in, the raw scores, the order they give
 * and (where it matters) the multiplier out, with options and aggregate overrides.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeepPartial, SchedulerConfig } from '../config.js'
import type { ScorePlugin } from '../framework.js'
import type { Aggregate, HostState } from '../host-state.js'
import { type PluginModule, WEIGHERS } from '../registry.js'
import type { RequestSpec } from '../request-spec.js'
import { makeHost, makeRequest, NOW, plugin, res, runWeigher } from '../testing/harness.js'
import * as BuildFailureWeigher from './build-failure-weigher/index.js'
import * as CPUWeigher from './cpu-weigher/index.js'
import * as DiskWeigher from './disk-weigher/index.js'
import * as HypervisorVersionWeigher from './hypervisor-version-weigher/index.js'
import * as IoOpsWeigher from './io-ops-weigher/index.js'
import * as MetricsWeigher from './metrics-weigher/index.js'
import * as NumInstancesWeigher from './num-instances-weigher/index.js'
import * as PCIWeigher from './pci-weigher/index.js'
import * as RAMWeigher from './ram-weigher/index.js'
import * as ServerGroupSoftAffinityWeigher from './server-group-soft-affinity-weigher/index.js'
import * as ServerGroupSoftAntiAffinityWeigher from './server-group-soft-anti-affinity-weigher/index.js'
import * as UtilizationWeigher from './utilization-weigher/index.js'

interface Row {
  readonly case: string
  readonly hosts: HostState[]
  readonly request?: RequestSpec
  readonly options?: DeepPartial<SchedulerConfig>
  readonly raw?: number[]
  /** Hosts, best first. */
  readonly order: string[]
  readonly weights?: number[]
}

function table(m: PluginModule, rows: Row[]): void {
  describe(m.name, () => {
    for (const row of rows) {
      it(row.case, () => {
        const w = plugin<ScorePlugin>(m, row.options)
        assert.equal(w.name, m.name)
        const out = runWeigher(w, row.hosts, row.request ?? makeRequest())
        if (row.raw) assert.deepEqual(out.raw, row.raw)
        assert.deepEqual(out.order, row.order)
        if (row.weights) assert.deepEqual(out.weights, row.weights)
      })
    }
  })
}

const h = makeHost
const agg = (metadata: Record<string, string>): Aggregate => ({ uuid: 'agg', name: 'agg', metadata })

it('every upstream weigher has a table here', () => {
  const tested = [
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
  ].map((m) => m.name)
  assert.deepEqual(
    tested,
    WEIGHERS.map((m) => m.name),
  )
})

const ram = (host: string, total: number, used: number, reserved = 0) =>
  h({ host, resources: { MEMORY_MB: res(total, used, 1.5, reserved) } })

table(RAMWeigher, [
  {
    case: 'free RAM without overcommit; spreads by default',
    hosts: [ram('a', 8192, 4096), ram('b', 16384, 4096, 512), ram('c', 4096, 0)],
    raw: [4096, 11776, 4096],
    order: ['b', 'a', 'c'],
    weights: [0, 1, 0],
  },
  {
    case: 'a negative multiplier stacks',
    hosts: [ram('a', 8192, 4096), ram('b', 16384, 0)],
    options: { filter_scheduler: { ram_weight_multiplier: -1 } },
    order: ['a', 'b'],
    weights: [-0, -1],
  },
  {
    case: 'an aggregate overrides the multiplier for its hosts',
    hosts: [ram('a', 8192, 0), { ...ram('b', 16384, 0), aggregates: [agg({ ram_weight_multiplier: '-2' })] }],
    order: ['a', 'b'],
    weights: [0, -2],
  },
])

table(CPUWeigher, [
  {
    case: 'vCPUs left with the allocation ratio',
    hosts: [
      h({ host: 'a', resources: { VCPU: res(8, 10, 4) } }),
      h({ host: 'b', resources: { VCPU: res(16, 30, 1, 2) } }),
    ],
    raw: [22, -18],
    order: ['a', 'b'],
  },
])

table(DiskWeigher, [
  {
    case: 'free disk in MiB',
    hosts: [
      h({ host: 'a', resources: { DISK_GB: res(100, 90) } }),
      h({ host: 'b', resources: { DISK_GB: res(100, 40) } }),
    ],
    raw: [10240, 61440],
    order: ['b', 'a'],
  },
])

table(IoOpsWeigher, [
  {
    case: 'fewer I/O-heavy tasks first (multiplier -1.0)',
    hosts: [h({ host: 'a', numIoOps: 4 }), h({ host: 'b', numIoOps: 0 }), h({ host: 'c', numIoOps: 2 })],
    order: ['b', 'c', 'a'],
    weights: [-1, -0, -0.5],
  },
])

const n = (k: number) => Array.from({ length: k }, (_, i) => `s${i}`)
table(NumInstancesWeigher, [
  {
    case: 'off by default: every host weighs 0',
    hosts: [h({ host: 'a', instances: n(3) }), h({ host: 'b' })],
    order: ['a', 'b'],
    weights: [0, 0],
  },
  {
    case: 'a negative multiplier spreads',
    hosts: [h({ host: 'a', instances: n(3) }), h({ host: 'b' })],
    options: { filter_scheduler: { num_instances_weight_multiplier: -1 } },
    order: ['b', 'a'],
  },
])

const metric = (name: string, value: number) => ({ name, value, timestamp: NOW })
table(MetricsWeigher, [
  {
    case: 'the weighted sum of the metrics',
    hosts: [
      h({ host: 'busy', metrics: [metric('cpu.percent', 90), metric('cpu.frequency', 3000)] }),
      h({ host: 'idle', metrics: [metric('cpu.percent', 10), metric('cpu.frequency', 2000)] }),
    ],
    options: { metrics: { weight_setting: ['cpu.percent=-10', 'cpu.frequency=0.1'] } },
    raw: [-600, 100],
    order: ['idle', 'busy'],
  },
  {
    case: 'with required = false a missing metric weighs weight_of_unavailable',
    hosts: [h({ host: 'blind' }), h({ host: 'seen', metrics: [metric('cpu.percent', 90)] })],
    options: { metrics: { weight_setting: ['cpu.percent=-1'], required: false } },
    raw: [-10000, -90],
    order: ['seen', 'blind'],
  },
])

describe('MetricsWeigher with required = true', () => {
  it('a missing metric is an error naming the host and metric', () => {
    const w = plugin<ScorePlugin>(MetricsWeigher, { metrics: { weight_setting: ['cpu.percent=1'] } })
    assert.throws(
      () => runWeigher(w, [h({ host: 'blind' })], makeRequest()),
      /blind reports no metric cpu.percent/,
    )
  })
})

const pool = (count: number) => [{ vendorId: '10de', productId: '1eb8', deviceType: 'type-PCI', count }]
table(PCIWeigher, [
  {
    case: 'hosts with fewer free devices first, the count capped at 100',
    hosts: [
      h({ host: 'many', pciPools: pool(500) }),
      h({ host: 'none' }),
      h({ host: 'few', pciPools: pool(2) }),
    ],
    raw: [1, 100, 98],
    order: ['none', 'few', 'many'],
  },
])

table(BuildFailureWeigher, [
  {
    case: 'recent failures push a host down by a large multiplier',
    hosts: [h({ host: 'flaky', failedBuilds: 3 }), h({ host: 'ok' })],
    order: ['ok', 'flaky'],
    weights: [-1000000, -0],
  },
])

const groupReq = (policy: 'soft-affinity' | 'soft-anti-affinity') =>
  makeRequest({ group: { uuid: 'g', policy, rules: {}, members: ['m1', 'm2', 'm3'], hosts: ['a', 'b'] } })
table(ServerGroupSoftAffinityWeigher, [
  {
    case: 'more members, more weight',
    hosts: [
      h({ host: 'a', instances: ['m1'] }),
      h({ host: 'b', instances: ['m2', 'm3', 'x'] }),
      h({ host: 'c' }),
    ],
    request: groupReq('soft-affinity'),
    raw: [1, 2, 0],
    order: ['b', 'a', 'c'],
  },
  {
    case: 'another policy: no effect',
    hosts: [h({ host: 'a', instances: ['m1'] }), h({ host: 'b' })],
    request: groupReq('soft-anti-affinity'),
    raw: [0, 0],
    order: ['a', 'b'],
  },
])

table(ServerGroupSoftAntiAffinityWeigher, [
  {
    case: 'fewer members, more weight',
    hosts: [h({ host: 'a', instances: ['m1'] }), h({ host: 'b', instances: ['m2', 'm3'] }), h({ host: 'c' })],
    request: groupReq('soft-anti-affinity'),
    raw: [-1, -2, -0],
    order: ['c', 'a', 'b'],
  },
])

table(HypervisorVersionWeigher, [
  {
    case: 'newer first; negative multiplier prefers older',
    hosts: [h({ host: 'old', hypervisorVersion: 6000000 }), h({ host: 'new', hypervisorVersion: 8002000 })],
    order: ['new', 'old'],
  },
  {
    case: 'negative multiplier prefers older',
    hosts: [h({ host: 'old', hypervisorVersion: 6000000 }), h({ host: 'new', hypervisorVersion: 8002000 })],
    options: { filter_scheduler: { hypervisor_version_weight_multiplier: -1 } },
    order: ['old', 'new'],
  },
])

const cpu = (values: [number, number][]) => ({
  'cpu.percent': values.map(([ago, v]) => [NOW - ago, v] as const),
})
table(UtilizationWeigher, [
  {
    case: 'the least busy over the window first; unknown hosts count as unknown_average',
    hosts: [
      h({
        host: 'busy',
        metricsHistory: cpu([
          [3600, 90],
          [60, 90],
        ]),
      }),
      h({
        host: 'calm',
        metricsHistory: cpu([
          [3600, 10],
          [60, 30],
        ]),
      }),
      h({ host: 'new' }),
    ],
    raw: [-90, -20, -50],
    order: ['calm', 'new', 'busy'],
  },
])
