/**
 * Which providers GET /allocation_candidates summarises. From 1.29 the summaries hold
 * every provider of each tree that has a provider in some allocation request; a tree
 * that only anchors a candidate (the compute node a sharing-only candidate is paired
 * with) or only answers a resourceless group (a mapping, no resources) has none, so it
 * is not summarised, whatever order the providers were created in.
 *
 * One dialect is enough: what is under test is the view over the in-memory index.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../../../kernel/db/testing.js'
import { dropWhenIdle, type Instance, migrate, providerWith, startInstance } from './harness.js'

const AGG = 'a1a1a1a1-0000-4000-8000-0000000000bb'

interface Candidates {
  allocation_requests: { allocations: Record<string, unknown>; mappings?: Record<string, string[]> }[]
  provider_summaries: Record<string, unknown>
}

async function put(i: Instance, path: string, body: Record<string, unknown>): Promise<void> {
  const rp = path.split('/')[2]!
  const gen = (await i.call('GET', `/resource_providers/${rp}`)).body.generation
  const r = await i.call('PUT', path, { resource_provider_generation: gen, ...body })
  assert.equal(r.status, 200, r.raw.body)
}

/** A compute node with VCPU in AGG (plus `traits`). */
async function compute(i: Instance, name: string, traits: string[] = []): Promise<string> {
  const uuid = await providerWith(i, { VCPU: { total: 8 } }, { name })
  await put(i, `/resource_providers/${uuid}/aggregates`, { aggregates: [AGG] })
  if (traits.length) await put(i, `/resource_providers/${uuid}/traits`, { traits })
  return uuid
}

/** A shared disk pool in AGG. */
async function sharedDisk(i: Instance): Promise<string> {
  const uuid = await providerWith(i, { DISK_GB: { total: 100 } }, { name: 'ss' })
  await put(i, `/resource_providers/${uuid}/aggregates`, { aggregates: [AGG] })
  await put(i, `/resource_providers/${uuid}/traits`, { traits: ['MISC_SHARES_VIA_AGGREGATE'] })
  return uuid
}

async function candidates(i: Instance, query: string, version: string): Promise<Candidates> {
  const r = await i.call('GET', `/allocation_candidates?${query}`, undefined, version)
  assert.equal(r.status, 200, r.raw.body)
  return r.body as unknown as Candidates
}

describe('provider_summaries from 1.29', { timeout: 60_000 }, () => {
  let tdb: TestDatabase
  let inst: Instance
  const fresh = async () => {
    tdb = await createTestDatabase('sqlite')
    await migrate(tdb.connection)
    inst = await startInstance(tdb.connection)
  }
  const done = async () => {
    await inst.close()
    await dropWhenIdle(tdb)
  }

  for (const order of ['compute first', 'shared disk first'] as const) {
    it(`a sharing-only candidate summarises the sharing provider alone (${order})`, async () => {
      await fresh()
      try {
        let ss: string
        if (order === 'compute first') {
          await compute(inst, 'cn1')
          ss = await sharedDisk(inst)
        } else {
          ss = await sharedDisk(inst)
          await compute(inst, 'cn1')
        }
        for (const v of ['1.29', '1.34', '1.39']) {
          const c = await candidates(inst, 'resources=DISK_GB:20', v)
          assert.deepEqual(
            c.allocation_requests.map((r) => Object.keys(r.allocations)),
            [[ss]],
            `${v}: one candidate, on ss`,
          )
          assert.deepEqual(Object.keys(c.provider_summaries), [ss], `${v}: summaries`)
        }
      } finally {
        await done()
      }
    })
  }

  it('a provider named only by a resourceless group does not bring its tree in', async () => {
    await fresh()
    try {
      const cn1 = await compute(inst, 'cn1', ['HW_CPU_X86_AVX2'])
      const ss = await sharedDisk(inst)
      const c = await candidates(
        inst,
        'resources_D=DISK_GB:20&required_X=HW_CPU_X86_AVX2&same_subtree=_X&group_policy=none',
        '1.36',
      )
      assert.equal(c.allocation_requests.length, 1)
      assert.deepEqual(Object.keys(c.allocation_requests[0]!.allocations), [ss])
      assert.deepEqual(c.allocation_requests[0]!.mappings, { _D: [ss], _X: [cn1] })
      assert.deepEqual(Object.keys(c.provider_summaries), [ss])
    } finally {
      await done()
    }
  })

  it('a tree with a provider in a request is summarised whole', async () => {
    await fresh()
    try {
      const cn1 = await compute(inst, 'cn1')
      const numa = await providerWith(
        inst,
        { VCPU: { total: 4 } },
        { name: 'numa0', parent_provider_uuid: cn1 },
      )
      const ss = await sharedDisk(inst)
      const c = await candidates(inst, 'resources=DISK_GB:20&resources1=VCPU:1&group_policy=none', '1.39')
      // cn1+ss and numa0+ss: both trees are in requests, the nested one whole.
      assert.equal(c.allocation_requests.length, 2)
      assert.deepEqual(Object.keys(c.provider_summaries).sort(), [cn1, numa, ss].sort())
    } finally {
      await done()
    }
  })
})
