/**
 * Table tests for every filter: host states in, the hosts that pass and the reasons of
 * the others out. Each row is one situation an operator would recognise.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeepPartial, SchedulerConfig } from '../config.js'
import type { FilterPlugin } from '../framework.js'
import type { Aggregate, HostState } from '../host-state.js'
import type { PluginModule } from '../registry.js'
import { FILTERS } from '../registry.js'
import type { RequestSpec } from '../request-spec.js'
import { makeHost, makeRequest, NOW, plugin, runFilter } from '../testing/harness.js'
import * as AggregateImagePropertiesIsolation from './aggregate-image-properties-isolation/index.js'
import * as AggregateInstanceExtraSpecsFilter from './aggregate-instance-extra-specs-filter/index.js'
import * as AggregateIoOpsFilter from './aggregate-io-ops-filter/index.js'
import * as AggregateMultiTenancyIsolation from './aggregate-multi-tenancy-isolation/index.js'
import * as AggregateNumInstancesFilter from './aggregate-num-instances-filter/index.js'
import * as AllHostsFilter from './all-hosts-filter/index.js'
import * as AvailabilityZoneFilter from './availability-zone-filter/index.js'
import * as ComputeCapabilitiesFilter from './compute-capabilities-filter/index.js'
import * as ComputeFilter from './compute-filter/index.js'
import * as DifferentHostFilter from './different-host-filter/index.js'
import * as ImagePropertiesFilter from './image-properties-filter/index.js'
import * as IoOpsFilter from './io-ops-filter/index.js'
import * as IsolatedHostsFilter from './isolated-hosts-filter/index.js'
import * as JsonFilter from './json-filter/index.js'
import * as MetricsFilter from './metrics-filter/index.js'
import * as NumInstancesFilter from './num-instances-filter/index.js'
import * as PciPassthroughFilter from './pci-passthrough-filter/index.js'
import * as SameHostFilter from './same-host-filter/index.js'
import * as ServerGroupAffinityFilter from './server-group-affinity-filter/index.js'
import * as ServerGroupAntiAffinityFilter from './server-group-anti-affinity-filter/index.js'
import * as UtilizationFilter from './utilization-filter/index.js'

interface Row {
  readonly case: string
  readonly hosts: HostState[]
  readonly request?: RequestSpec
  readonly options?: DeepPartial<SchedulerConfig>
  readonly passed: string[]
  /** Host -> the first reason the filter gives (exact). */
  readonly rejected?: Record<string, string>
  readonly skipped?: boolean
}

function table(m: PluginModule, rows: Row[]): void {
  describe(m.name, () => {
    for (const row of rows) {
      it(row.case, () => {
        const f = plugin<FilterPlugin>(m, row.options)
        assert.equal(f.name, m.name)
        const out = runFilter(f, row.hosts, row.request ?? makeRequest())
        assert.deepEqual(out.passed, row.passed)
        assert.deepEqual(out.rejected, row.rejected ?? {})
        if (row.skipped !== undefined) assert.equal(out.skipped, row.skipped)
      })
    }
  })
}

const agg = (uuid: string, metadata: Record<string, string>): Aggregate => ({ uuid, name: uuid, metadata })
const h = makeHost

it('every upstream filter has a table here', () => {
  const tested = [
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
  ].map((m) => m.name)
  assert.deepEqual(
    tested,
    FILTERS.map((m) => m.name),
  )
})

table(ComputeFilter, [
  {
    case: 'enabled and up passes; disabled, forced down and silent hosts do not',
    hosts: [
      h({ host: 'ok' }),
      h({ host: 'off', service: { disabled: true, disabledReason: 'maintenance' } }),
      h({ host: 'fenced', service: { forcedDown: true } }),
      h({ host: 'silent', service: { up: false } }),
    ],
    passed: ['ok'],
    rejected: {
      off: 'compute service disabled',
      fenced: 'compute service forced down',
      silent: 'compute service down',
    },
  },
])

