/**
 * The durable outbox on every dialect: rows sent in order once committed, nothing for a
 * rolled-back transaction, sends retried after a failure, `handleOnce` running a handler
 * once per id (also under concurrent deliveries); and a process killed with -9 in the
 * middle of a burst of committed casts, restarted on its data: every cast handled once.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { migrateToLatest } from '../db/index.js'
import { enabledDialects, withEachDialect } from '../db/testing.js'
import { createBus } from './create-bus.js'
import { InProcessBroker } from './in-process.js'
import {
  addToOutbox,
  busMigrations,
  handleOnce,
  Outbox,
  type OutboxTables,
  pruneProcessed,
} from './outbox.js'
import { deleteTopology, enabledTransports, RABBIT_TEST_URL, testConfig } from './testing.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe(`outbox on ${enabledDialects().join(', ')}`, () => {
  it('sends committed casts in order, never rolled-back ones, and retries after a failed send', async () => {
    await withEachDialect<OutboxTables>(async (db, dialect) => {
      await migrateToLatest(db as Kysely<unknown>, 'bus', busMigrations)
      const broker = new InProcessBroker()
      const got: number[] = []
      const server = await createBus(testConfig(), { broker })
      await server.serve({ topic: 'conductor', server: 'h' }, [
        { version: '1.2', methods: { build: (a: { n: number }) => void got.push(a.n) } },
      ])
      await db.transaction().execute(async (trx) => {
        for (const n of [1, 2, 3])
          await addToOutbox(trx, { topic: 'conductor' }, 'build', { n }, { version: '1.2' })
      })
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await addToOutbox(trx, { topic: 'conductor' }, 'build', { n: 99 })
          throw new Error('the change failed')
        }),
        /the change failed/,
      )
      // A sender whose bus is down keeps its rows.
      const down = await createBus(testConfig(), { broker })
      await down.close()
      const failing = new Outbox(db, down, { retryMs: 60_000 })
      assert.equal(await failing.flush(), 0, dialect)
      await failing.stop()
      const sender = await createBus(testConfig(), { broker })
      const outbox = new Outbox(db, sender)
      assert.equal(await outbox.pending(), 3)
      assert.equal(await outbox.start(), 3)
      assert.equal(await outbox.pending(), 0)
      for (let i = 0; i < 100 && got.length < 3; i++) await sleep(5)
      assert.deepEqual(got, [1, 2, 3], dialect)
      await outbox.stop()
      await Promise.all([server.close(), sender.close()])
    })
  })

  it('handleOnce runs a handler once per message id, also for concurrent deliveries', async () => {
    await withEachDialect<OutboxTables & { effect: { id: string } }>(async (db, dialect) => {
      await migrateToLatest(db as Kysely<unknown>, 'bus', busMigrations)
      await db.schema.createTable('effect').addColumn('id', 'varchar(64)').execute()
      const run = (id: string) =>
        handleOnce(db, id, async (trx) => {
          await sleep(5)
          await trx.insertInto('effect').values({ id }).execute()
        })
      assert.equal(await run('m1'), true)
      assert.equal(await run('m1'), false)
      const results = await Promise.all([run('m2'), run('m2'), run('m2')])
      assert.equal(results.filter(Boolean).length, 1, dialect)
      const rows = await db.selectFrom('effect').select('id').execute()
      assert.deepEqual(rows.map((r) => r.id).sort(), ['m1', 'm2'])
      // A handler that fails leaves no record: the message is handled when it comes again.
      await assert.rejects(
        handleOnce(db, 'm3', async () => {
          throw new Error('boom')
        }),
      )
      assert.equal(await run('m3'), true)
      assert.equal(await pruneProcessed(db, -1), 3)
    })
  })
})

describe('outbox across kill -9', () => {
  for (const transport of enabledTransports()) {
    it(`on ${transport}: a process killed in a burst of 1,000 committed casts handles each exactly once after restart`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cloudlet-outbox-'))
      const child = fileURLToPath(new URL('./outbox-crash-child.js', import.meta.url))
      const file = join(dir, 'cloud.db')
      const run = randomBytes(4).toString('hex')
      const topic = `outbox_${run}`
      const exchange = `cloudlet_test_${run}`
      const env =
        transport === 'rabbit'
          ? { ...process.env, CLOUDLET_OUTBOX_URL: RABBIT_TEST_URL, CLOUDLET_OUTBOX_EXCHANGE: exchange }
          : process.env
      const start = (mode: string, ...rest: string[]) =>
        spawn(process.execPath, [child, mode, file, topic, ...rest], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env,
        })
      let replyQueue = ''
      try {
        const burst = start('burst', '1000')
        const exited = new Promise((r) => burst.once('exit', r))
        let committed = -1
        let buffer = ''
        await new Promise<void>((resolve, reject) => {
          burst.stdout.on('data', (chunk: Buffer) => {
            buffer += chunk.toString()
            const lines = buffer.split('\n')
            buffer = lines.pop()!
            for (const line of lines) {
              if (line === 'done') return reject(new Error('the burst finished before the kill'))
              committed = Number(line)
              if (committed >= 400 && !burst.killed) {
                burst.kill('SIGKILL')
                resolve()
              }
            }
          })
          void exited.then(() => resolve())
        })
        await exited
        const recover = start('recover')
        let out = ''
        recover.stdout.on('data', (c: Buffer) => {
          out += c.toString()
        })
        const code = await new Promise((r) => recover.on('exit', r))
        assert.equal(code, 0)
        const result = JSON.parse(out) as {
          builds: number[]
          handled: number[]
          replayed: number
          replyQueue: string
        }
        replyQueue = result.replyQueue
        const { builds, handled, replayed } = result
        assert.ok(
          builds.length >= committed + 1,
          `${builds.length} builds, ${committed + 1} reported committed`,
        )
        assert.ok(builds.length < 1000, 'killed before the end')
        const sorted = (l: number[]) => [...l].sort((a, b) => a - b)
        assert.deepEqual(sorted(handled), sorted(builds), 'each committed build handled exactly once')
        console.log(
          `${transport}: killed after ${builds.length} commits; ${replayed} casts replayed from the outbox at restart; ${handled.length} handled, once each`,
        )
      } finally {
        rmSync(dir, { recursive: true, force: true })
        if (transport === 'rabbit') {
          await deleteTopology(
            [topic, `${topic}.local`, `${topic}_fanout`, `${exchange}.dead_letter`, replyQueue].filter(
              Boolean,
            ),
            [exchange, `${exchange}.dlx`, `${topic}_fanout`],
          )
        }
      }
    })
  }
})
