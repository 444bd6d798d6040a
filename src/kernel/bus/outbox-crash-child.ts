/**
 * A one-process cloud in miniature for outbox.test.ts: SQLite, the in-process bus, a
 * sender that commits a row and its cast together, a handler that records each cast
 * with `handleOnce`. `burst` commits N casts and prints each committed number (the test
 * kills it with -9 midway); `recover` starts on the same file, replays the outbox and
 * prints what was handled.
 *
 * Usage: node outbox-crash-child.js <burst|recover> <sqlite file> <topic> [count]
 * With CLOUDLET_OUTBOX_URL and CLOUDLET_OUTBOX_EXCHANGE it runs on RabbitMQ instead.
 */
import type { Kysely } from 'kysely'
import { migrateToLatest, openDatabase } from '../db/index.js'
import { createBus } from './create-bus.js'
import { addToOutbox, busMigrations, handleOnce, Outbox, type OutboxTables } from './outbox.js'
import { testConfig } from './testing.js'

interface Tables extends OutboxTables {
  build: { n: number }
  handled: { n: number; message_id: string }
}

const [mode, file, topic = 'conductor', countArg] = process.argv.slice(2)
const { db } = await openDatabase<Tables>(`sqlite:///${file}`)
await migrateToLatest(db as Kysely<unknown>, 'bus', [
  ...busMigrations,
  {
    name: 'test_0001',
    async up(k) {
      await k.schema
        .createTable('build')
        .addColumn('n', 'integer', (c) => c.primaryKey())
        .execute()
      await k.schema
        .createTable('handled')
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'varchar(64)', (c) => c.notNull())
        .execute()
    },
  },
])
const url = process.env.CLOUDLET_OUTBOX_URL
const bus = await createBus(
  testConfig(
    url
      ? {
          DEFAULT__transport_url: url,
          DEFAULT__control_exchange: process.env.CLOUDLET_OUTBOX_EXCHANGE ?? 'openstack',
          OSLO_MESSAGING_RABBIT__processname: topic,
        }
      : {},
  ),
)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
await bus.serve({ topic, server: 'local' }, [
  {
    version: '1.0',
    methods: {
      build: async (a: { n: number }, info) => {
        // A handler slower than the sender, so a backlog is waiting when the kill comes.
        await sleep(1)
        await handleOnce(db, info.messageId, async (trx) => {
          await trx.insertInto('handled').values({ n: a.n, message_id: info.messageId }).execute()
        })
      },
    },
  },
])
const outbox = new Outbox(db as unknown as Kysely<OutboxTables>, bus, { retryMs: 100 })
await outbox.start()

if (mode === 'burst') {
  const count = Number(countArg ?? 1000)
  for (let n = 0; n < count; n++) {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('build').values({ n }).execute()
      await addToOutbox(trx, { topic }, 'build', { n })
    })
    process.stdout.write(`${n}\n`)
    outbox.kick()
    // Each commit is its own request, as API requests are: other work runs in between.
    await new Promise((r) => setImmediate(r))
  }
  process.stdout.write('done\n')
} else {
  // Replay ran in start(); wait until every cast is handled and nothing is left.
  for (;;) {
    const left = await outbox.pending()
    const { c } = await db
      .selectFrom('handled')
      .select((eb) => eb.fn.countAll<number>().as('c'))
      .executeTakeFirstOrThrow()
    const { b } = await db
      .selectFrom('build')
      .select((eb) => eb.fn.countAll<number>().as('b'))
      .executeTakeFirstOrThrow()
    if (left === 0 && Number(c) >= Number(b)) break
    await new Promise((r) => setTimeout(r, 20))
  }
  await new Promise((r) => setTimeout(r, 200))
  const builds = (await db.selectFrom('build').select('n').execute()).map((r) => r.n)
  const handled = (await db.selectFrom('handled').select('n').execute()).map((r) => r.n)
  process.stdout.write(
    `${JSON.stringify({ builds, handled, replayed: outbox.sent, replyQueue: bus.transport.replyAddress })}\n`,
  )
  await outbox.stop()
  await bus.close()
  await db.destroy()
}
