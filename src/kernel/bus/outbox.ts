/**
 * The durable outbox: a cast whose sender committed survives a crash of the sender.
 *
 * The sender writes the cast into `bus_outbox` inside its own transaction (`addToOutbox`),
 * so the cast exists exactly when the change it announces does. An `Outbox` sends the
 * rows in order after the commit, and at start again whatever a crash left; a row is
 * deleted only once the bus confirmed it, so every committed cast is sent at least once.
 * The receiver makes that exactly once with `handleOnce`: the message id goes into
 * `bus_processed` in the same transaction as the handler's own writes.
 */
import { randomUUID } from 'node:crypto'
import { type Generated, type Kysely, PostgresAdapter, sql, type Transaction } from 'kysely'
import type { NamedMigration } from '../db/index.js'
import { isUniqueViolation } from '../db/index.js'
import type { Bus, MessageContextDict, Target } from './bus.js'
import { BusClosed, MessagingTimeout } from './errors.js'
import type { BusLogger } from './message-bus.js'

export interface OutboxTables {
  bus_outbox: {
    seq: Generated<number>
    id: string
    kind: 'cast' | 'fanout'
    topic: string
    server: string | null
    method: string
    namespace: string
    version: string
    args: string
    context: string
    created_at: number
  }
  bus_processed: {
    id: string
    handled_at: number
  }
}

