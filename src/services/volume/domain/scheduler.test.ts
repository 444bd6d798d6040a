/**
 * The scheduler as tables: pool states and a request in, the chosen pool and the
 * rejected pools with their filter and reason out; and the expression evaluator of
 * filter_function and goodness_function.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EvaluatorError, evaluate } from './evaluator.js'
import { DEFAULT_FILTERS, explain, type PoolState, type SchedulerOptions, schedule } from './scheduler.js'

function pool(name: string, caps: Record<string, unknown> = {}): PoolState {
  return {
    name: `h@rbd#${name}`,
    key: `rbd#${name}`,
    capabilities: {
      pool_name: name,
      volume_backend_name: 'ceph',
      total_capacity_gb: 100,
      free_capacity_gb: 100,
      provisioned_capacity_gb: 0,
      allocated_capacity_gb: 0,
      reserved_percentage: 0,
      max_over_subscription_ratio: '20.0',
      thin_provisioning_support: true,
      thick_provisioning_support: false,
      storage_protocol: 'ceph',
      vendor_name: 'Open Source',
      driver_version: '1.2.0',
      ...caps,
    },
  }
}

const OPTS: SchedulerOptions = {
  filters: [...DEFAULT_FILTERS, 'DriverFilter'],
  weighers: ['CapacityWeigher', 'GoodnessWeigher'],
  capacityWeightMultiplier: 1,
  goodnessWeightMultiplier: 1,
}

interface Case {
  name: string
  pools: PoolState[]
  size: number
  extraSpecs?: Record<string, string>
  prefer?: string
  holding?: string
  opts?: Partial<SchedulerOptions>
  chosen: string | undefined
  /** `filter:pool` of every rejection. */
  rejected?: string[]
  reason?: RegExp
}

const cases: Case[] = [
  {
    name: 'thin: the pool with the most virtual free space (total x ratio - provisioned - reserved)',
    pools: [
      pool('a', { total_capacity_gb: 100, free_capacity_gb: 90, provisioned_capacity_gb: 1500 }),
      pool('b', { total_capacity_gb: 100, free_capacity_gb: 10, provisioned_capacity_gb: 100 }),
    ],
    size: 10,
    chosen: 'b',
  },
  {
    name: 'thick (the type asks provisioning:type thick): the pool with the most real free space',
    pools: [
      pool('a', { free_capacity_gb: 90, provisioned_capacity_gb: 1500, thick_provisioning_support: true }),
      pool('b', { free_capacity_gb: 10, provisioned_capacity_gb: 100, thick_provisioning_support: true }),
    ],
    size: 5,
    extraSpecs: { 'provisioning:type': 'thick' },
    chosen: 'a',
  },
  {
    name: 'thin: over-subscription beyond max_over_subscription_ratio is removed',
    pools: [
      pool('a', { total_capacity_gb: 10, provisioned_capacity_gb: 15, max_over_subscription_ratio: '2.0' }),
      pool('b', { total_capacity_gb: 10, provisioned_capacity_gb: 15, max_over_subscription_ratio: '3.0' }),
    ],
    size: 10,
    chosen: 'b',
    rejected: ['CapacityFilter:h@rbd#a'],
    reason:
      /ratio of provisioned capacity over total capacity 2\.50 has exceeded the maximum over subscription ratio 2\.00/,
  },
  {
    name: 'thin: a 30 GiB volume on 10 GiB real passes with ratio 20 (virtual free 200)',
    pools: [pool('a', { total_capacity_gb: 10, free_capacity_gb: 10 })],
    size: 30,
    chosen: 'a',
  },
  {
    name: 'thick: more than the free space less reserved_percentage is removed',
    pools: [
      pool('a', {
        total_capacity_gb: 100,
        free_capacity_gb: 30,
        reserved_percentage: 25,
        thin_provisioning_support: false,
        thick_provisioning_support: true,
      }),
    ],
    size: 10,
    chosen: undefined,
    rejected: ['CapacityFilter:h@rbd#a'],
    reason: /requested \/ avail\): 10\/5/,
  },
  {
    name: 'thin: reserved space counts too (free 10 - reserved 10 = 0 virtual)',
    pools: [pool('a', { total_capacity_gb: 100, free_capacity_gb: 10, reserved_percentage: 10 })],
    size: 1,
    chosen: undefined,
    rejected: ['CapacityFilter:h@rbd#a'],
    reason: /Insufficient free virtual space/,
  },
  {
    name: "CapabilitiesFilter: the type's volume_backend_name",
    pools: [pool('a'), pool('b', { volume_backend_name: 'other' })],
    size: 1,
    extraSpecs: { volume_backend_name: 'other' },
    chosen: 'b',
    rejected: ['CapabilitiesFilter:h@rbd#a'],
  },
  {
    name: 'DriverFilter: filter_function with volume.size and capabilities',
    pools: [
      pool('small', { filter_function: 'volume.size <= 10' }),
      pool('big', { filter_function: 'volume.size > 10 and capabilities.pool_name == "big"' }),
    ],
    size: 50,
    chosen: 'big',
    rejected: ['DriverFilter:h@rbd#small'],
    reason: /filter_function 'volume.size <= 10' is false/,
  },
  {
    name: 'DriverFilter: a function that fails to evaluate removes the pool',
    pools: [pool('a', { filter_function: 'volume.nosuch > 1' }), pool('b')],
    size: 1,
    chosen: 'b',
    rejected: ['DriverFilter:h@rbd#a'],
    reason: /Value volume.nosuch not found/,
  },
  {
    name: 'DriverFilter off: the function is not read',
    pools: [pool('a', { filter_function: 'volume.size <= 10' })],
    size: 50,
    opts: { filters: DEFAULT_FILTERS },
    chosen: 'a',
  },
  {
    name: 'GoodnessWeigher outweighs equal capacity',
    pools: [
      pool('a', { goodness_function: 'stats.total_capacity_gb > 0 ? 40 : 0' }),
      pool('b', { goodness_function: '(extra.tier == "gold") ? 90 : 10' }),
    ],
    size: 1,
    extraSpecs: { tier: 'gold' },
    chosen: 'b',
  },
  {
    name: 'GoodnessWeigher: out of 0-100 counts as 0',
    pools: [pool('a', { goodness_function: '500' }), pool('b', { goodness_function: '1' })],
    size: 1,
    opts: { weighers: ['GoodnessWeigher'] },
    chosen: 'b',
  },
  {
    name: 'a copy stays on its source pool when it passes, though another weighs more',
    pools: [pool('a', { provisioned_capacity_gb: 1000 }), pool('b')],
    size: 1,
    prefer: 'rbd#a',
    chosen: 'a',
  },
  {
    name: 'a retype: the pool holding the volume is not asked for its size again',
    pools: [
      pool('a', { total_capacity_gb: 10, provisioned_capacity_gb: 20, max_over_subscription_ratio: '2.0' }),
    ],
    size: 10,
    prefer: 'rbd#a',
    holding: 'rbd#a',
    chosen: 'a',
  },
  {
    name: 'negative capacity multiplier stacks on the fullest pool',
    pools: [pool('a', { provisioned_capacity_gb: 500 }), pool('b')],
    size: 1,
    opts: { capacityWeightMultiplier: -1 },
    chosen: 'a',
  },
  {
    name: 'no pool: every filter and the pools it removed',
    pools: [
      pool('a', { volume_backend_name: 'x' }),
      pool('b', { total_capacity_gb: 1, provisioned_capacity_gb: 20 }),
      pool('c', { filter_function: 'volume.size < 2' }),
    ],
    size: 4,
    extraSpecs: { volume_backend_name: 'ceph' },
    chosen: undefined,
    rejected: ['CapacityFilter:h@rbd#b', 'CapabilitiesFilter:h@rbd#a', 'DriverFilter:h@rbd#c'],
    reason:
      /CapacityFilter removed h@rbd#b .*; CapabilitiesFilter removed h@rbd#a .*; DriverFilter removed h@rbd#c/,
  },
]

