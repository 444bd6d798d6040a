import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import SQLite from 'better-sqlite3'
import { sql } from 'kysely'
import { openDatabase, parseConnectionUrl, redact } from './database.js'
import { isUniqueViolation } from './errors.js'
import { migrateToLatest, type NamedMigration } from './migrate.js'
import { enabledDialects, withEachDialect } from './testing.js'

describe('connection URLs', () => {
  it('reads oslo/SQLAlchemy style URLs, ignoring the +driver part', () => {
    assert.deepEqual(parseConnectionUrl('sqlite:////var/lib/x.db'), {
      dialect: 'sqlite',
      path: '/var/lib/x.db',
    })
    assert.deepEqual(parseConnectionUrl('sqlite:///rel.db'), { dialect: 'sqlite', path: 'rel.db' })
    assert.equal(parseConnectionUrl('sqlite://').path, ':memory:')
    assert.equal(parseConnectionUrl('postgresql+psycopg2://u:p@h:5433/db').dialect, 'postgres')
    assert.equal(parseConnectionUrl('mysql+pymysql://u:p@h/db?charset=utf8').dialect, 'mysql')
    assert.throws(() => parseConnectionUrl('oracle://x'), /unsupported/)
    assert.throws(() => parseConnectionUrl('not a url'), /invalid/)
  })
  it('never prints passwords', () => {
    assert.equal(redact('mysql://cloud:hunter2@db/x'), 'mysql://cloud:***@db/x')
  })
})

interface TestDB {
  widgets: { id: string; name: string; generation: number }
}

const migrations: NamedMigration[] = [
  {
    name: '0001_widgets',
    async up(db) {
      await db.schema
        .createTable('widgets')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
  },
]

describe(`storage on ${enabledDialects().join(', ')}`, () => {
  it('migrates, detects unique violations and does compare-and-swap updates on every dialect', async () => {
    await withEachDialect<TestDB>(async (db, dialect) => {
      await migrateToLatest(db as never, 'test', migrations)
      // Running again is a no-op.
      assert.deepEqual(await migrateToLatest(db as never, 'test', migrations), [])
      await db.insertInto('widgets').values({ id: 'a', name: 'one', generation: 0 }).execute()
      await assert.rejects(
        db.insertInto('widgets').values({ id: 'b', name: 'one', generation: 0 }).execute(),
        (e) => isUniqueViolation(e),
        `${dialect}: duplicate name`,
      )
      const cas = async (expected: number) =>
        Number(
          (
            await db
              .updateTable('widgets')
              .set({ generation: expected + 1 })
              .where('id', '=', 'a')
              .where('generation', '=', expected)
              .executeTakeFirst()
          ).numUpdatedRows,
        )
      assert.equal(await cas(0), 1, `${dialect}: first CAS wins`)
      assert.equal(await cas(0), 0, `${dialect}: stale CAS loses`)
      const { rows } = await sql<{ n: number }>`select count(*) as n from widgets`.execute(db)
      assert.equal(Number(rows[0]?.n), 1)
    })
  })
})

describe('SQLite prepared statements, reused', () => {
  it('answers a repeated query from its cached statement and follows schema changes', async () => {
    const { db } = await openDatabase<TestDB>('sqlite://')
    try {
      await migrateToLatest(db as never, 'test', migrations)
      const names = () => db.selectFrom('widgets').selectAll().orderBy('id').execute()
      for (const [id, name] of [
        ['a', 'one'],
        ['b', 'two'],
      ])
        await db.insertInto('widgets').values({ id: id!, name: name!, generation: 0 }).execute()
      assert.deepEqual(
        (await names()).map((w) => w.name),
        ['one', 'two'],
      )
      // the same SQL with other parameters, then a failing run of a cached insert
      await assert.rejects(
        db.insertInto('widgets').values({ id: 'c', name: 'one', generation: 0 }).execute(),
        (e) => isUniqueViolation(e),
      )
      await db.insertInto('widgets').values({ id: 'c', name: 'three', generation: 0 }).execute()
      assert.equal((await names()).length, 3)
      // a cached `select *` sees a column added after it was prepared
      await sql`alter table widgets add column colour varchar(20) default 'red'`.execute(db)
      const rows = (await names()) as unknown as { colour: string }[]
      assert.deepEqual(
        rows.map((r) => r.colour),
        ['red', 'red', 'red'],
      )
    } finally {
      await db.destroy()
    }
  })

  it('runs a query again after a stream of it was left part-way', async () => {
    const { db } = await openDatabase<TestDB>('sqlite://')
    try {
      await migrateToLatest(db as never, 'test', migrations)
      for (const id of ['a', 'b', 'c'])
        await db.insertInto('widgets').values({ id, name: id, generation: 0 }).execute()
      const query = db.selectFrom('widgets').select('id').orderBy('id')
      for await (const row of query.stream()) {
        assert.equal(row.id, 'a')
        break
      }
      assert.deepEqual(
        (await query.execute()).map((r) => r.id),
        ['a', 'b', 'c'],
      )
      const streamed: string[] = []
      for await (const row of query.stream()) streamed.push(row.id)
      assert.deepEqual(streamed, ['a', 'b', 'c'])
    } finally {
      await db.destroy()
    }
  })

  it('answers rows with every column by name, whatever the names', async () => {
    const { db } = await openDatabase<TestDB>('sqlite://')
    try {
      const { rows } = await sql<
        Record<string, unknown>
      >`select 1 as a, 2 as a, 3 as "__proto__", 'x' as "b c"`.execute(db)
      const row = rows[0]!
      // the last column of a name wins, as better-sqlite3 answers it
      assert.equal(row.a, 2)
      assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__')?.value, 3)
      assert.equal(Object.getPrototypeOf(row), Object.prototype)
      assert.equal(row['b c'], 'x')
      const none = await db
        .selectFrom('widgets' as never)
        .selectAll()
        .execute()
        .catch((e: Error) => e)
      assert.ok(none instanceof Error, 'no such table is an error, not an empty shape')
    } finally {
      await db.destroy()
    }
  })

  it("follows another connection's schema change that keeps the row's width", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-db-'))
    const file = join(dir, 'x.db')
    const { db } = await openDatabase<TestDB>(`sqlite:///${file}`)
    try {
      await migrateToLatest(db as never, 'test', migrations)
      await db.insertInto('widgets').values({ id: 'a', name: 'one', generation: 0 }).execute()
      const read = () => db.selectFrom('widgets').selectAll().execute() as Promise<unknown[]>
      assert.deepEqual(await read(), [{ id: 'a', name: 'one', generation: 0 }])
      // another process (`cloudlet db upgrade`) renames a column: same width, new name
      const other = new SQLite(file)
      other.exec('alter table widgets rename column name to label')
      other.close()
      // the schema is looked at again at most once a second
      await new Promise((r) => setTimeout(r, 1100))
      assert.deepEqual(await read(), [{ id: 'a', label: 'one', generation: 0 }])
    } finally {
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
