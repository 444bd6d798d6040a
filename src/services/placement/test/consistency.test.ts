/**
 * Two API processes over one database (acceptance 6): each keeps its own in-memory
 * index, refreshed when the shared change counter moves, so whatever one process
 * writes the other's very next answer reflects — on SQLite, PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { PlacementState } from '../domain/model.js'
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

/** Everything an index holds, in a comparable shape (orders that views expose kept). */
function dump(s: PlacementState) {
  const ids = (ps: Iterable<{ id: number }>) => [...ps].map((p) => p.id)
  return {
    counter: s.counter,
    roots: ids(s.roots),
    sharing: ids(s.sharing),
    providers: [...s.providers.values()]
      .sort((x, y) => x.id - y.id)
      .map((p) => ({
        id: p.id,
        uuid: p.uuid,
        name: p.name,
        generation: p.generation,
        parent: p.parent?.id,
        root: p.root.id,
        children: ids(p.children),
        tree: p.root === p ? ids(PlacementState.treeOf(p)) : undefined,
        inventories: [...p.inventories],
        usages: [...p.usages].filter(([, n]) => n !== 0).sort(),
        traits: [...p.traits].sort(),
        aggregates: [...p.aggregates].sort(),
      })),
    members: [...s.aggregateMembers]
      .map(([uuid, ps]) => [uuid, ids(ps).sort((x, y) => x - y)] as const)
      .filter(([, ps]) => ps.length > 0)
      .sort(),
    consumers: [...s.consumers.values()].map((c) => ({
      ...c,
      allocations: c.allocations.map((a) => ({ ...a, provider: a.provider.id })),
    })),
    resourceClasses: [...s.resourceClasses.values()],
    traits: [...s.traits.values()],
  }
}

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
        // Both indexes were brought up to date (from the change log or by a reload).
        const refreshed = (i: Instance) =>
          i.service.placement.cache.stats.reloads + i.service.placement.cache.stats.updates
        assert.ok(refreshed(a) > 1 && refreshed(b) > 1)
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
        const rows = await a.service.stateRepo.loadState()
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

    it('indexes kept up to date from the change log equal a rebuild from the database', async () => {
      const teardown = await setup()
      try {
        // Warm both indexes, then write through both: trees, inventories, traits,
        // aggregates, claims, moves, deletes, a new trait and class.
        await a.call('GET', '/resource_providers')
        await b.call('GET', '/resource_providers')
        const roots = await Promise.all(
          Array.from({ length: 4 }, () => providerWith(a, { VCPU: { total: 8 } })),
        )
        const kids = await Promise.all(
          roots.map((r, i) =>
            providerWith(i % 2 ? a : b, { SRIOV_NET_VF: { total: 4 } }, { parent_provider_uuid: r }),
          ),
        )
        assert.equal((await b.call('PUT', '/traits/CUSTOM_INC_A')).status, 201)
        assert.equal((await a.call('PUT', '/resource_classes/CUSTOM_INC_RC')).status, 201)
        const gen = async (i: Instance, uuid: string) =>
          (await i.call('GET', `/resource_providers/${uuid}`)).body.generation as number
        for (const [i, kid] of kids.entries()) {
          const w = i % 2 ? b : a
          assert.equal(
            (
              await w.call('PUT', `/resource_providers/${kid}/traits`, {
                resource_provider_generation: await gen(w, kid),
                traits: i % 2 ? ['CUSTOM_INC_A', 'MISC_SHARES_VIA_AGGREGATE'] : ['CUSTOM_INC_A'],
              })
            ).status,
            200,
          )
          assert.equal(
            (
              await w.call('PUT', `/resource_providers/${roots[i]}/aggregates`, {
                resource_provider_generation: await gen(w, roots[i]!),
                aggregates: [randomUUID(), randomUUID()],
              })
            ).status,
            200,
          )
        }
        const consumers = Array.from({ length: 6 }, () => randomUUID())
        for (const [i, c] of consumers.entries()) {
          const w = i % 2 ? a : b
          assert.equal(
            (await w.call('PUT', `/allocations/${c}`, claimBody(kids[i % 4]!, { SRIOV_NET_VF: 1 }))).status,
            204,
          )
        }
        assert.equal((await a.call('DELETE', `/allocations/${consumers[0]}`)).status, 204)
        const moved = { ...claimBody(roots[0]!, { VCPU: 2 }), consumer_generation: 1 }
        assert.equal((await b.call('PUT', `/allocations/${consumers[1]}`, moved)).status, 204)
        const inv = await b.call('GET', `/resource_providers/${roots[1]}/inventories`)
        assert.equal(
          (
            await a.call('PUT', `/resource_providers/${roots[1]}/inventories`, {
              resource_provider_generation: inv.body.resource_provider_generation,
              inventories: { VCPU: { total: 16 }, CUSTOM_INC_RC: { total: 3 } },
            })
          ).status,
          200,
        )
        const extra = await providerWith(b, { DISK_GB: { total: 100 } }, { parent_provider_uuid: kids[2] })
        assert.equal((await a.call('DELETE', `/resource_providers/${extra}`)).status, 204)
        const leaf = await providerWith(a, { DISK_GB: { total: 10 } }, { parent_provider_uuid: kids[3] })
        void leaf
        const before = a.service.placement.cache.stats.updates + b.service.placement.cache.stats.updates
        for (const inst of [a, b]) {
          const kept = await inst.service.placement.state()
          const rebuilt = PlacementState.build(
            await inst.service.stateRepo.loadState(),
            new Date(0).toISOString(),
          )
          assert.deepEqual(dump(kept), dump(rebuilt))
        }
        assert.ok(before > 0, 'some refreshes came from the change log')
      } finally {
        await teardown()
      }
    })
  })
}
