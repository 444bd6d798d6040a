/**
 * A provider's generation moves when its traits change, and only then: a PUT of the
 * set it already has, a PUT of [] or a DELETE on a provider with none write nothing
 * (no bump, no change-log entry, so no other process reloads). Inventories and
 * aggregates bump on every PUT, changed or not. Two API processes over one database,
 * on every enabled dialect, so the index of the process that did not write is checked
 * too.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { dropWhenIdle, type Instance, migrate, startInstance } from './harness.js'

const AGG = 'a1a1a1a1-0000-4000-8000-0000000000aa'

async function generation(i: Instance, uuid: string): Promise<number> {
  const r = await i.call('GET', `/resource_providers/${uuid}`)
  assert.equal(r.status, 200)
  return r.body.generation as number
}

async function counter(i: Instance): Promise<string> {
  const row = await i.db
    .selectFrom('placement_changes')
    .select('counter')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow()
  return String(row.counter)
}

for (const dialect of enabledDialects()) {
  describe(`provider generation on trait writes (${dialect})`, { timeout: 120_000 }, () => {
    it('moves only when the trait set changes; inventories and aggregates always bump', async () => {
      const tdb = await createTestDatabase(dialect)
      await migrate(tdb.connection)
      const a = await startInstance(tdb.connection)
      const b = await startInstance(tdb.connection)
      try {
        const uuid = randomUUID()
        const created = await a.call('POST', '/resource_providers', { uuid, name: 'cn' })
        assert.equal(created.status, 200)
        assert.equal(created.body.generation, 0)
        const traits = `/resource_providers/${uuid}/traits`

        // A provider with no traits: DELETE and PUT [] change nothing.
        assert.equal((await a.call('DELETE', traits)).status, 204)
        assert.equal(await generation(a, uuid), 0)
        const empty = await a.call('PUT', traits, { resource_provider_generation: 0, traits: [] })
        assert.equal(empty.status, 200)
        assert.deepEqual(empty.body, { resource_provider_generation: 0, traits: [] })
        assert.equal(await generation(b, uuid), 0)

        // A real change bumps, and the other process sees it.
        const set = await a.call('PUT', traits, {
          resource_provider_generation: 0,
          traits: ['COMPUTE_STATUS_DISABLED'],
        })
        assert.equal(set.status, 200)
        assert.equal(set.body.resource_provider_generation, 1)
        assert.equal(await generation(b, uuid), 1)

        // The same set again (duplicates included) writes nothing: not even the change log.
        const before = await counter(a)
        const again = await b.call('PUT', traits, {
          resource_provider_generation: 1,
          traits: ['COMPUTE_STATUS_DISABLED', 'COMPUTE_STATUS_DISABLED'],
        })
        assert.equal(again.status, 200)
        assert.deepEqual(again.body, { resource_provider_generation: 1, traits: ['COMPUTE_STATUS_DISABLED'] })
        assert.equal(await counter(a), before)
        assert.equal(await generation(a, uuid), 1)
        assert.equal(await generation(b, uuid), 1)

        // A stale generation is still refused when nothing would change.
        const stale = await a.call('PUT', traits, {
          resource_provider_generation: 0,
          traits: ['COMPUTE_STATUS_DISABLED'],
        })
        assert.equal(stale.status, 409)

        // DELETE with traits present bumps once; a second DELETE does not.
        assert.equal((await b.call('DELETE', traits)).status, 204)
        assert.equal(await generation(a, uuid), 2)
        assert.deepEqual((await a.call('GET', traits)).body, { resource_provider_generation: 2, traits: [] })
        assert.equal((await a.call('DELETE', traits)).status, 204)
        assert.equal(await generation(b, uuid), 2)

        // Inventories: an unchanged PUT bumps.
        const inv = { VCPU: { total: 8 } }
        const inv1 = await a.call('PUT', `/resource_providers/${uuid}/inventories`, {
          resource_provider_generation: 2,
          inventories: inv,
        })
        assert.equal(inv1.body.resource_provider_generation, 3)
        const inv2 = await a.call('PUT', `/resource_providers/${uuid}/inventories`, {
          resource_provider_generation: 3,
          inventories: inv,
        })
        assert.equal(inv2.body.resource_provider_generation, 4)

        // Aggregates: an unchanged PUT bumps (1.19 carries the generation).
        const agg = `/resource_providers/${uuid}/aggregates`
        const agg1 = await b.call('PUT', agg, { resource_provider_generation: 4, aggregates: [AGG] })
        assert.equal(agg1.body.resource_provider_generation, 5)
        const agg2 = await b.call('PUT', agg, { resource_provider_generation: 5, aggregates: [AGG] })
        assert.equal(agg2.body.resource_provider_generation, 6)
        assert.equal(await generation(a, uuid), 6)
      } finally {
        await a.close()
        await b.close()
        await dropWhenIdle(tdb)
      }
    })
  })
}