table(AvailabilityZoneFilter, [
  {
    case: 'no zone requested: skipped, everyone passes',
    hosts: [h({ host: 'a' })],
    passed: ['a'],
    skipped: true,
  },
  {
    case: 'a zone from aggregates; hosts in no zoned aggregate are in the default zone',
    hosts: [
      h({ host: 'a', aggregates: [agg('agg-1', { availability_zone: 'az1' })] }),
      h({ host: 'b', aggregates: [agg('agg-2', { availability_zone: 'az2' })] }),
      h({ host: 'c' }),
    ],
    request: makeRequest({ availabilityZone: 'az1' }),
    passed: ['a'],
    rejected: { b: 'not in the requested availability zone', c: 'not in the requested availability zone' },
  },
  {
    case: 'the default zone matches hosts without a zone',
    hosts: [h({ host: 'a', aggregates: [agg('agg-1', { availability_zone: 'az1' })] }), h({ host: 'c' })],
    request: makeRequest({ availabilityZone: 'nova' }),
    passed: ['c'],
    rejected: { a: 'not in the requested availability zone' },
  },
])

table(ComputeCapabilitiesFilter, [
  {
    case: 'capabilities: and unscoped keys are compared; other scopes are ignored',
    hosts: [
      h({ host: 'kvm', cpuInfo: { arch: 'x86_64', topology: { cores: 8 } } }),
      h({ host: 'arm', cpuInfo: { arch: 'aarch64', topology: { cores: 8 } } }),
      h({ host: 'small', cpuInfo: { arch: 'x86_64', topology: { cores: 2 } } }),
    ],
    request: makeRequest({
      flavor: {
        extraSpecs: {
          'capabilities:cpu_info:arch': 'x86_64',
          'capabilities:cpu_info:topology:cores': '>= 4',
          hypervisor_type: 's== QEMU',
          'hw:cpu_policy': 'dedicated',
          'trait:HW_CPU_X86_AVX2': 'required',
        },
      },
    }),
    passed: ['kvm'],
    rejected: { arm: 'capability does not match', small: 'capability does not match' },
  },
  {
    case: 'a capability the host does not report fails',
    hosts: [h({ host: 'a' })],
    request: makeRequest({ flavor: { extraSpecs: { 'capabilities:cpu_info:vendor': 'Intel' } } }),
    passed: [],
    rejected: { a: 'capability not reported' },
  },
])

table(ImagePropertiesFilter, [
  {
    case: 'an image without properties goes anywhere',
    hosts: [h({ host: 'a', supportedInstances: [] })],
    passed: ['a'],
  },
  {
    case: 'architecture, hypervisor type and vm mode must be supported together',
    hosts: [
      h({ host: 'x86', supportedInstances: [['x86_64', 'qemu', 'hvm']] }),
      h({ host: 'arm', supportedInstances: [['aarch64', 'qemu', 'hvm']] }),
      h({ host: 'none', supportedInstances: [] }),
    ],
    request: makeRequest({
      image: { id: 'i', properties: { hw_architecture: 'amd64', img_hv_type: 'qemu' } },
    }),
    passed: ['x86'],
    rejected: { arm: 'image properties not supported', none: 'host reports no supported instance types' },
  },
  {
    case: 'img_hv_requested_version compares with the host version',
    hosts: [h({ host: 'new', hypervisorVersion: 8002000 }), h({ host: 'old', hypervisorVersion: 6000000 })],
    request: makeRequest({ image: { id: 'i', properties: { img_hv_requested_version: '>=7.0' } } }),
    passed: ['new'],
    rejected: { old: 'hypervisor version too old or too new for the image' },
  },
  {
    case: 'image_properties_default_architecture applies to images without one',
    hosts: [h({ host: 'x86' }), h({ host: 'arm', supportedInstances: [['aarch64', 'qemu', 'hvm']] })],
    options: { filter_scheduler: { image_properties_default_architecture: 'aarch64' } },
    passed: ['arm'],
    rejected: { x86: 'image properties not supported' },
  },
])

const group = (policy: 'affinity' | 'anti-affinity', hosts: string[], members: string[], max?: number) =>
  makeRequest({
    group: { uuid: 'g1', policy, rules: max ? { maxServerPerHost: max } : {}, members, hosts },
    instanceUuids: ['new'],
  })

table(ServerGroupAffinityFilter, [
  {
    case: 'the first member goes anywhere',
    hosts: [h({ host: 'a' })],
    request: group('affinity', [], ['new']),
    passed: ['a'],
    skipped: true,
  },
  {
    case: 'later members follow the group',
    hosts: [h({ host: 'a', instances: ['m1'] }), h({ host: 'b' })],
    request: group('affinity', ['a'], ['m1', 'new']),
    passed: ['a'],
    rejected: { b: 'affinity group runs elsewhere' },
  },
])

