/**
 * Test support: every storage test runs against SQLite, PostgreSQL and MariaDB.
 *
 * `testDialects()` yields one fresh, empty database per dialect; server databases are
 * created with a random name and dropped afterwards. The servers are the machine's
 * local PostgreSQL and MariaDB (scripts/ensure-databases.sh starts them). Set
 * CLOUDLET_TEST_DIALECTS=sqlite to run only SQLite while iterating.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Kysely } from 'kysely'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { type Dialect, openDatabase } from './database.js'

export const PG_ADMIN_URL =
  process.env.CLOUDLET_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const MYSQL_ADMIN_URL = process.env.CLOUDLET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/'

export interface TestDatabase {
  dialect: Dialect
  connection: string
  /** Drops the database (server dialects) or deletes the file (SQLite). */
  drop(): Promise<void>
}

export function enabledDialects(): Dialect[] {
  const env = process.env.CLOUDLET_TEST_DIALECTS
  const all: Dialect[] = ['sqlite', 'postgres', 'mysql']
  if (!env) return all
  return env.split(',').map((d) => d.trim()) as Dialect[]
}

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const name = `cloudlet_test_${randomBytes(5).toString('hex')}`
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-db-'))
    return {
      dialect,
      connection: `sqlite:///${join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  if (dialect === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const url = new URL(PG_ADMIN_URL)
    url.pathname = `/${name}`
    return {
      dialect,
      connection: url.toString(),
      // NOTE: pg's pool.end() resolves before the server has seen every connection
      // close; a DROP ... WITH (FORCE) right away kills those and their late 'error'
      // surfaces as an uncaught error in whichever test runs next. So wait (2 s at most)
      // until the server has no session on the database left.
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL })
        await c.connect()
        try {
          for (let i = 0; i < 100; i++) {
            const r = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
              name,
            ])
            if (r.rows[0].n === 0) break
            await new Promise((done) => setTimeout(done, 20))
          }
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        } finally {
          await c.end()
        }
      },
    }
  }
  const url = new URL(MYSQL_ADMIN_URL)
  const adminOpts = {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password) || undefined,
  }
  const admin = await createConnection(adminOpts)
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
  await admin.end()
  url.pathname = `/${name}`
  return {
    dialect,
    connection: url.toString(),
    drop: async () => {
      const c = await createConnection(adminOpts)
      await c.query(`DROP DATABASE IF EXISTS ${name}`)
      await c.end()
    },
  }
}

/**
 * Runs `fn` once per enabled dialect with a fresh database, opened with Kysely.
 * Use inside a node:test `describe` to get one sub-test per dialect.
 */
export async function withEachDialect<DB>(
  fn: (db: Kysely<DB>, dialect: Dialect, connection: string) => Promise<void>,
  dialects: Dialect[] = enabledDialects(),
): Promise<void> {
  for (const dialect of dialects) {
    const tdb = await createTestDatabase(dialect)
    const { db } = await openDatabase<DB>(tdb.connection)
    try {
      await fn(db, dialect, tdb.connection)
    } finally {
      await db.destroy()
      await tdb.drop()
    }
  }
}
