/**
 * Two API processes over one database (acceptance 6): each keeps its own in-memory
 * index, refreshed when the shared change counter moves, so whatever one process
 * writes the other's very next answer reflects — on SQLite, PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import {
  claimBody,
  dropWhenIdle,
  type Instance,
  migrate,
  providerWith,
  type Reply,
  startInstance,
} from './harness.js'

interface Candidates {
  allocation_requests: { allocations: Record<string, { resources: Record<string, number> }> }[]
  provider_summaries: Record<string, { resources: Record<string, { capacity: number; used: number }> }>
}

const candidates = (r: Reply) => r.body as unknown as Candidates

for (const dialect of enabledDialects()) {
  describe(`placement across two processes on ${dialect}`, { timeout: 120_000 }, () => {
    let a: Instance
    let b: Instance
    const setup = async () => {
      const tdb = await createTestDatabase(dialect)
      await migrate(tdb.connection)
      a = await startInstance(tdb.connection)
      b = await startInstance(tdb.connection)
      return async () => {
        await a.close()
        await b.close()
        await dropWhenIdle(tdb)
      }
    }

    it('a claim through one process is seen by the other’s candidates at once', async () => {
      const teardown = await setup()
      try {
        const rp = await providerWith(a, { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 } })
        // B has never seen this provider; its first answer already includes it.
        const first = await b.call('GET', '/allocation_candidates?resources=VCPU:2,MEMORY_MB:512')
        assert.equal(first.status, 200)
        assert.deepEqual(Object.keys(candidates(first).provider_summaries), [rp])
        assert.equal(candidates(first).provider_summaries[rp]!.resources.VCPU!.used, 0)

        const claim = await a.call(
          'PUT',
          `/allocations/${randomUUID()}`,
          claimBody(rp, { VCPU: 3, MEMORY_MB: 512 }),
        )
        assert.equal(claim.status, 204)
        const after = await b.call('GET', '/allocation_candidates?resources=VCPU:1')
        assert.equal(candidates(after).provider_summaries[rp]!.resources.VCPU!.used, 3)
        // The claim leaves one VCPU: asking for two finds nothing through B.
        const none = await b.call('GET', '/allocation_candidates?resources=VCPU:2')
        assert.equal(candidates(none).allocation_requests.length, 0)

        // And the other way round: B frees, A sees it.
        const consumer = randomUUID()
        const bClaim = await b.call('PUT', `/allocations/${consumer}`, claimBody(rp, { VCPU: 1 }))
        assert.equal(bClaim.status, 204)
        const full = await a.call('GET', '/allocation_candidates?resources=VCPU:1')
        assert.equal(candidates(full).allocation_requests.length, 0)
        assert.equal((await b.call('DELETE', `/allocations/${consumer}`)).status, 204)
        const free = await a.call('GET', '/allocation_candidates?resources=VCPU:1')
        assert.equal(candidates(free).allocation_requests.length, 1)
      } finally {
        await teardown()
      }
    })

    it('traits, aggregates, inventories and trees written through one process filter the other’s candidates', async () => {
      const teardown = await setup()
      try {
        const root = await providerWith(a, { VCPU: { total: 8 } })
        const child = await providerWith(a, { SRIOV_NET_VF: { total: 4 } }, { parent_provider_uuid: root })
        const q =
          '/allocation_candidates?resources=VCPU:1&resources1=SRIOV_NET_VF:1&required1=CUSTOM_PHYSNET_A'
        // An unknown trait is a 400 in B until A creates it; then B finds no provider with it.
        assert.equal((await b.call('GET', q)).status, 400)
        assert.equal((await a.call('PUT', '/traits/CUSTOM_PHYSNET_A')).status, 201)
        assert.equal(candidates(await b.call('GET', q)).allocation_requests.length, 0)
        const childRp = await b.call('GET', `/resource_providers/${child}`)
        const traits = await a.call('PUT', `/resource_providers/${child}/traits`, {
          resource_provider_generation: childRp.body.generation,
          traits: ['CUSTOM_PHYSNET_A'],
        })
        assert.equal(traits.status, 200)
        const found = candidates(await b.call('GET', q))
        assert.equal(found.allocation_requests.length, 1)
        assert.deepEqual(Object.keys(found.allocation_requests[0]!.allocations).sort(), [root, child].sort())

        const agg = randomUUID()
        const rootRp = await a.call('GET', `/resource_providers/${root}`)
        const set = await b.call('PUT', `/resource_providers/${root}/aggregates`, {
          resource_provider_generation: rootRp.body.generation,
          aggregates: [agg],
        })
        assert.equal(set.status, 200)
        assert.equal(
          candidates(await a.call('GET', `/allocation_candidates?resources=VCPU:1&member_of=${agg}`))
            .allocation_requests.length,
          1,
        )
        assert.equal(
          candidates(await a.call('GET', `/allocation_candidates?resources=VCPU:1&member_of=!${agg}`))
            .allocation_requests.length,
          0,
        )

        // An inventory change through A changes B's capacity in the summaries.
        const inv = await b.call('GET', `/resource_providers/${root}/inventories`)
        const put = await a.call('PUT', `/resource_providers/${root}/inventories/VCPU`, {
          resource_provider_generation: inv.body.resource_provider_generation,
          total: 32,
        })
        assert.equal(put.status, 200)
        const summary = candidates(
          await b.call('GET', '/allocation_candidates?resources=VCPU:1'),
        ).provider_summaries
        assert.equal(summary[root]!.resources.VCPU!.capacity, 32)

        // Deleting the child through B removes the nested candidate in A.
        const childNow = await a.call('GET', `/resource_providers/${child}`)
        assert.ok(childNow.status === 200)
        assert.equal((await b.call('DELETE', `/resource_providers/${child}`)).status, 204)
        assert.equal(candidates(await a.call('GET', q)).allocation_requests.length, 0)
        assert.ok(b.service.placement.cache.stats.reloads > 1 && a.service.placement.cache.stats.reloads > 1)
      } finally {
        await teardown()
      }
    })

    it('interleaved writers through both processes keep both indexes equal to the database', async () => {
      const teardown = await setup()
      try {
        const rps = await Promise.all(
          Array.from({ length: 5 }, () => providerWith(a, { VCPU: { total: 10 } })),
        )
        const claims = Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? a : b).call('PUT', `/allocations/${randomUUID()}`, claimBody(rps[i % 5]!, { VCPU: 1 })),
        )
        const results = await Promise.all(claims)
        assert.equal(results.filter((r) => r.status === 204).length, 50)
        const rows = await a.service.repo.loadState()
        const dbUsage = new Map<number, number>()
        for (const r of rows.allocations)
          dbUsage.set(r.resource_provider_id, (dbUsage.get(r.resource_provider_id) ?? 0) + Number(r.used))
        for (const inst of [a, b]) {
          const s = await inst.service.placement.state()
          for (const uuid of rps) {
            const p = s.byUuid.get(uuid)!
            assert.equal(p.usages.get('VCPU'), dbUsage.get(p.id))
            assert.equal(p.usages.get('VCPU'), 10)
          }
        }
      } finally {
        await teardown()
      }
    })
  })
}