table(ServerGroupAntiAffinityFilter, [
  {
    case: 'one member per host by default',
    hosts: [h({ host: 'a', instances: ['m1'] }), h({ host: 'b', instances: ['other'] })],
    request: group('anti-affinity', ['a'], ['m1', 'new']),
    passed: ['b'],
    rejected: { a: 'anti-affinity group already on host' },
  },
  {
    case: 'max_server_per_host raises the bound',
    hosts: [h({ host: 'a', instances: ['m1'] }), h({ host: 'b', instances: ['m2', 'm3'] })],
    request: group('anti-affinity', ['a', 'b'], ['m1', 'm2', 'm3', 'new'], 2),
    passed: ['a'],
    rejected: { b: 'anti-affinity group already on host' },
  },
  {
    case: 'other policies: skipped',
    hosts: [h({ host: 'a', instances: ['m1'] })],
    request: group('affinity', ['a'], ['m1']),
    passed: ['a'],
    skipped: true,
  },
])

table(SameHostFilter, [
  {
    case: 'only hosts running a same_host server',
    hosts: [h({ host: 'a', instances: ['s1'] }), h({ host: 'b', instances: ['s2'] })],
    request: makeRequest({ hints: { same_host: ['s1', 's9'] } }),
    passed: ['a'],
    rejected: { b: 'runs none of the same_host servers' },
  },
  { case: 'no hint: skipped', hosts: [h({ host: 'a' })], passed: ['a'], skipped: true },
])

table(DifferentHostFilter, [
  {
    case: 'hosts running a different_host server are refused',
    hosts: [h({ host: 'a', instances: ['s1'] }), h({ host: 'b', instances: ['s2'] })],
    request: makeRequest({ hints: { different_host: 's1' } }),
    passed: ['b'],
    rejected: { a: 'runs a different_host server' },
  },
])

table(AggregateInstanceExtraSpecsFilter, [
  {
    case: 'scoped and unscoped keys must match an aggregate; other scopes are ignored',
    hosts: [
      h({ host: 'ssd', aggregates: [agg('a1', { ssd: 'true', gen: '5' })] }),
      h({ host: 'hdd', aggregates: [agg('a2', { ssd: 'false', gen: '5' })] }),
      h({ host: 'bare' }),
      h({ host: 'old', aggregates: [agg('a3', { ssd: 'true', gen: '3' })] }),
    ],
    request: makeRequest({
      flavor: {
        extraSpecs: { 'aggregate_instance_extra_specs:ssd': 'true', gen: '>= 4', 'hw:cpu_policy': 'shared' },
      },
    }),
    passed: ['ssd'],
    rejected: {
      hdd: 'aggregate metadata does not match',
      bare: 'aggregate metadata missing',
      old: 'aggregate metadata does not match',
    },
  },
])

table(AggregateMultiTenancyIsolation, [
  {
    case: 'hosts kept for projects take only theirs; open hosts take everyone',
    hosts: [
      h({ host: 'mine', aggregates: [agg('a1', { filter_tenant_id: 'p0,p1' })] }),
      h({ host: 'theirs', aggregates: [agg('a2', { filter_tenant_id: 'p2', filter_tenant_id_2: 'p3' })] }),
      h({ host: 'open' }),
    ],
    passed: ['mine', 'open'],
    rejected: { theirs: 'host kept for other projects' },
  },
])

table(AggregateImagePropertiesIsolation, [
  {
    case: 'an image property the aggregate sets must be one of its values',
    hosts: [
      h({ host: 'win', aggregates: [agg('a1', { os_distro: 'windows' })] }),
      h({ host: 'linux', aggregates: [agg('a2', { os_distro: 'ubuntu,debian' })] }),
      h({ host: 'open', aggregates: [agg('a3', { other: 'x' })] }),
    ],
    request: makeRequest({ image: { id: 'i', properties: { os_distro: 'debian' } } }),
    passed: ['linux', 'open'],
    rejected: { win: 'image property isolated to other aggregates' },
  },
  {
    case: 'with a namespace only its keys isolate',
    hosts: [h({ host: 'a', aggregates: [agg('a1', { os_distro: 'windows', 'iso.os_type': 'linux' })] })],
    request: makeRequest({ image: { id: 'i', properties: { os_distro: 'debian', 'iso.os_type': 'linux' } } }),
    options: { filter_scheduler: { aggregate_image_properties_isolation_namespace: 'iso' } },
    passed: ['a'],
  },
])

