/**
 * Cluster leases on SQLite, PostgreSQL and MariaDB: one holder at a time among racing
 * processes, renewal by the holder, takeover after expiry or release; and a periodic task
 * guarded by a lease runs in one of two hosts only.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import pino from 'pino'
import { migrateToLatest, openDatabase } from '../db/index.js'
import { createTestDatabase, enabledDialects } from '../db/testing.js'
import { TaskGroup } from '../host/tasks.js'
import { ClusterLeases, leaseMigrations, leaseTable } from './cluster-lease.js'

for (const dialect of enabledDialects()) {
  describe(`cluster leases on ${dialect}`, async () => {
    const tdb = await createTestDatabase(dialect)
    const { db } = await openDatabase<unknown>(tdb.connection, { maxConnections: 10 })
    after(async () => {
      await db.destroy()
      await tdb.drop()
    })
    await migrateToLatest(db as Kysely<unknown>, 'compute_leases', leaseMigrations('compute'))
    let now = 1_000_000
    const holder = (name: string) =>
      new ClusterLeases(db as Kysely<unknown>, leaseTable('compute'), name, () => now)

    it('gives a new lease to exactly one of many racing holders', async () => {
      const racers = Array.from({ length: 12 }, (_, i) => holder(`p${i}`))
      const won = await Promise.all(racers.map((r) => r.acquire('reclaim', 30_000)))
      assert.equal(won.filter(Boolean).length, 1)
      const winner = racers[won.indexOf(true)]!
      assert.equal(await winner.holderOf('reclaim'), winner.holder)
      // The holder renews; the others still cannot take it before it expires.
      now += 20_000
      assert.equal(await winner.acquire('reclaim', 30_000), true)
      now += 20_000
      const others = await Promise.all(
        racers.filter((r) => r !== winner).map((r) => r.acquire('reclaim', 30_000)),
      )
      assert.deepEqual(others.filter(Boolean), [])
    })

    it('is taken over once it expires, at once once released', async () => {
      const a = holder('a')
      const b = holder('b')
      assert.equal(await a.acquire('audit', 10_000), true)
      assert.equal(await b.acquire('audit', 10_000), false)
      now += 10_001
      assert.equal(await b.acquire('audit', 10_000), true)
      await b.release('audit')
      assert.equal(await a.acquire('audit', 10_000), true)
    })

    it('lets a periodic task guarded by the lease run in one process of two', async () => {
      const logger = pino({ level: 'silent' })
      const runs: string[] = []
      const groups = ['h1', 'h2'].map((name) => {
        const leases = new ClusterLeases(db as Kysely<unknown>, leaseTable('compute'), name)
        const tasks = new TaskGroup(name, logger)
        tasks.every(
          'sweep',
          20,
          async () => {
            runs.push(name)
          },
          { onlyWhen: () => leases.acquire('sweep', 5_000), jitter: 0 },
        )
        return tasks
      })
      // Wait for a few runs (a loaded machine stretches the 20 ms period), at most 5 s.
      const until = Date.now() + 5000
      while (runs.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      await Promise.all(groups.map((g) => g.close()))
      assert.ok(runs.length >= 3, `runs: ${runs.length}`)
      assert.equal(new Set(runs).size, 1, `both processes ran the sweep: ${[...new Set(runs)]}`)
    })
  })
}
