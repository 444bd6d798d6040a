/**
 * The runtime end to end with the harness: upstream's weighing arithmetic on a worked
 * example, a 20-host cloud where nothing fits and the fault says why, the monitoring
 * weigher against static free space, multi-server requests, alternates, claims with
 * lost races, and the request filters' rewriting of the placement query.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeepPartial, SchedulerConfig } from './config.js'
import { explain, explainText, noValidHostMessage } from './explain.js'
import { Code } from './framework.js'
import type { Aggregate, HostState } from './host-state.js'
import { buildProfile } from './profiles.js'
import { allocationCandidatesQuery, type RequestSpec } from './request-spec.js'
import { claimPlan, prepare, type RunResult, schedule } from './runtime.js'
import {
  config,
  FakeClaimer,
  fakePlacement,
  makeHost,
  makeRequest,
  makeSnapshot,
  NOW,
  res,
} from './testing/harness.js'

const first = () => 0
function run(
  hosts: HostState[],
  request: RequestSpec,
  options: DeepPartial<SchedulerConfig> = {},
  random = first,
): RunResult {
  const snapshot = makeSnapshot(hosts)
  return schedule(buildProfile(config(options)), snapshot, request, fakePlacement(snapshot), { random })
}
const agg = (uuid: string, metadata: Record<string, string>): Aggregate => ({ uuid, name: uuid, metadata })
const servers = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe('weighing follows upstream arithmetic', () => {
  // Three hosts, three weighers. Each weigher's raw values are normalised to 0..1 over
  // the hosts ((x - min) / (max - min)), multiplied by its multiplier and summed:
  //            free RAM  norm    free vCPU  norm    io_ops  norm
  //   h1         2048    0          4       1/3       0     0
  //   h2         4096    1/3        8       1         2     1/2
  //   h3         8192    1          2       0         4     1
  // RAM x 1.0 + CPU x 2.0 + IoOps x -1.0:
  //   h1 = 0 + 2/3 - 0 = 0.6667   h2 = 1/3 + 2 - 1/2 = 1.8333   h3 = 1 + 0 - 1 = 0
  const hosts = [
    makeHost({ host: 'h1', resources: { MEMORY_MB: res(4096, 2048), VCPU: res(4, 0), DISK_GB: res(100) } }),
    makeHost({
      host: 'h2',
      numIoOps: 2,
      resources: { MEMORY_MB: res(8192, 4096), VCPU: res(8, 0), DISK_GB: res(100) },
    }),
    makeHost({
      host: 'h3',
      numIoOps: 4,
      resources: { MEMORY_MB: res(8192, 0), VCPU: res(2, 0), DISK_GB: res(100) },
    }),
  ]
  const options = {
    filter_scheduler: {
      weight_classes: ['RAMWeigher', 'CPUWeigher', 'IoOpsWeigher'],
      cpu_weight_multiplier: 2.0,
    },
  }

  it('ranks h2, h1, h3 with the weights computed by hand', () => {
    const r = run(hosts, makeRequest({ flavor: { vcpus: 1, memoryMb: 512 } }), options)
    const ranked = r.passes[0]!.ranked.map((x) => [x.host.host, Number(x.weight.toFixed(4))])
    assert.deepEqual(ranked, [
      ['h2', 1.8333],
      ['h1', 0.6667],
      ['h3', 0],
    ])
    assert.equal(r.plan![0]!.selection.host, 'h2')
  })

  it('keeps each weigher part for the explanation', () => {
    const r = run(hosts, makeRequest({ flavor: { vcpus: 1, memoryMb: 512 } }), options)
    const h1 = explain(r).passes[0]!.hosts.find((h) => h.host === 'h1')!
    assert.deepEqual(
      h1.weights!.map((w) => [w.weigher, w.raw, Number(w.normalized.toFixed(4)), w.multiplier]),
      [
        ['RAMWeigher', 2048, 0, 1],
        ['CPUWeigher', 4, 0.3333, 2],
        ['IoOpsWeigher', 0, 0, -1],
      ],
    )
  })

  it('a weigher that cannot tell hosts apart adds nothing', () => {
    const same = hosts.map((h) => ({ ...h, numIoOps: 1 }))
    const r = run(same, makeRequest({ flavor: { vcpus: 1, memoryMb: 512 } }), {
      filter_scheduler: { weight_classes: ['IoOpsWeigher'] },
    })
    assert.deepEqual(
      r.passes[0]!.ranked.map((x) => x.weight),
      [0, 0, 0],
    )
  })
})

describe('20 hosts, a flavor that fits none', () => {
  // az1: h01-h10, az2: h11-h20. SSD aggregate: h04-h09 and h11-h15. AVX2 everywhere but
  // h18-h20. h01 disabled (placement sees COMPUTE_STATUS_DISABLED), h02 disabled before
  // its trait synced, h03 forced down, h04-h05 kept for another project, h06-h08 full of
  // servers, h09 busy with I/O, h10 not on SSD. h16-h20 too small.
  const hostsOf = (): HostState[] =>
    Array.from({ length: 20 }, (_, i) => {
      const k = i + 1
      const name = `h${String(k).padStart(2, '0')}`
      const aggregates: Aggregate[] = [
        agg(k <= 10 ? 'az1' : 'az2', { availability_zone: k <= 10 ? 'az1' : 'az2' }),
      ]
      if ((k >= 4 && k <= 9) || (k >= 11 && k <= 15)) aggregates.push(agg('ssd', { ssd: 'true' }))
      if (k === 4 || k === 5) aggregates.push(agg('private', { filter_tenant_id: 'other-project' }))
      const traits = ['COMPUTE_STATUS_DISABLED', 'HW_CPU_X86_AVX2'].filter((t) =>
        t === 'HW_CPU_X86_AVX2' ? k < 18 : k === 1,
      )
      return makeHost({
        host: name,
        traits,
        aggregates,
        instances: k >= 6 && k <= 8 ? servers(50, `${name}-`) : servers(k % 4, `${name}-`),
        numIoOps: k === 9 ? 8 : k % 3,
        resources: {
          VCPU: res(k > 15 ? 2 : 32, k % 5, 4),
          MEMORY_MB: res(k > 15 ? 2048 : 131072, 1024 * k, 1.0),
          DISK_GB: res(2000, 10 * k),
        },
        service: {
          disabled: k === 1 || k === 2,
          ...(k === 2 ? { disabledReason: 'RAM errors' } : {}),
          forcedDown: k === 3,
        },
      })
    })
  const request = makeRequest({
    availabilityZone: 'az1',
    flavor: {
      vcpus: 4,
      memoryMb: 8192,
      extraSpecs: { 'trait:HW_CPU_X86_AVX2': 'required', 'aggregate_instance_extra_specs:ssd': 'true' },
    },
  })
  const options = {
    filter_scheduler: {
      enabled_filters: [
        'ComputeFilter',
        'AvailabilityZoneFilter',
        'AggregateMultiTenancyIsolation',
        'AggregateInstanceExtraSpecsFilter',
        'NumInstancesFilter',
        'IoOpsFilter',
      ],
    },
  }

  it("the fault names placement's count, each filter's count and the commonest reason", () => {
    const r = run(hostsOf(), request, options)
    assert.equal(r.status.code, Code.Unschedulable)
    assert.equal(r.plan, undefined)
    assert.equal(r.candidates, 9)
    assert.deepEqual(r.passes[0]!.removedBy, [
      { plugin: 'ComputeFilter', count: 2 },
      { plugin: 'AggregateMultiTenancyIsolation', count: 2 },
      { plugin: 'AggregateInstanceExtraSpecsFilter', count: 1 },
      { plugin: 'NumInstancesFilter', count: 3 },
      { plugin: 'IoOpsFilter', count: 1 },
    ])
    assert.equal(
      noValidHostMessage(r),
      'No valid host was found. Placement returned 9 candidates; ComputeFilter removed 2, ' +
        'AggregateMultiTenancyIsolation removed 2, AggregateInstanceExtraSpecsFilter removed 1, ' +
        'NumInstancesFilter removed 3, IoOpsFilter removed 1. ' +
        'Most common reason: NumInstancesFilter: too many servers (3 hosts).',
    )
  })

  it('placement was asked for the zone, the trait and no disabled hosts', () => {
    const r = run(hostsOf(), request, options)
    assert.deepEqual(allocationCandidatesQuery(r.prepared.request.placement), [
      ['resources', 'DISK_GB:20,MEMORY_MB:8192,VCPU:4'],
      ['required', 'HW_CPU_X86_AVX2'],
      ['member_of', 'in:az1'],
      ['root_required', '!COMPUTE_STATUS_DISABLED'],
    ])
  })

  it('the explanation gives every host its fate', () => {
    const snapshot = makeSnapshot(hostsOf())
    const r = schedule(buildProfile(config(options)), snapshot, request, fakePlacement(snapshot))
    const e = explain(r, snapshot)
    const fate = Object.fromEntries(e.passes[0]!.hosts.map((h) => [h.host, h.plugin ?? h.outcome]))
    assert.equal(fate.h01, 'not a candidate')
    assert.equal(fate.h02, 'ComputeFilter')
    assert.equal(fate.h03, 'ComputeFilter')
    assert.equal(fate.h05, 'AggregateMultiTenancyIsolation')
    assert.equal(fate.h07, 'NumInstancesFilter')
    assert.equal(fate.h09, 'IoOpsFilter')
    assert.equal(fate.h10, 'AggregateInstanceExtraSpecsFilter')
    assert.equal(fate.h20, 'not a candidate')
    const text = explainText(e)
    assert.match(text, /h02\s+ComputeFilter: compute service disabled; disabled: RAM errors/)
    assert.match(text, /not returned by placement: h01, h11, h12/)
  })

  it('with room on h09 the request lands there', () => {
    const hosts = hostsOf().map((h) => (h.host === 'h09' ? { ...h, numIoOps: 0 } : h))
    const r = run(hosts, request, options)
    assert.equal(r.status.code, Code.Success)
    assert.deepEqual(
      r.plan!.map((p) => p.selection.host),
      ['h09'],
    )
    assert.equal(noValidHostMessage(r), undefined)
  })
})

describe('monitoring-aware scheduling', () => {
  const day = 86400
  const cpu = (avg: number) => ({
    // a sample every hour for the last day, around the average
    'cpu.percent': Array.from(
      { length: 24 },
      (_, i) => [NOW - day + 1800 + i * 3600, avg + (i % 2 ? 3 : -3)] as const,
    ),
  })
  const hosts = [
    // most vCPUs free on paper, but its servers run hot: 90 % CPU on average
    makeHost({
      host: 'hot',
      resources: { VCPU: res(64, 8), MEMORY_MB: res(262144, 65536), DISK_GB: res(2000, 200) },
      metricsHistory: cpu(90),
    }),
    makeHost({
      host: 'calm',
      resources: { VCPU: res(32, 16), MEMORY_MB: res(262144, 65536), DISK_GB: res(2000, 200) },
      metricsHistory: cpu(25),
    }),
    makeHost({
      host: 'mid',
      resources: { VCPU: res(32, 20), MEMORY_MB: res(262144, 65536), DISK_GB: res(2000, 200) },
      metricsHistory: cpu(45),
    }),
  ]
  const request = makeRequest({ flavor: { vcpus: 4, memoryMb: 4096 } })

  it('without it, the host with the most free vCPUs wins', () => {
    const r = run(hosts, request)
    assert.equal(r.plan![0]!.selection.host, 'hot')
  })

  it('UtilizationWeigher keeps the server off the 90 % host', () => {
    const r = run(hosts, request, {
      filter_scheduler: { weight_classes: ['nova.scheduler.weights.all_weighers', 'UtilizationWeigher'] },
    })
    assert.equal(r.plan![0]!.selection.host, 'calm')
    assert.equal(r.passes[0]!.ranked.at(-1)!.host.host, 'hot')
  })

  it('UtilizationFilter refuses it outright and says why', () => {
    const r = run(hosts, request, {
      filter_scheduler: { enabled_filters: ['ComputeFilter', 'UtilizationFilter'] },
    })
    assert.equal(r.plan![0]!.selection.host, 'calm')
    const hot = r.passes[0]!.outcomes.find((o) => o.host.host === 'hot')!
    assert.equal(hot.rejection!.plugin, 'UtilizationFilter')
    assert.match(hot.rejection!.reasons[1]!, /cpu.percent averaged 90.0 over 86400 s/)
  })
})

describe('picking', () => {
  const hosts = ['a', 'b', 'c', 'd'].map((host, i) =>
    makeHost({ host, resources: { VCPU: res(16), MEMORY_MB: res(65536, i * 4096), DISK_GB: res(100) } }),
  )
  it('host_subset_size picks at random among the N best', () => {
    const options = { filter_scheduler: { host_subset_size: 3, weight_classes: ['RAMWeigher'] } }
    const picks = [0, 0.4, 0.7, 0.99].map(
      (x) => run(hosts, makeRequest(), options, () => x).plan![0]!.selection.host,
    )
    assert.deepEqual(picks, ['a', 'b', 'c', 'c'])
  })

  it('shuffle_best_same_weighed_hosts spreads equal hosts', () => {
    const same = hosts.map((h) => ({ ...h, resources: { ...h.resources, MEMORY_MB: res(65536) } }))
    const options = {
      filter_scheduler: { shuffle_best_same_weighed_hosts: true, weight_classes: ['RAMWeigher'] },
    }
    const seen = new Set<string>()
    let seed = 1
    const lcg = () => {
      seed = (seed * 48271) % 2147483647
      return seed / 2147483647
    }
    for (let i = 0; i < 40; i++) seen.add(run(same, makeRequest(), options, lcg).plan![0]!.selection.host)
    assert.equal(seen.size, 4)
    const unshuffled = new Set(
      Array.from(
        { length: 10 },
        () =>
          run(same, makeRequest(), { filter_scheduler: { weight_classes: ['RAMWeigher'] } }, lcg).plan![0]!
            .selection.host,
      ),
    )
    assert.deepEqual([...unshuffled], ['a'])
  })

  it('alternates: the next best, up to max_attempts - 1, never a chosen host', () => {
    // 8 GiB each: after x, host a has less free RAM than b, so y goes to b
    const r = run(hosts, makeRequest({ instanceUuids: ['x', 'y'], flavor: { memoryMb: 8192 } }), {
      filter_scheduler: { weight_classes: ['RAMWeigher'] },
      scheduler: { max_attempts: 3 },
    })
    assert.deepEqual(
      r.plan!.map((p) => [p.selection.host, p.alternates.map((a) => a.host)]),
      [
        ['a', ['c', 'd']],
        ['b', ['c', 'd']],
      ],
    )
  })
})

describe('several servers in one request', () => {
  it('each server sees the ones placed before it (anti-affinity)', () => {
    const hosts = ['a', 'b', 'c'].map((host) => makeHost({ host }))
    const group = { uuid: 'g', policy: 'anti-affinity' as const, rules: {}, members: [], hosts: [] }
    const ok = run(hosts, makeRequest({ instanceUuids: ['x', 'y', 'z'], group }))
    assert.deepEqual(new Set(ok.plan!.map((p) => p.selection.host)), new Set(['a', 'b', 'c']))
    const tooMany = run(hosts, makeRequest({ instanceUuids: ['w', 'x', 'y', 'z'], group }))
    assert.equal(tooMany.plan, undefined)
    assert.match(
      noValidHostMessage(tooMany)!,
      /\(server 4 of the request\); ServerGroupAntiAffinityFilter removed 3\. Most common reason: ServerGroupAntiAffinityFilter: anti-affinity group already on host \(3 hosts\)/,
    )
  })

  it('affinity: the first server picks, the rest follow', () => {
    const hosts = ['a', 'b', 'c'].map((host, i) =>
      makeHost({
        host,
        resources: { VCPU: res(16), MEMORY_MB: res(65536, 4096 * (2 - i)), DISK_GB: res(100) },
      }),
    )
    const group = { uuid: 'g', policy: 'affinity' as const, rules: {}, members: [], hosts: [] }
    const r = run(hosts, makeRequest({ instanceUuids: ['x', 'y', 'z'], group }))
    assert.deepEqual(
      r.plan!.map((p) => p.selection.host),
      ['c', 'c', 'c'],
    )
  })

  it('a host full after the first server is not offered to the second', () => {
    const hosts = [
      makeHost({ host: 'roomy', resources: { VCPU: res(3), MEMORY_MB: res(65536), DISK_GB: res(100) } }),
      makeHost({ host: 'tight', resources: { VCPU: res(16), MEMORY_MB: res(4096), DISK_GB: res(100) } }),
    ]
    const r = run(hosts, makeRequest({ instanceUuids: ['x', 'y'], flavor: { vcpus: 2, memoryMb: 4096 } }), {
      filter_scheduler: { weight_classes: ['RAMWeigher'] },
    })
    assert.deepEqual(
      r.plan!.map((p) => p.selection.host),
      ['roomy', 'tight'],
    )
    const third = run(
      hosts,
      makeRequest({ instanceUuids: ['x', 'y', 'z'], flavor: { vcpus: 2, memoryMb: 4096 } }),
      {
        filter_scheduler: { weight_classes: ['RAMWeigher'] },
      },
    )
    assert.match(noValidHostMessage(third)!, /EarlierServersOfRequest removed 2/)
  })
})

describe('destination and ignored hosts', () => {
  const hosts = ['a', 'b', 'c'].map((host) => makeHost({ host }))
  it('a requested host is the only one considered, and still filtered', () => {
    const r = run(hosts, makeRequest({ requestedDestination: { host: 'b' } }))
    assert.equal(r.plan![0]!.selection.host, 'b')
    const down = hosts.map((h) => (h.host === 'b' ? { ...h, service: { ...h.service, up: false } } : h))
    const refused = run(down, makeRequest({ requestedDestination: { host: 'b' } }))
    assert.match(noValidHostMessage(refused)!, /RequestedDestination removed 2, ComputeFilter removed 1/)
  })
  it('hosts already tried are skipped on a reschedule', () => {
    const r = run(hosts, makeRequest({ ignoreHosts: ['a', 'b'] }))
    assert.equal(r.plan![0]!.selection.host, 'c')
  })
})

describe('request filters', () => {
  const hosts = [
    makeHost({
      host: 'a',
      aggregates: [agg('agg-az', { availability_zone: 'az1' }), agg('agg-t', { filter_tenant_id: 'p1' })],
    }),
    makeHost({ host: 'b', aggregates: [agg('agg-gpu', { 'trait:CUSTOM_GPU': 'required' })] }),
  ]
  const snapshot = makeSnapshot(hosts)
  const q = (options: DeepPartial<SchedulerConfig>, request = makeRequest()) =>
    allocationCandidatesQuery(prepare(buildProfile(config(options)), snapshot, request).request.placement)

  it('compute_status_filter always forbids disabled computes', () => {
    assert.deepEqual(q({}), [
      ['resources', 'DISK_GB:20,MEMORY_MB:2048,VCPU:1'],
      ['root_required', '!COMPUTE_STATUS_DISABLED'],
    ])
  })
  it('the zone becomes member_of its aggregates', () => {
    assert.ok(
      q({}, makeRequest({ availabilityZone: 'az1' })).some(
        ([k, v]) => k === 'member_of' && v === 'in:agg-az',
      ),
    )
    assert.ok(
      !q(
        { scheduler: { query_placement_for_availability_zone: false } },
        makeRequest({ availabilityZone: 'az1' }),
      ).some(([k]) => k === 'member_of'),
    )
  })
  it("tenant isolation narrows to the project's aggregates, or refuses when required", () => {
    assert.ok(
      q({ scheduler: { limit_tenants_to_placement_aggregate: true } }).some(
        ([k, v]) => k === 'member_of' && v === 'in:agg-t',
      ),
    )
    const r = schedule(
      buildProfile(
        config({
          scheduler: {
            limit_tenants_to_placement_aggregate: true,
            placement_aggregate_required_for_tenants: true,
          },
        }),
      ),
      snapshot,
      makeRequest({ projectId: 'nobody' }),
      fakePlacement(snapshot),
    )
    assert.equal(r.status.code, Code.UnschedulableAndUnresolvable)
    assert.equal(
      noValidHostMessage(r),
      'No valid host was found. Request filter require_tenant_aggregate: no aggregate is assigned to project nobody.',
    )
  })
  it('image type support adds the disk format trait', () => {
    assert.ok(
      q({ scheduler: { query_placement_for_image_type_support: true } }).some(
        ([k, v]) => k === 'required' && v === 'COMPUTE_IMAGE_TYPE_QCOW2',
      ),
    )
  })
  it('isolated aggregates are forbidden unless the request requires their traits', () => {
    const on = { scheduler: { enable_isolated_aggregate_filtering: true } }
    assert.ok(q(on).some(([k, v]) => k === 'member_of' && v === '!in:agg-gpu'))
    const gpu = makeRequest({ flavor: { extraSpecs: { 'trait:CUSTOM_GPU': 'required' } } })
    assert.ok(!q(on, gpu).some(([, v]) => v === '!in:agg-gpu'))
  })
})

describe('errors', () => {
  it('a weigher that fails fails the request, signed by the weigher', () => {
    const hosts = [makeHost({ host: 'a' }), makeHost({ host: 'b' })]
    const r = run(hosts, makeRequest(), { metrics: { weight_setting: ['cpu.percent=1'] } })
    assert.equal(r.status.code, Code.Error)
    assert.equal(r.status.plugin, 'MetricsWeigher')
    assert.match(noValidHostMessage(r)!, /MetricsWeigher failed: host a reports no metric cpu.percent/)
  })
  it('placement returning nothing is said plainly, with the query', () => {
    const r = run([makeHost({ host: 'a' })], makeRequest({ flavor: { vcpus: 64 } }))
    assert.match(
      noValidHostMessage(r)!,
      /Placement returned no candidates for resources=DISK_GB:20,MEMORY_MB:2048,VCPU:64/,
    )
  })
})

describe('claiming the plan', () => {
  const hosts = ['a', 'b', 'c'].map((host, i) =>
    makeHost({ host, resources: { VCPU: res(16), MEMORY_MB: res(65536, 4096 * i), DISK_GB: res(100) } }),
  )
  const options = { filter_scheduler: { weight_classes: ['RAMWeigher'] } }
  const profile = buildProfile(config(options))
  const plan = (n: string[]) => {
    const snapshot = makeSnapshot(hosts)
    return schedule(
      profile,
      snapshot,
      makeRequest({ instanceUuids: n, flavor: { memoryMb: 8192 } }),
      fakePlacement(snapshot),
      {
        random: first,
      },
    )
  }

  it('claims the chosen host', async () => {
    const claimer = new FakeClaimer()
    const c = await claimPlan(profile, plan(['x']), claimer)
    assert.equal(c.status.code, Code.Success)
    assert.deepEqual(claimer.held(), ['x@a'])
    assert.deepEqual(
      c.claimed[0]!.alternates.map((a) => a.host),
      ['b', 'c'],
    )
  })

  it('a lost race moves to the next alternate', async () => {
    const claimer = new FakeClaimer(new Set(['a']))
    const c = await claimPlan(profile, plan(['x']), claimer)
    assert.deepEqual(claimer.held(), ['x@b'])
    assert.deepEqual(
      c.attempts.map((a) => [a.host, a.status.code]),
      [
        ['a', Code.Unschedulable],
        ['b', Code.Success],
      ],
    )
  })

  it('when one server runs out of hosts, every claim of the request is released', async () => {
    const claimer = new FakeClaimer(new Set(['b', 'c']))
    const c = await claimPlan(profile, plan(['x', 'y']), claimer)
    assert.equal(c.status.code, Code.Unschedulable)
    assert.deepEqual(claimer.claims, [{ consumer: 'x', host: 'a' }])
    assert.deepEqual(claimer.held(), [])
  })
})