const servers = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`)

table(AggregateNumInstancesFilter, [
  {
    case: 'the aggregate limit (smallest wins) replaces the option',
    hosts: [
      h({
        host: 'a',
        instances: servers(3),
        aggregates: [agg('a1', { max_instances_per_host: '5' }), agg('a2', { max_instances_per_host: '3' })],
      }),
      h({ host: 'b', instances: servers(10) }),
      h({ host: 'c', instances: servers(2), aggregates: [agg('a1', { max_instances_per_host: '5' })] }),
    ],
    options: { filter_scheduler: { max_instances_per_host: 10 } },
    passed: ['c'],
    rejected: { a: 'too many servers', b: 'too many servers' },
  },
])

table(AggregateIoOpsFilter, [
  {
    case: 'the aggregate limit replaces max_io_ops_per_host',
    hosts: [
      h({ host: 'a', numIoOps: 2, aggregates: [agg('a1', { max_io_ops_per_host: '2' })] }),
      h({ host: 'b', numIoOps: 7 }),
    ],
    passed: ['b'],
    rejected: { a: 'too many I/O-heavy tasks' },
  },
])

table(NumInstancesFilter, [
  {
    case: 'at max_instances_per_host a host is full',
    hosts: [h({ host: 'a', instances: servers(49) }), h({ host: 'b', instances: servers(50) })],
    passed: ['a'],
    rejected: { b: 'too many servers' },
  },
])

table(IoOpsFilter, [
  {
    case: 'at max_io_ops_per_host a host is busy',
    hosts: [h({ host: 'a', numIoOps: 7 }), h({ host: 'b', numIoOps: 8 })],
    passed: ['a'],
    rejected: { b: 'too many I/O-heavy tasks' },
  },
])

const isolated = { filter_scheduler: { isolated_images: ['img-iso'], isolated_hosts: ['iso'] } }
table(IsolatedHostsFilter, [
  {
    case: 'an isolated image goes only to isolated hosts',
    hosts: [h({ host: 'iso' }), h({ host: 'plain' })],
    request: makeRequest({ image: { id: 'img-iso', properties: {} } }),
    options: isolated,
    passed: ['iso'],
    rejected: { plain: 'isolated image needs an isolated host' },
  },
  {
    case: 'other images stay off isolated hosts by default',
    hosts: [h({ host: 'iso' }), h({ host: 'plain' })],
    options: isolated,
    passed: ['plain'],
    rejected: { iso: 'isolated host takes only isolated images' },
  },
  {
    case: 'restrict_isolated_hosts_to_isolated_images = false opens them',
    hosts: [h({ host: 'iso' }), h({ host: 'plain' })],
    options: {
      filter_scheduler: { ...isolated.filter_scheduler, restrict_isolated_hosts_to_isolated_images: false },
    },
    passed: ['iso', 'plain'],
  },
])

table(JsonFilter, [
  {
    case: 'a query over free RAM and vCPUs',
    hosts: [
      h({ host: 'big' }),
      h({
        host: 'small',
        resources: {
          VCPU: { total: 4, used: 0, reserved: 0, allocationRatio: 1 },
          MEMORY_MB: { total: 512, used: 0, reserved: 0, allocationRatio: 1 },
        },
      }),
    ],
    request: makeRequest({
      hints: { query: JSON.stringify(['and', ['>=', '$free_ram_mb', 1024], ['>=', '$vcpus_total', 8]]) },
    }),
    passed: ['big'],
    rejected: { small: 'does not satisfy the query hint' },
  },
  {
    case: 'in: the first argument is one of the others',
    hosts: [h({ host: 'a' }), h({ host: 'b' }), h({ host: 'c' })],
    request: makeRequest({ hints: { query: JSON.stringify(['in', '$host', 'a', 'b']) } }),
    passed: ['a', 'b'],
    rejected: { c: 'does not satisfy the query hint' },
  },
  {
    case: 'not negates each argument; the host passes if any result is true',
    hosts: [h({ host: 'a' }), h({ host: 'c' })],
    request: makeRequest({ hints: { query: JSON.stringify(['not', ['=', '$host', 'c']]) } }),
    passed: ['a'],
    rejected: { c: 'does not satisfy the query hint' },
  },
  {
    case: 'or over comparisons; an unknown variable drops out',
    hosts: [h({ host: 'a', numIoOps: 3 }), h({ host: 'c' })],
    request: makeRequest({
      hints: { query: JSON.stringify(['or', ['>', '$num_io_ops', 2], ['=', '$nope', 1]]) },
    }),
    passed: ['a'],
    rejected: { c: 'does not satisfy the query hint' },
  },
  {
    case: 'a malformed query refuses every host with an error',
    hosts: [h({ host: 'a' })],
    request: makeRequest({ hints: { query: '[">=", ' } }),
    passed: [],
    rejected: { a: 'query hint is not valid JSON' },
  },
])

table(MetricsFilter, [
  {
    case: 'hosts must report every weighed metric',
    hosts: [
      h({
        host: 'a',
        metrics: [
          { name: 'cpu.percent', value: 10, timestamp: NOW },
          { name: 'cpu.frequency', value: 2000, timestamp: NOW },
        ],
      }),
      h({ host: 'b', metrics: [{ name: 'cpu.percent', value: 10, timestamp: NOW }] }),
    ],
    options: { metrics: { weight_setting: ['cpu.percent=-1.0', 'cpu.frequency=1.0'] } },
    passed: ['a'],
    rejected: { b: 'metrics not reported' },
  },
])

const pciAlias = {
  pci: {
    alias: [
      JSON.stringify({ name: 'gpu', vendor_id: '10de', product_id: '1eb8', device_type: 'type-PCI' }),
      JSON.stringify({ name: 'nic', vendor_id: '8086', product_id: '154d', device_type: 'type-VF' }),
    ],
  },
}
table(PciPassthroughFilter, [
  {
    case: 'devices of the alias must be free, all requests at once',
    hosts: [
      h({
        host: 'two-gpus',
        pciPools: [
          { vendorId: '10de', productId: '1eb8', deviceType: 'type-PCI', count: 2 },
          { vendorId: '8086', productId: '154d', deviceType: 'type-VF', count: 8 },
        ],
      }),
      h({
        host: 'one-gpu',
        pciPools: [
          { vendorId: '10de', productId: '1eb8', deviceType: 'type-PCI', count: 1 },
          { vendorId: '8086', productId: '154d', deviceType: 'type-VF', count: 8 },
        ],
      }),
      h({
        host: 'no-vf',
        pciPools: [{ vendorId: '10de', productId: '1eb8', deviceType: 'type-PCI', count: 4 }],
      }),
    ],
    request: makeRequest({ flavor: { extraSpecs: { 'pci_passthrough:alias': 'gpu:2,nic:1' } } }),
    options: pciAlias,
    passed: ['two-gpus'],
    rejected: { 'one-gpu': 'not enough free PCI devices', 'no-vf': 'not enough free PCI devices' },
  },
  {
    case: 'an alias the configuration does not define refuses the request',
    hosts: [h({ host: 'a' })],
    request: makeRequest({ flavor: { extraSpecs: { 'pci_passthrough:alias': 'fpga:1' } } }),
    options: pciAlias,
    passed: [],
    rejected: { a: 'PCI alias fpga is not defined in [pci] alias' },
  },
  { case: 'no PCI request: skipped', hosts: [h({ host: 'a' })], passed: ['a'], skipped: true },
])

table(AllHostsFilter, [
  {
    case: 'passes everything',
    hosts: [h({ host: 'a', service: { disabled: true } }), h({ host: 'b' })],
    passed: ['a', 'b'],
  },
])

const day = 86400
const history = (values: [number, number][]) => ({
  'cpu.percent': values.map(([ago, v]) => [NOW - ago, v] as const),
})
table(UtilizationFilter, [
  {
    case: 'the window average, not the latest sample, decides; samples outside the window do not count',
    hosts: [
      // busy all day, a quiet last minute: still busy
      h({
        host: 'busy',
        metricsHistory: history([
          [day - 10, 99],
          [day * 0.75, 97],
          [day / 2, 96],
          [day / 4, 98],
          [60, 60],
        ]),
      }),
      // quiet today, busy two days ago: quiet
      h({
        host: 'quiet',
        metricsHistory: history([
          [2 * day, 99],
          [day / 2, 20],
          [60, 30],
        ]),
      }),
      h({ host: 'new' }),
    ],
    passed: ['quiet', 'new'],
    rejected: { busy: 'average utilisation too high' },
  },
  {
    case: 'max_average and window are options',
    hosts: [
      h({
        host: 'a',
        metricsHistory: history([
          [3000, 90],
          [100, 40],
        ]),
      }),
    ],
    options: { utilization: { window: 600, max_average: 30 } },
    passed: [],
    rejected: { a: 'average utilisation too high' },
  },
])