/** The outbox tables; the host runs them in each database whose services use the outbox. */
export const busMigrations: NamedMigration[] = [
  {
    name: 'bus_0001_outbox',
    async up(db: Kysely<unknown>) {
      // NOTE: an auto-incremented seq keeps the sending order; PostgreSQL spells
      // auto-increment as a type.
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.schema
        .createTable('bus_outbox')
        .addColumn('seq', postgres ? sql`bigserial` : 'integer', (c) =>
          postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('topic', 'varchar(255)', (c) => c.notNull())
        .addColumn('server', 'varchar(255)')
        .addColumn('method', 'varchar(255)', (c) => c.notNull())
        .addColumn('namespace', 'varchar(255)', (c) => c.notNull())
        .addColumn('version', 'varchar(16)', (c) => c.notNull())
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('context', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('bus_processed')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('handled_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('ix_bus_processed_handled_at')
        .on('bus_processed')
        .column('handled_at')
        .execute()
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('bus_processed').execute()
      await db.schema.dropTable('bus_outbox').execute()
    },
  },
]

type Db = Kysely<OutboxTables> | Transaction<OutboxTables>

export interface OutboxSendOptions {
  namespace?: string
  version?: string
  context?: MessageContextDict
  /** @default a random UUID */
  messageId?: string
}

/**
 * Records a cast (or a fanout, with `kind: 'fanout'`) in the caller's transaction. It is
 * sent after the transaction commits, when the caller kicks its Outbox or at the next
 * start. Returns the message id, which the receiver sees as `info.messageId`.
 */
export async function addToOutbox(
  trx: Db,
  target: Target & { kind?: 'cast' | 'fanout' },
  method: string,
  args: object,
  options: OutboxSendOptions = {},
): Promise<string> {
  const id = options.messageId ?? randomUUID()
  await trx
    .insertInto('bus_outbox')
    .values({
      id,
      kind: target.kind ?? 'cast',
      topic: target.topic,
      server: target.server ?? null,
      method,
      namespace: options.namespace ?? '',
      version: options.version ?? '1.0',
      args: JSON.stringify(args),
      context: JSON.stringify(options.context ?? {}),
      created_at: Date.now(),
    })
    .execute()
  return id
}

export interface OutboxOptions {
  logger?: BusLogger
  /** Rows read per round. @default 200 */
  batch?: number
  /** How often leftovers are retried when a send failed. @default 1000 ms */
  retryMs?: number
}

/** Sends what `addToOutbox` recorded; one per process and database. */
export class Outbox {
  private running: Promise<number> | undefined
  private again = false
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  /** Messages sent since start. */
  sent = 0

  constructor(
    private readonly db: Kysely<OutboxTables>,
    private readonly bus: Bus,
    private readonly options: OutboxOptions = {},
  ) {}

  /** Sends whatever an earlier run of the process left (a crash, a broker outage). */
  async start(): Promise<number> {
    return this.flush()
  }

  /** Asks for a flush soon; call it after the transaction that added rows committed. */
  kick(): void {
    if (this.stopped) return
    void this.flush().catch(() => {})
  }

  /**
   * Sends every row in order, deleting each batch once the bus confirmed it. Concurrent
   * calls share one run (and one more is made if rows were added meanwhile).
   */
  flush(): Promise<number> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.drain().finally(() => {
      this.running = undefined
      if (this.again && !this.stopped) {
        this.again = false
        this.kick()
      }
    })
    return this.running
  }

  private async drain(): Promise<number> {
    let total = 0
    const batch = this.options.batch ?? 200
    for (;;) {
      const rows = await this.db.selectFrom('bus_outbox').selectAll().orderBy('seq').limit(batch).execute()
      if (rows.length === 0 || this.stopped) return total
      const done: number[] = []
      try {
        for (const row of rows) {
          const options = {
            namespace: row.namespace,
            version: row.version,
            context: JSON.parse(row.context) as MessageContextDict,
            messageId: row.id,
          }
          const args = JSON.parse(row.args) as object
          const target = { topic: row.topic, ...(row.server ? { server: row.server } : {}) }
          if (row.kind === 'fanout') await this.bus.fanout(row.topic, row.method, args, options)
          else if (this.bus.durable) await this.bus.cast(target, row.method, args, options)
          else await this.handedOver(target, row.method, args, options)
          done.push(Number(row.seq))
        }
      } catch (e) {
        // NOTE: the rest stays in the table, in order, for the next try; what was sent is
        // deleted below so it is not sent again.
        this.options.logger?.warn(
          { err: (e as Error).message, left: rows.length - done.length },
          'outbox send failed',
        )
        this.retryLater()
        await this.remove(done)
        return total + done.length
      }
      await this.remove(done)
      total += done.length
      this.sent += done.length
    }
  }

  /**
   * Sends a cast on a bus that holds messages only in memory (in-process) and returns
   * once its handler finished: until then the row is the only durable copy.
   *
   * NOTE: it travels as a call so the handler's completion comes back; a handler error
   * or a refusal ends the row as it ends a cast (logged, not retried); only the bus
   * being away (a timeout, a closed bus) keeps the row for the next try.
   */
  private async handedOver(target: Target, method: string, args: object, options: OutboxSendOptions) {
    try {
      await this.bus.call(target, method, args, options)
    } catch (e) {
      if (e instanceof MessagingTimeout || e instanceof BusClosed) throw e
      this.options.logger?.warn(
        { err: (e as Error).message, messageId: options.messageId },
        'outbox cast failed',
      )
    }
  }

  private async remove(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return
    await this.db.deleteFrom('bus_outbox').where('seq', 'in', seqs).execute()
  }

  private retryLater(): void {
    if (this.timer || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.kick()
    }, this.options.retryMs ?? 1000)
    this.timer.unref()
  }

  /** Rows not yet sent. */
  async pending(): Promise<number> {
    const r = await this.db
      .selectFrom('bus_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running?.catch(() => {})
  }
}

/**
 * Runs `fn` once per message id, in one transaction with the record that it ran: a
 * redelivered or replayed message finds its id in `bus_processed` and is skipped.
 * Returns whether `fn` ran.
 */
export async function handleOnce<DB extends OutboxTables>(
  db: Kysely<DB>,
  messageId: string,
  fn: (trx: Transaction<DB>) => Promise<void>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const t = trx as unknown as Transaction<OutboxTables>
    try {
      await t.insertInto('bus_processed').values({ id: messageId, handled_at: Date.now() }).execute()
    } catch (e) {
      // NOTE: a concurrent delivery of the same id waits on the row lock and then lands
      // here once the first one committed.
      if (isUniqueViolation(e)) return false
      throw e
    }
    await fn(trx)
    return true
  })
}

/** Forgets processed ids older than `maxAgeMs` (longer than any redelivery or replay can take). */
export async function pruneProcessed(db: Kysely<OutboxTables>, maxAgeMs: number): Promise<number> {
  const r = await db
    .deleteFrom('bus_processed')
    .where('handled_at', '<', Date.now() - maxAgeMs)
    .executeTakeFirst()
  return Number(r.numDeletedRows)
}