describe('volume scheduler', () => {
  for (const c of cases)
    it(c.name, () => {
      const result = schedule(
        c.pools,
        {
          size: c.size,
          extraSpecs: c.extraSpecs ?? {},
          ...(c.prefer ? { prefer: c.prefer } : {}),
          ...(c.holding ? { holding: c.holding } : {}),
        },
        { ...OPTS, ...c.opts },
      )
      assert.equal(result.chosen?.capabilities.pool_name, c.chosen, JSON.stringify(result))
      if (c.rejected)
        assert.deepEqual(
          result.rejected.map((r) => `${r.filter}:${r.pool}`),
          c.rejected,
        )
      if (c.reason) assert.match(explain(result, c.pools.length), c.reason)
    })
})

describe('filter and goodness function evaluator', () => {
  const vars = {
    volume: { size: 5, display_name: 'db' },
    capabilities: { total_capacity_gb: 100, thin_provisioning_support: true, pool_name: 'gold' },
    stats: { free_capacity_gb: '40' },
    extra: { tier: 'gold' },
    qos: {},
  }
  const table: [string, unknown][] = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['10 / 4', 2.5],
    ['volume.size * 2 + stats.free_capacity_gb', 50],
    ['volume.size < 10 and capabilities.thin_provisioning_support', true],
    ['volume.size > 10 || capabilities.pool_name == "gold"', true],
    ["not (extra.tier != 'gold')", true],
    ['!1', false],
    ['volume.size <> 5', false],
    ['volume.size >= 5 ? 100 : 0', 100],
    ['volume.size > 5 ? 100 : volume.size > 4 ? 50 : 0', 50],
    ['max(volume.size, 3, 9) - min(2, 8) + abs(-1)', 8],
    ['volume.display_name == "db"', true],
    ['capabilities.total_capacity_gb - stats.free_capacity_gb > 50', true],
  ]
  for (const [expr, want] of table)
    it(expr, () => {
      assert.equal(evaluate(expr, vars), want)
    })
  for (const bad of [
    '',
    '1 +',
    'volume.nosuch',
    'nosuch.size',
    'size',
    '1 / 0',
    'eval(1)',
    '(1',
    '1 ? 2',
    'process.exit()',
    '"a" * 2',
    '1 ; 2',
  ])
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => evaluate(bad, vars), EvaluatorError)
    })
})
