/**
 * Inserts one row and returns its generated id on every dialect: RETURNING on
 * PostgreSQL, the driver's insert id on SQLite and MariaDB.
 */
import type { InsertQueryBuilder } from 'kysely'
import type { Dialect } from '../../../kernel/db/index.js'

export async function insertId(
  dialect: Dialect,
  // biome-ignore lint/suspicious/noExplicitAny: any insert builder of the compute schema
  q: InsertQueryBuilder<any, any, any>,
): Promise<number> {
  if (dialect === 'postgres') {
    const row = (await q.returning('id').executeTakeFirstOrThrow()) as { id: number | string }
    return Number(row.id)
  }
  const r = await q.executeTakeFirstOrThrow()
  return Number(r.insertId)
}
