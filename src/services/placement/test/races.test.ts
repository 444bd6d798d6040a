/**
 * Races on SQLite, PostgreSQL and MariaDB. Two service instances (two Fastify apps over
 * two connection pools, each with its own in-memory index) share one database, as two
 * API processes would, and requests alternate between them so their transactions
 * truly interleave on the server databases.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import {
  claimBody,
  dropWhenIdle,
  errorCode,
  type Instance,
  migrate,
  providerWith,
  type Reply,
  startInstance,
} from './harness.js'

const CAPACITY_CODE = 'placement.undefined_code'
const CONCURRENT_CODE = 'placement.concurrent_update'

async function withTwoInstances(
  dialect: (typeof DIALECTS)[number],
  fn: (a: Instance, b: Instance) => Promise<void>,
): Promise<void> {
  const tdb = await createTestDatabase(dialect)
  await migrate(tdb.connection)
  const a = await startInstance(tdb.connection)
  const b = await startInstance(tdb.connection)
  try {
    await fn(a, b)
  } finally {
    await a.close()
    await b.close()
    await dropWhenIdle(tdb)
  }
}

const DIALECTS = enabledDialects()

function tally(replies: Reply[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const r of replies) {
    const key = r.status === 409 ? `409 ${errorCode(r)}` : String(r.status)
    m.set(key, (m.get(key) ?? 0) + 1)
  }
  return m
}

for (const dialect of DIALECTS) {
  describe(`placement races on ${dialect}`, { timeout: 300_000 }, () => {
    it('1,000 concurrent single-VCPU claims on 64 VCPU: exactly 64 succeed', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const rp = await providerWith(a, { VCPU: { total: 64, allocation_ratio: 1.0 } })
        const consumers = Array.from({ length: 1000 }, () => randomUUID())
        const replies = await Promise.all(
          consumers.map((c, i) =>
            (i % 2 ? b : a).call('PUT', `/allocations/${c}`, claimBody(rp, { VCPU: 1 })),
          ),
        )
        const counts = tally(replies)
        assert.equal(counts.get('204'), 64, `outcomes: ${JSON.stringify([...counts])}`)
        for (const [key, n] of counts) {
          if (key === '204') continue
          assert.ok(
            key === `409 ${CAPACITY_CODE}` || key === `409 ${CONCURRENT_CODE}`,
            `unexpected outcome ${key} x${n}`,
          )
        }
        // Both processes agree on the usage, and so does the database itself.
        for (const inst of [a, b]) {
          const u = await inst.call('GET', `/resource_providers/${rp}/usages`)
          assert.equal(u.status, 200)
          assert.deepEqual((u.body as { usages: Record<string, number> }).usages, { VCPU: 64 })
        }
        const rows = await a.service.stateRepo.loadState()
        assert.equal(
          rows.allocations.reduce((sum, r) => sum + Number(r.used), 0),
          64,
        )
        const winners = new Set(consumers.filter((_, i) => replies[i]!.status === 204))
        const stored = new Set(rows.consumers.map((c) => c.uuid))
        assert.deepEqual(stored, winners, 'exactly the consumers told 204 hold allocations')
        // One more claim is refused with the capacity error.
        const extra = await b.call('PUT', `/allocations/${randomUUID()}`, claimBody(rp, { VCPU: 1 }))
        assert.equal(extra.status, 409)
        assert.equal(errorCode(extra), CAPACITY_CODE)
        // Freeing one makes room for exactly one more.
        const [first] = winners
        assert.equal((await b.call('DELETE', `/allocations/${first}`)).status, 204)
        const again = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? a : b).call('PUT', `/allocations/${randomUUID()}`, claimBody(rp, { VCPU: 1 })),
          ),
        )
        assert.equal(again.filter((r) => r.status === 204).length, 1)
      })
    })

    it('multi-provider claims never overcommit any provider', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const cn = await providerWith(a, { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } })
        const disk = await providerWith(a, { DISK_GB: { total: 100 } })
        const replies = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? b : a).call('PUT', `/allocations/${randomUUID()}`, {
              allocations: {
                [cn]: { resources: { VCPU: 1, MEMORY_MB: 256 } },
                [disk]: { resources: { DISK_GB: 10 } },
              },
              project_id: 'p',
              user_id: 'u',
              consumer_generation: null,
              consumer_type: 'INSTANCE',
            }),
          ),
        )
        // VCPU allows 8, memory 16, disk 10: VCPU is the binding limit.
        assert.equal(replies.filter((r) => r.status === 204).length, 8)
        const u1 = await b.call('GET', `/resource_providers/${cn}/usages`)
        assert.deepEqual((u1.body as { usages: unknown }).usages, { VCPU: 8, MEMORY_MB: 2048 })
        const u2 = await a.call('GET', `/resource_providers/${disk}/usages`)
        assert.deepEqual((u2.body as { usages: unknown }).usages, { DISK_GB: 80 })
      })
    })

    it('first claims of a new project on many providers at once all succeed', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const rps = await Promise.all(
          Array.from({ length: 12 }, () => providerWith(a, { VCPU: { total: 4 } })),
        )
        const project = `p-${randomUUID()}`
        const user = `u-${randomUUID()}`
        const replies = await Promise.all(
          rps.map((rp, i) =>
            (i % 2 ? b : a).call('PUT', `/allocations/${randomUUID()}`, {
              ...claimBody(rp, { VCPU: 1 }, project, user),
              consumer_type: `TYPE_${project.slice(2, 10).toUpperCase()}`,
            }),
          ),
        )
        assert.deepEqual(tally(replies), new Map([['204', rps.length]]))
      })
    })

    it('one new trait and one new aggregate set by many requests at once through two processes: none fails', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const trait = `CUSTOM_RACE_${randomUUID().slice(0, 8).toUpperCase()}`
        const puts = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).call('PUT', `/traits/${trait}`)),
        )
        // PUT is create-or-exists: one 201, the rest 204, whichever process loses the insert.
        assert.deepEqual([...tally(puts)].sort(), [
          ['201', 1],
          ['204', 7],
        ])
        const aggregate = randomUUID()
        const rps = await Promise.all(
          Array.from({ length: 8 }, () => providerWith(a, { VCPU: { total: 4 } })),
        )
        const links = await Promise.all(
          rps.map((rp, i) =>
            (i % 2 ? b : a).call('PUT', `/resource_providers/${rp}/aggregates`, {
              resource_provider_generation: 1,
              aggregates: [aggregate],
            }),
          ),
        )
        assert.deepEqual(tally(links), new Map([['200', rps.length]]))
        const members = await b.call('GET', `/resource_providers?member_of=${aggregate}`)
        assert.equal(
          (members.body as { resource_providers: unknown[] }).resource_providers.length,
          rps.length,
        )
      })
    })

    it('concurrent inventory updates with one generation: one wins, the rest 409', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const rp = await providerWith(a, { VCPU: { total: 4 } })
        const inv = await b.call('GET', `/resource_providers/${rp}/inventories`)
        const generation = inv.body.resource_provider_generation as number
        const totals = Array.from({ length: 40 }, (_, i) => 100 + i)
        const replies = await Promise.all(
          totals.map((total, i) =>
            (i % 2 ? b : a).call('PUT', `/resource_providers/${rp}/inventories/VCPU`, {
              resource_provider_generation: generation,
              total,
            }),
          ),
        )
        const won = replies.flatMap((r, i) => (r.status === 200 ? [totals[i]!] : []))
        assert.equal(won.length, 1, `outcomes: ${JSON.stringify([...tally(replies)])}`)
        for (const r of replies) if (r.status !== 200) assert.equal(errorCode(r), CONCURRENT_CODE)
        for (const inst of [a, b]) {
          const after = await inst.call('GET', `/resource_providers/${rp}/inventories/VCPU`)
          assert.equal(after.body.total, won[0])
          assert.equal(after.body.resource_provider_generation, generation + 1)
        }
      })
    })

    it('writers that retry on 409 never lose a write', async () => {
      await withTwoInstances(dialect, async (a, b) => {
        const rp = await providerWith(a, {})
        const classes = Array.from({ length: 16 }, (_, i) => `CUSTOM_RACE_${i}`)
        for (const rc of classes) assert.equal((await a.call('PUT', `/resource_classes/${rc}`)).status, 201)
        let conflicts = 0
        const worker = async (rc: string, inst: Instance) => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const p = await inst.call('GET', `/resource_providers/${rp}`)
            const r = await inst.call('POST', `/resource_providers/${rp}/inventories`, {
              resource_class: rc,
              total: 10,
              resource_provider_generation: p.body.generation,
            })
            if (r.status === 201) return
            assert.equal(r.status, 409, r.raw.body)
            assert.equal(errorCode(r), CONCURRENT_CODE)
            conflicts++
          }
          throw new Error(`${rc} never got in`)
        }
        await Promise.all(classes.map((rc, i) => worker(rc, i % 2 ? b : a)))
        for (const inst of [a, b]) {
          const inv = await inst.call('GET', `/resource_providers/${rp}/inventories`)
          assert.deepEqual(Object.keys(inv.body.inventories as object).sort(), [...classes].sort())
          // Every successful write moved the generation exactly once.
          assert.equal(inv.body.resource_provider_generation, classes.length)
        }
        assert.ok(conflicts >= 0)
      })
    })

    it('error bodies follow each request’s own microversion under concurrency', async () => {
      await withTwoInstances(dialect, async (a) => {
        const replies = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            a.call('GET', `/resource_providers/${randomUUID()}`, undefined, i % 2 ? '1.22' : '1.39'),
          ),
        )
        replies.forEach((r, i) => {
          assert.equal(r.status, 404)
          const err = (r.body.errors as Record<string, unknown>[])[0]!
          if (i % 2) assert.equal(err.code, undefined, 'no code before 1.23')
          else assert.equal(err.code, 'placement.undefined_code')
        })
      })
    })
  })
}
