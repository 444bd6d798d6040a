/**
 * The allocation candidates body is assembled as JSON text (candidatesBody); it must be
 * byte for byte what JSON.stringify of the object view gives, in every version window,
 * with nested trees, sharing providers, traits and integer-like suffixes.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Version } from '../../../kernel/microversion/index.js'
import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { PlacementState, type StateRows } from '../domain/model.js'
import { candidatesBody, candidatesView } from './views.js'

const now = '2024-01-01T00:00:00.000Z'
const uuid = (id: number) => `00000000-0000-0000-0000-${String(id).padStart(12, '0')}`
const rcId = (name: string) => STANDARD_RESOURCE_CLASSES.indexOf(name)
const RC = {
  VCPU: rcId('VCPU'),
  MEMORY_MB: rcId('MEMORY_MB'),
  DISK_GB: rcId('DISK_GB'),
  SRIOV_NET_VF: rcId('SRIOV_NET_VF'),
}

/** Three trees (root with VCPU/MEMORY_MB, two children with VFs), one sharing disk. */
function state(): PlacementState {
  const providers: StateRows['providers'] = []
  const inventories: StateRows['inventories'] = []
  const inv = (id: number, rc: number, total: number) =>
    inventories.push({
      resource_provider_id: id,
      resource_class_id: rc,
      total,
      reserved: 0,
      min_unit: 1,
      max_unit: total,
      step_size: 1,
      allocation_ratio: 1.5,
      created_at: now,
      updated_at: null,
    })
  const rp = (id: number, parent: number | null, root: number) =>
    providers.push({
      id,
      uuid: uuid(id),
      name: `rp${id}`,
      generation: 1,
      root_provider_id: root,
      parent_provider_id: parent,
      created_at: now,
      updated_at: null,
    })
  for (const root of [1, 4, 7]) {
    rp(root, null, root)
    inv(root, RC.VCPU, 8)
    inv(root, RC.MEMORY_MB, 4096)
    for (const kid of [root + 1, root + 2]) {
      rp(kid, root, root)
      inv(kid, RC.SRIOV_NET_VF, 4)
    }
  }
  rp(10, null, 10)
  inv(10, RC.DISK_GB, 1000)
  return PlacementState.build(
    {
      counter: '1',
      providers,
      inventories,
      allocations: [
        {
          resource_provider_id: 1,
          consumer_id: 'c1',
          resource_class_id: RC.VCPU,
          used: 3,
          created_at: now,
          updated_at: null,
        },
      ],
      consumers: [],
      projects: [],
      users: [],
      consumerTypes: [],
      resourceClasses: [],
      traits: [
        { id: 1, name: 'MISC_SHARES_VIA_AGGREGATE', created_at: now, updated_at: null },
        { id: 2, name: 'CUSTOM_PHYSNET_A', created_at: now, updated_at: null },
        { id: 3, name: 'HW_CPU_X86_AVX', created_at: now, updated_at: null },
      ],
      aggregates: [{ id: 1, uuid: 'aaaaaaaa-0000-0000-0000-000000000001' }],
      providerAggregates: [1, 4, 10].map((id) => ({ resource_provider_id: id, aggregate_id: 1 })),
      providerTraits: [
        { resource_provider_id: 10, trait_id: 1 },
        { resource_provider_id: 2, trait_id: 2 },
        { resource_provider_id: 5, trait_id: 2 },
        { resource_provider_id: 1, trait_id: 3 },
        { resource_provider_id: 1, trait_id: 2 },
      ],
    },
    now,
  )
}

const queries: [string, Record<string, string>][] = [
  ['1.10', { resources: 'VCPU:1,DISK_GB:10' }],
  ['1.12', { resources: 'VCPU:1,DISK_GB:10' }],
  ['1.17', { resources: 'VCPU:1,MEMORY_MB:512' }],
  ['1.26', { resources: 'VCPU:1', resources1: 'DISK_GB:5', group_policy: 'none' }],
  ['1.29', { resources: 'VCPU:1,DISK_GB:5', resources1: 'SRIOV_NET_VF:1', group_policy: 'isolate' }],
  [
    '1.34',
    {
      resources: 'VCPU:1',
      resources1: 'SRIOV_NET_VF:1',
      required1: 'CUSTOM_PHYSNET_A',
      resources2: 'SRIOV_NET_VF:1',
      group_policy: 'none',
    },
  ],
  [
    '1.39',
    {
      resources: 'VCPU:1',
      resources_NET: 'SRIOV_NET_VF:2',
      resources3: 'SRIOV_NET_VF:1',
      group_policy: 'none',
      same_subtree: '_NET,3',
    },
  ],
  ['1.39', { resources: 'DISK_GB:10', limit: '2' }],
  ['1.39', { resources: 'VCPU:100' }],
]

describe('candidatesBody', () => {
  for (const [version, query] of queries) {
    it(`equals JSON.stringify of the object view at ${version}: ${new URLSearchParams(query)}`, () => {
      const s = state()
      const v = Version.of(version)
      const { creq } = parseCandidateRequest(s, query, v)
      const found = findCandidates(s, creq)
      const expected = JSON.stringify(candidatesView(s, found, creq, v))
      assert.equal(Buffer.concat(candidatesBody(s, found, creq, v)).toString('utf8'), expected)
      // Again, now from the cached summary fragments.
      assert.equal(Buffer.concat(candidatesBody(s, found, creq, v)).toString('utf8'), expected)
    })
  }

  it('a cached summary follows a change to the provider', () => {
    const s = state()
    const v = Version.of('1.39')
    const { creq } = parseCandidateRequest(s, { resources: 'VCPU:1' }, v)
    const before = Buffer.concat(candidatesBody(s, findCandidates(s, creq), creq, v)).toString('utf8')
    const p = s.byUuid.get(uuid(1))!
    p.usages.set('VCPU', 5)
    s.dropSummary(p)
    const after = Buffer.concat(candidatesBody(s, findCandidates(s, creq), creq, v)).toString('utf8')
    assert.notEqual(after, before)
    assert.equal(after, JSON.stringify(candidatesView(s, findCandidates(s, creq), creq, v)))
  })
})
