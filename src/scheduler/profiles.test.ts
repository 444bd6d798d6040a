/**
 * Building the pipeline from options: upstream's names (dotted paths too), the
 * all_weighers alias, removed and misspelt filters, available_filters, and the sections
 * loaded from an INI file through the kernel's loader.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../kernel/config/index.js'
import { matches } from './extra-specs-ops.js'
import { buildProfile, schedulerConfig } from './profiles.js'
import { SchedulerPluginNotFound } from './registry.js'
import { allocationCandidatesQuery, buildPlacementQuery } from './request-spec.js'
import { config, FLAVOR } from './testing/harness.js'

describe('profiles', () => {
  it('the defaults: upstream default filters, every upstream weigher, one reserve step', () => {
    const p = buildProfile(config())
    assert.deepEqual(
      p.filters.map((f) => f.name),
      [
        'ComputeFilter',
        'ComputeCapabilitiesFilter',
        'ImagePropertiesFilter',
        'ServerGroupAntiAffinityFilter',
        'ServerGroupAffinityFilter',
      ],
    )
    assert.equal(p.scorers.length, 11)
    assert.deepEqual(
      p.requestFilters.map((f) => f.name),
      [
        'map_az_to_placement_aggregate',
        'require_tenant_aggregate',
        'require_image_type_support',
        'compute_status_filter',
        'isolate_aggregates',
      ],
    )
    assert.deepEqual(
      p.reservers.map((r) => r.name),
      ['PlacementClaim'],
    )
    assert.equal(p.maxAttempts, 3)
  })

  it('accepts dotted class paths and Cloudlet plugins next to all_weighers', () => {
    const p = buildProfile(
      config({
        filter_scheduler: {
          enabled_filters: ['nova.scheduler.filters.compute_filter.ComputeFilter', 'UtilizationFilter'],
          weight_classes: [
            'nova.scheduler.weights.ram.RAMWeigher',
            'nova.scheduler.weights.all_weighers',
            'UtilizationWeigher',
          ],
        },
      }),
    )
    assert.deepEqual(
      p.filters.map((f) => f.name),
      ['ComputeFilter', 'UtilizationFilter'],
    )
    assert.equal(p.scorers[0]!.name, 'RAMWeigher')
    assert.equal(p.scorers.length, 12)
    assert.equal(p.scorers.at(-1)!.name, 'UtilizationWeigher')
  })

  it('a misspelt filter gets a suggestion; a removed one says placement does it now', () => {
    const bad = (name: string) => () =>
      buildProfile(config({ filter_scheduler: { enabled_filters: [name] } }))
    assert.throws(bad('ComputeFliter'), (e: unknown) => {
      assert.ok(e instanceof SchedulerPluginNotFound)
      assert.equal(
        e.message,
        '[filter_scheduler] enabled_filters: ComputeFliter is not a known plugin (did you mean ComputeFilter?)',
      )
      return true
    })
    assert.throws(bad('RamFilter'), /RamFilter was removed upstream: placement checks this now; drop it/)
  })

  it('available_filters limits what may be enabled', () => {
    const c = config({
      filter_scheduler: {
        available_filters: ['nova.scheduler.filters.compute_filter.ComputeFilter'],
        enabled_filters: ['ComputeFilter', 'JsonFilter'],
      },
    })
    assert.throws(() => buildProfile(c), /JsonFilter is not in available_filters/)
  })

  it('an operator file with upstream option names loads and builds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-'))
    const file = join(dir, 'cloudlet.conf')
    writeFileSync(
      file,
      [
        '[filter_scheduler]',
        'enabled_filters = ComputeFilter,AvailabilityZoneFilter,NumInstancesFilter',
        'weight_classes = nova.scheduler.weights.all_weighers',
        'ram_weight_multiplier = -1.0',
        'host_subset_size = 2',
        'shuffle_best_same_weighed_hosts = true',
        '[scheduler]',
        'max_attempts = 5',
        'enable_isolated_aggregate_filtering = true',
        '[metrics]',
        'weight_setting = cpu.percent=-1.0, cpu.frequency=1.0',
        '[pci]',
        'alias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8"}',
        '[utilization]',
        'window = 3600',
      ].join('\n'),
    )
    const loaded = loadConfig(schedulerConfig, { files: [file], env: {} })
    assert.equal(loaded.filter_scheduler.ram_weight_multiplier, -1)
    assert.deepEqual(loaded.metrics.weight_setting, ['cpu.percent=-1.0', 'cpu.frequency=1.0'])
    const p = buildProfile(loaded)
    assert.equal(p.hostSubsetSize, 2)
    assert.equal(p.shuffleBestSameWeighedHosts, true)
    assert.equal(p.maxAttempts, 5)
    assert.deepEqual(
      p.filters.map((f) => f.name),
      ['ComputeFilter', 'AvailabilityZoneFilter', 'NumInstancesFilter'],
    )
  })
})

describe('extra specs operators', () => {
  const rows: [string, string, boolean][] = [
    ['8', '= 4', true],
    ['2', '= 4', false],
    ['4', '== 4', true],
    ['4.0', '== 4', true],
    ['5', '!= 4', true],
    ['4', '<= 4', true],
    ['abc', 's== abc', true],
    ['abd', 's> abc', true],
    ['x86_64', '<in> 86', true],
    ["['avx', 'avx2', 'sse']", '<all-in> avx2 sse', true],
    ["['avx', 'sse']", '<all-in> avx2 sse', false],
    ['aarch64', '<or> x86_64 <or> aarch64', true],
    ['ppc64', '<or> x86_64 <or> aarch64', false],
    ['true', 'true', true],
    ['True', 'true', false],
    ['abc', '= 4', false],
  ]
  for (const [value, requirement, expected] of rows) {
    it(`${JSON.stringify(value)} against ${JSON.stringify(requirement)} is ${expected}`, () => {
      assert.equal(matches(value, requirement), expected)
    })
  }
})

describe('placement query from flavor and image', () => {
  it('resources, traits, granular groups, zeroed classes and memory encryption', () => {
    const q = buildPlacementQuery(
      {
        ...FLAVOR,
        vcpus: 2,
        memoryMb: 4096,
        rootGb: 10,
        ephemeralGb: 5,
        swap: 1536,
        extraSpecs: {
          'resources:VCPU': '0',
          'resources:CUSTOM_BAREMETAL_GOLD': '1',
          'trait:HW_CPU_X86_AVX2': 'required',
          'trait:CUSTOM_SLOW': 'forbidden',
          'resources1:SRIOV_NET_VF': '1',
          'trait1:CUSTOM_PHYSNET_A': 'required',
          group_policy: 'isolate',
          'hw:mem_encryption': 'True',
        },
      },
      { properties: { 'trait:CUSTOM_IMAGE_OK': 'required' } },
    )
    assert.deepEqual(allocationCandidatesQuery(q), [
      ['resources', 'CUSTOM_BAREMETAL_GOLD:1,DISK_GB:17,MEMORY_MB:4096,MEM_ENCRYPTION_CONTEXT:1'],
      ['required', 'HW_CPU_X86_AVX2,CUSTOM_IMAGE_OK,HW_CPU_X86_AMD_SEV,!CUSTOM_SLOW'],
      ['resources1', 'SRIOV_NET_VF:1'],
      ['required1', 'CUSTOM_PHYSNET_A'],
      ['group_policy', 'isolate'],
    ])
  })
})
