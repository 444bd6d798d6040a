/**
 * SQL helpers shared by placement's repositories: the transaction type, timestamps,
 * bounded `IN (...)` lists and inserted ids on every dialect.
 */
import type { Transaction } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'
import type { PlacementDatabase } from './schema.js'

export type Tx = Transaction<PlacementDatabase>

export const now = () => new Date().toISOString()

/** Splits a list for `IN (...)` clauses of bounded size. */
export function chunks<T>(xs: T[], size = 500): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size))
  return out
}

/** Inserts one row and returns its generated id on every dialect. */
export async function insertId(
  _tx: Tx,
  dialect: Dialect,
  // biome-ignore lint/suspicious/noExplicitAny: any insert builder of this schema
  q: any,
): Promise<number> {
  if (dialect === 'postgres') {
    const row = await q.returning('id').executeTakeFirstOrThrow()
    return Number(row.id)
  }
  const r = await q.executeTakeFirstOrThrow()
  return Number(r.insertId)
}
