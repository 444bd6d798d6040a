/**
 * `[placement] max_allocation_candidates` and `randomize_allocation_candidates` as
 * findCandidates applies them, over a small in-memory state (no database, no HTTP).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type CandidateOptions, type CandidateRequest, findCandidates } from './candidates.js'
import { PlacementState, type StateRows } from './model.js'

const VCPU = 0 // standard class id
const now = '2024-01-01T00:00:00.000Z'

/** `n` root providers, each with 8 VCPU. */
function stateWith(n: number): PlacementState {
  const ids = Array.from({ length: n }, (_, i) => i + 1)
  const rows: StateRows = {
    counter: '1',
    providers: ids.map((id) => ({
      id,
      uuid: `00000000-0000-0000-0000-${String(id).padStart(12, '0')}`,
      name: `rp${id}`,
      generation: 1,
      root_provider_id: id,
      parent_provider_id: null,
      created_at: now,
      updated_at: null,
    })),
    inventories: ids.map((id) => ({
      resource_provider_id: id,
      resource_class_id: VCPU,
      total: 8,
      reserved: 0,
      min_unit: 1,
      max_unit: 8,
      step_size: 1,
      allocation_ratio: 1,
      created_at: now,
      updated_at: null,
    })),
    allocations: [],
    consumers: [],
    projects: [],
    users: [],
    consumerTypes: [],
    resourceClasses: [],
    traits: [],
    aggregates: [],
    providerAggregates: [],
    providerTraits: [],
  }
  return PlacementState.build(rows, now)
}

function request(limit?: number): CandidateRequest {
  return {
    groups: [
      {
        suffix: '',
        resources: new Map([['VCPU', 1]]),
        traits: { required: [], forbidden: new Set() },
        aggregates: { memberOf: [], forbidden: new Set() },
        inTree: undefined,
        sameProvider: false,
      },
    ],
    isolate: false,
    limit,
    rootRequired: undefined,
    sameSubtree: [],
    nestedAware: true,
  }
}

const names = (cs: ReturnType<typeof findCandidates>) => cs.map((c) => c.anchor.name)

/** A deterministic stand-in for Math.random. */
function seeded(seed: number): () => number {
  let x = seed
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x / 2147483648
  }
}

describe('allocation candidate options', () => {
  const s = stateWith(6)
  const opts = (o: Partial<CandidateOptions>): CandidateOptions => ({
    maxCandidates: -1,
    randomize: false,
    ...o,
  })

  it('without options every candidate comes back, in provider order', () => {
    assert.deepEqual(names(findCandidates(s, request())), ['rp1', 'rp2', 'rp3', 'rp4', 'rp5', 'rp6'])
  })

  it('max_allocation_candidates stops generation after that many', () => {
    assert.deepEqual(names(findCandidates(s, request(), opts({ maxCandidates: 2 }))), ['rp1', 'rp2'])
    assert.equal(findCandidates(s, request(), opts({ maxCandidates: 100 })).length, 6)
  })

  it('limit without randomize keeps the first ones', () => {
    assert.deepEqual(names(findCandidates(s, request(3), opts({}))), ['rp1', 'rp2', 'rp3'])
  })

  it('limit is applied after max_allocation_candidates', () => {
    assert.deepEqual(names(findCandidates(s, request(3), opts({ maxCandidates: 2 }))), ['rp1', 'rp2'])
  })

  it('randomize with a limit returns a random sample of that size', () => {
    const seen = new Set<string>()
    for (let seed = 1; seed <= 20; seed++) {
      const got = names(findCandidates(s, request(2), opts({ randomize: true, random: seeded(seed) })))
      assert.equal(got.length, 2)
      assert.equal(new Set(got).size, 2)
      seen.add(got.join(','))
    }
    // Twenty draws of 2 out of 6 do not all give the same pair.
    assert.ok(seen.size > 1, `always ${[...seen]}`)
  })

  it('randomize without a limit returns every candidate, shuffled', () => {
    const orders = new Set<string>()
    for (let seed = 1; seed <= 20; seed++) {
      const got = names(findCandidates(s, request(), opts({ randomize: true, random: seeded(seed) })))
      assert.deepEqual([...got].sort(), ['rp1', 'rp2', 'rp3', 'rp4', 'rp5', 'rp6'])
      orders.add(got.join(','))
    }
    assert.ok(orders.size > 1)
  })
})
