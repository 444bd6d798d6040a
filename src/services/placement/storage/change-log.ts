/**
 * The change log: every write moves the change counter and records what it touched
 * (providers, consumers, or the catalog of classes and traits), so that every process
 * sharing the database can bring its in-memory index up to date by reading only those
 * rows (state.repo.ts `loadChanges`).
 */
import { sql } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { Tx } from './sql.js'

/** What a write touched, for the change log (default: everything). */
export interface Touched {
  kind: 'delta' | 'catalog' | 'full'
  providers?: Iterable<number>
  /** Providers whose generation alone moved (logged as `g<id>`; readers skip their definitions). */
  generations?: Iterable<number>
  consumers?: Iterable<string>
}

/** A longer list of touched rows is logged as a full change. */
const LOG_MAX_CHARS = 60_000
/** Every LOG_PRUNE_EVERY writes, entries older than LOG_KEEP writes are deleted. */
const LOG_PRUNE_EVERY = 1000
const LOG_KEEP = 10_000

/**
 * Moves the change counter and logs what the write touched under the counter's new
 * value. The counter row stays locked until commit, so log entries become visible in
 * counter order and a reader that saw counter N can rely on entries 1..N being there.
 */
export async function bump(tx: Tx, dialect: Dialect, touched: Touched = { kind: 'full' }): Promise<void> {
  const increment = tx
    .updateTable('placement_changes')
    .set({ counter: sql<number>`counter + 1` })
    .where('id', '=', 1)
  // SQLite and PostgreSQL answer the new value with the update; MariaDB reads it after.
  const row =
    dialect !== 'mysql'
      ? await increment.returning('counter').executeTakeFirstOrThrow()
      : (await increment.execute(),
        await tx
          .selectFrom('placement_changes')
          .select('counter')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow())
  const seq = Number(row.counter)
  let kind = touched.kind
  const whole = new Set(touched.providers ?? [])
  const named = [
    ...whole,
    ...[...new Set(touched.generations ?? [])].filter((id) => !whole.has(id)).map((id) => `g${id}`),
  ]
  let providers: string | null = named.length ? named.join(',') : null
  let consumers: string | null = touched.consumers ? [...new Set(touched.consumers)].join(',') : null
  if ((providers?.length ?? 0) + (consumers?.length ?? 0) > LOG_MAX_CHARS) {
    kind = 'full'
    providers = null
    consumers = null
  }
  await tx
    .insertInto('placement_change_log')
    .values({ seq, kind, providers: providers || null, consumers: consumers || null })
    .execute()
  if (seq % LOG_PRUNE_EVERY === 0)
    await tx
      .deleteFrom('placement_change_log')
      .where('seq', '<=', seq - LOG_KEEP)
      .execute()
}
