/**
 * The search keeps each tree's candidates per request shape until a provider of the
 * tree changes (domain/candidates.ts). Any write it fails to notice would serve a stale
 * answer, so this drives two API processes through a seeded random mix of every kind of
 * write and, after each, compares both processes' answers to a set of query shapes with
 * the answers of a state rebuilt from the database (which keeps nothing).
 *
 * One dialect is enough: what is under test is the in-memory index, which the change
 * log feeds the same way on all three (consistency.test.ts covers the databases).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { PlacementState } from '../domain/model.js'
import { candidatesBody } from '../handlers/views.js'
import { VERSIONS } from '../versions.js'
import { claimBody, dropWhenIdle, type Instance, migrate, providerWith, startInstance } from './harness.js'

/** A deterministic stand-in for Math.random. */
function seeded(seed: number): () => number {
  let x = seed
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x / 2147483648
  }
}

/** The aggregate the shared disk serves. */
const AGG = 'a1a1a1a1-0000-4000-8000-000000000001'
/** An aggregate with no sharing provider: membership changes only filter. */
const AGG2 = 'a2a2a2a2-0000-4000-8000-000000000002'

const SHAPES = [
  'resources=VCPU:1,MEMORY_MB:256',
  'resources=DISK_GB:10&resources_C=VCPU:1,MEMORY_MB:256&resources_F=VGPU:1&group_policy=none&same_subtree=_C,_F',
  'resources=VCPU:1&required=CUSTOM_FAST',
  'resources=VCPU:1&required=!CUSTOM_FAST',
  `resources=VCPU:1&member_of=${AGG}`,
  `resources=VCPU:1&member_of=${AGG2}`,
  `resources_N=VCPU:1&member_of_N=!${AGG2}&required_N=CUSTOM_FAST`,
  'resources=VCPU:3',
  'resources1=VCPU:2&resources2=VCPU:2&group_policy=isolate',
  'resources=VCPU:1,DISK_GB:5',
  'resources=VCPU:1&limit=3',
  'resources1=VGPU:1&group_policy=none&root_required=!CUSTOM_FAST',
]

interface World {
  roots: string[]
  numas: string[]
  leaves: string[]
  consumers: string[]
}

async function generation(i: Instance, uuid: string): Promise<number> {
  return (await i.call('GET', `/resource_providers/${uuid}`)).body.generation as number
}

/** Builds the starting trees: root with disk, two NUMA nodes with CPU and memory, a vGPU. */
async function seed(a: Instance, trees: number): Promise<World> {
  const w: World = { roots: [], numas: [], leaves: [], consumers: [] }
  assert.equal((await a.call('PUT', '/traits/CUSTOM_FAST')).status, 201)
  for (let t = 0; t < trees; t++) {
    const root = await providerWith(a, { DISK_GB: { total: 100 } })
    w.roots.push(root)
    for (let n = 0; n < 2; n++) {
      const numa = await providerWith(
        a,
        { VCPU: { total: 4 }, MEMORY_MB: { total: 1024 } },
        { parent_provider_uuid: root },
      )
      w.numas.push(numa)
      w.leaves.push(await providerWith(a, { VGPU: { total: 2 } }, { parent_provider_uuid: numa }))
    }
  }
  // A disk shared with the first two trees.
  const shared = await providerWith(a, { DISK_GB: { total: 1000 } })
  const put = (uuid: string, aggregates: string[]) =>
    a.call('PUT', `/resource_providers/${uuid}/aggregates`, {
      resource_provider_generation: 1,
      aggregates,
    })
  await a.call('PUT', `/resource_providers/${shared}/traits`, {
    resource_provider_generation: await generation(a, shared),
    traits: ['MISC_SHARES_VIA_AGGREGATE'],
  })
  await a.call('PUT', `/resource_providers/${shared}/aggregates`, {
    resource_provider_generation: await generation(a, shared),
    aggregates: [AGG],
  })
  for (const root of w.roots.slice(0, 2)) assert.equal((await put(root, [AGG])).status, 200)
  return w
}

/** One random write through `i`; returns what it did (for the failure message). */
async function randomWrite(i: Instance, w: World, random: () => number): Promise<string> {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
  const kind = Math.floor(random() * 7)
  if (kind === 0 || (kind === 1 && w.consumers.length === 0)) {
    // Claim the first candidate of a random shape.
    const q = pick(SHAPES.filter((s) => !s.includes('limit')))
    const found = (await i.call('GET', `/allocation_candidates?${q}&limit=1`)).body
    const req = (found.allocation_requests as { allocations: object }[])[0]
    if (!req) return `claim (${q}): nothing to claim`
    const consumer = randomUUID()
    const r = await i.call('PUT', `/allocations/${consumer}`, {
      ...claimBody('x', {}),
      allocations: req.allocations,
    })
    assert.equal(r.status, 204, r.raw.body)
    w.consumers.push(consumer)
    return `claim (${q})`
  }
  if (kind === 1) {
    const consumer = w.consumers.splice(Math.floor(random() * w.consumers.length), 1)[0]!
    assert.equal((await i.call('DELETE', `/allocations/${consumer}`)).status, 204)
    return 'delete a consumer'
  }
  const rp = pick([...w.roots, ...w.numas, ...w.leaves])
  if (kind === 2) {
    const on = random() < 0.5
    const r = await i.call('PUT', `/resource_providers/${rp}/traits`, {
      resource_provider_generation: await generation(i, rp),
      traits: on ? ['CUSTOM_FAST'] : [],
    })
    assert.equal(r.status, 200, r.raw.body)
    return `traits ${on ? 'on' : 'off'} ${rp}`
  }
  if (kind === 3) {
    const aggregates = [[], [AGG2], [AGG2], [AGG]][Math.floor(random() * 4)]!
    const r = await i.call('PUT', `/resource_providers/${rp}/aggregates`, {
      resource_provider_generation: await generation(i, rp),
      aggregates,
    })
    assert.equal(r.status, 200, r.raw.body)
    return `aggregate [${aggregates}] ${rp}`
  }
  if (kind === 4) {
    // Resize a NUMA node's CPUs (may fail when in use: then nothing changed).
    const numa = pick(w.numas)
    const inv = await i.call('GET', `/resource_providers/${numa}/inventories`)
    const total = 1 + Math.floor(random() * 5)
    const r = await i.call('PUT', `/resource_providers/${numa}/inventories/VCPU`, {
      resource_provider_generation: inv.body.resource_provider_generation,
      total,
    })
    assert.ok(r.status === 200 || r.status === 409, r.raw.body)
    return `VCPU total ${total} on ${numa} -> ${r.status}`
  }
  if (kind === 5) {
    const root = pick(w.roots)
    w.leaves.push(
      await providerWith(i, { VGPU: { total: 1 }, VCPU: { total: 2 } }, { parent_provider_uuid: root }),
    )
    return `new child of ${root}`
  }
  // Delete a leaf nothing is allocated from (a 409 leaves it in place).
  const leaf = pick(w.leaves)
  const r = await i.call('DELETE', `/resource_providers/${leaf}`)
  assert.ok(r.status === 204 || r.status === 409, r.raw.body)
  if (r.status === 204) w.leaves.splice(w.leaves.indexOf(leaf), 1)
  return `delete leaf ${leaf} -> ${r.status}`
}

/** The answer of a state rebuilt from the database: nothing kept from earlier queries. */
async function rebuiltAnswer(i: Instance, q: string): Promise<string> {
  const s = PlacementState.build(await i.service.stateRepo.loadState(), new Date(0).toISOString())
  const query = Object.fromEntries(new URLSearchParams(q))
  const { creq, empty } = parseCandidateRequest(s, query, VERSIONS.max)
  const found = empty ? [] : findCandidates(s, creq)
  return Buffer.concat(candidatesBody(s, found, creq, VERSIONS.max)).toString()
}

describe('kept tree results stay true to the database', { timeout: 120_000 }, () => {
  it('after every kind of write, both processes answer as a rebuilt state does', async () => {
    const tdb = await createTestDatabase('sqlite')
    await migrate(tdb.connection)
    const a = await startInstance(tdb.connection)
    const b = await startInstance(tdb.connection)
    try {
      const w = await seed(a, 5)
      const random = seeded(7)
      const kinds = new Set<string>()
      for (let step = 0; step < 80; step++) {
        // Every shape is asked before the write, so both processes hold kept results.
        for (const q of SHAPES) for (const i of [a, b]) await i.call('GET', `/allocation_candidates?${q}`)
        const did = await randomWrite(step % 2 ? a : b, w, random)
        kinds.add(did.split(' ')[0]!)
        for (const q of SHAPES) {
          const want = await rebuiltAnswer(a, q)
          for (const [name, i] of [
            ['a', a],
            ['b', b],
          ] as const) {
            const got = await i.call('GET', `/allocation_candidates?${q}`)
            assert.equal(got.status, 200)
            assert.equal(got.raw.body, want, `step ${step} (${did}): process ${name}, ${q}`)
          }
        }
      }
      // The mix really covered every kind of write.
      assert.deepEqual([...kinds].sort(), ['VCPU', 'aggregate', 'claim', 'delete', 'new', 'traits'])
    } finally {
      await a.close()
      await b.close()
      await dropWhenIdle(tdb)
    }
  })
})
