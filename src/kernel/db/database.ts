/**
 * Database connections: one Kysely instance per service, over SQLite (better-sqlite3),
 * PostgreSQL (pg) or MySQL/MariaDB (mysql2), chosen by an oslo-style connection URL.
 *
 * Accepted URLs: `sqlite:///relative/or/absolute.db`, `sqlite://` (memory),
 * `postgresql[+driver]://user:pass@host:port/db`, `mysql[+driver]://user:pass@host/db`.
 * The `+driver` part (e.g. `+pymysql`, `+psycopg2`) is accepted and ignored, so an
 * operator's existing connection strings work unchanged.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  type SqliteDriver,
} from 'kysely'

export type Dialect = 'sqlite' | 'postgres' | 'mysql'

export interface ConnectionInfo {
  dialect: Dialect
  /** For SQLite: a file path or ':memory:'. */
  path?: string
  url?: URL
}

export function parseConnectionUrl(connection: string): ConnectionInfo {
  const m = /^([a-z0-9]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(connection)
  if (!m) throw new Error(`invalid database connection URL: ${redact(connection)}`)
  const scheme = m[1]!.toLowerCase()
  const rest = m[3]!
  if (scheme === 'sqlite') {
    // sqlite:///rel.db is relative; sqlite:////abs.db is absolute (SQLAlchemy's rule).
    const path = rest === '' || rest === '/' || rest === '/:memory:' ? ':memory:' : rest.replace(/^\//, '')
    return { dialect: 'sqlite', path }
  }
  const url = new URL(`${scheme}://${rest}`)
  if (scheme === 'postgresql' || scheme === 'postgres') return { dialect: 'postgres', url }
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', url }
  throw new Error(`unsupported database dialect in connection URL: ${scheme}`)
}

export function redact(connection: string): string {
  return connection.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}

/**
 * How long a transaction waits for another connection's write lock before failing busy.
 * NOTE: generous, because the wait does not block the event loop and a busy failure is a
 * 500 (or a build left unfinished): on a loaded machine two processes sharing the file
 * (500 creates through two API processes) were seen to wait past 5 s.
 */
const SQLITE_LOCK_WAIT_MS = 30_000

/**
 * SQLite with `BEGIN IMMEDIATE` transactions that wait for the write lock without
 * blocking the event loop.
 *
 * NOTE: a deferred transaction that reads first and then writes must upgrade its lock;
 * when another connection holds the write lock, SQLite refuses the upgrade at once with
 * SQLITE_BUSY (waiting could deadlock), ignoring busy_timeout. Taking the write lock at
 * BEGIN makes a second process wait its turn instead, which is what several processes
 * sharing one database file (API workers, `cloudlet api` beside `cloudlet up`) need.
 * The wait itself is not left to busy_timeout: better-sqlite3 is synchronous, so SQLite
 * waiting inside BEGIN would freeze this process's event loop (every other request of
 * the worker) and, when the lock holder is another connection of this same process,
 * would wait out the whole timeout for a lock that cannot be released meanwhile.
 * Instead the connection's busy_timeout is 0 and a statement or BEGIN that finds the
 * lock taken is tried again after short sleeps; nothing has happened yet when either
 * fails busy, so trying again is always safe. (Toggling busy_timeout around each BEGIN
 * instead cost two statements per transaction.)
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: cachingStatements(sqlite) as unknown as SQLite.Database })
  }

  override createDriver(): Driver {
    const driver = super.createDriver() as SqliteDriver
    const unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection['executeQuery']>()
    const run = (connection: DatabaseConnection, sql: string) =>
      (unwrapped.get(connection) ?? connection.executeQuery.bind(connection))(CompiledQuery.raw(sql))
    // NOTE: a statement outside a transaction that finds the write lock taken (another
    // process may hold it for seconds on a loaded machine) fails busy at once; nothing
    // happened, so it is tried again after short sleeps, as BEGIN is below.
    const acquire = driver.acquireConnection.bind(driver)
    driver.acquireConnection = async () => {
      const connection = await acquire()
      if (!unwrapped.has(connection)) {
        const execute = connection.executeQuery.bind(connection)
        unwrapped.set(connection, execute)
        connection.executeQuery = (async (query: CompiledQuery) => {
          const deadline = Date.now() + SQLITE_LOCK_WAIT_MS
          for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
            try {
              return await execute(query)
            } catch (e) {
              const busy = (e as { code?: string }).code === 'SQLITE_BUSY'
              if (!busy || this.sqlite.inTransaction || Date.now() >= deadline) throw e
            }
            await new Promise((resolve) => setTimeout(resolve, pause))
          }
        }) as DatabaseConnection['executeQuery']
      }
      return connection
    }
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      const deadline = Date.now() + SQLITE_LOCK_WAIT_MS
      for (let pause = 1; ; pause = Math.min(pause * 2, 20)) {
        try {
          await run(connection, 'begin immediate')
          return
        } catch (e) {
          if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw e
        }
        await new Promise((resolve) => setTimeout(resolve, pause))
      }
    }
    return driver
  }
}

/** How many prepared statements a SQLite connection keeps (least recently used go first). */
const STATEMENT_CACHE_SIZE = 500

/**
 * The database as Kysely's SQLite driver sees it, with `prepare` answered from a cache
 * of prepared statements keyed by their SQL text.
 *
 * NOTE: the driver prepares every query afresh, and preparing was a tenth of the CPU of
 * booting a server (a few hundred distinct statements, run over and over). A statement
 * is reusable once it has run; one still being iterated (`busy`: a stream not yet
 * closed) is not, so a fresh one is prepared for that call. SQLite re-prepares a cached
 * statement itself when the schema changes under it (migrations).
 */
function cachingStatements(sqlite: SQLite.Database): Pick<SQLite.Database, 'prepare' | 'close'> {
  const cache = new Map<string, SQLite.Statement>()
  const version = sqlite.prepare('pragma schema_version').pluck()
  const schema: SchemaWatch = {
    epoch: 0,
    version: version.get() as number,
    checkedAt: Date.now(),
    read: () => version.get() as number,
  }
  return {
    prepare(sql: string) {
      const now = Date.now()
      if (DDL.test(sql)) schema.epoch++
      else if (now - schema.checkedAt >= 1000) {
        schema.checkedAt = now
        const seen = schema.read()
        if (seen !== schema.version) {
          schema.version = seen
          schema.epoch++
        }
      }
      const cached = cache.get(sql)
      if (cached && !cached.busy) {
        // re-inserted so the map's order stays least-recently-used first
        cache.delete(sql)
        cache.set(sql, cached)
        return cached
      }
      const statement = shapedRows(sqlite.prepare(sql), schema)
      if (!cached) {
        cache.set(sql, statement)
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
      }
      return statement
    },
    close() {
      cache.clear()
      return sqlite.close()
    },
  } as Pick<SQLite.Database, 'prepare' | 'close'>
}

/** When the connection last saw its schema change, for statements that shape rows. */
interface SchemaWatch {
  /** Bumped by every change seen; a shape made before it is made again. */
  epoch: number
  version: number
  checkedAt: number
  read(): number
}

/**
 * A reading statement that answers rows as objects of one fixed shape.
 *
 * NOTE: better-sqlite3 builds each row object property by property, and an object past
 * a few dozen properties made that way turns into a slow dictionary: a server's row (43
 * columns) cost about 14 µs to make, twice the rest of the query. Read as arrays
 * (`raw`), the rows are made by one object literal per statement, which V8 gives a
 * single hidden class. Column order and duplicate names resolve as better-sqlite3
 * resolves them (the last column of a name wins). SQLite prepares a statement again
 * when the schema changes under it, so the shape is made again after a change: one this
 * connection made (its DDL), one seen in `schema_version` (checked at most once a second,
 * for another process's `db upgrade`), or rows of another width.
 */
function shapedRows(statement: SQLite.Statement, schema: SchemaWatch): SQLite.Statement {
  if (!statement.reader) return statement
  let shape: ((row: unknown[]) => Record<string, unknown>) | undefined
  let width = 0
  let madeAt = -1
  const shapeOf = (row: unknown[]) => {
    if (madeAt !== schema.epoch || row.length !== width) {
      const names = statement.columns().map((c) => c.name)
      // `__proto__` in a literal would set the prototype: such rows are made key by key.
      shape = names.includes('__proto__')
        ? (r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))
        : (new Function(
            'r',
            `return {${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(', ')}}`,
          ) as (r: unknown[]) => Record<string, unknown>)
      width = names.length
      madeAt = schema.epoch
    }
    return shape!(row)
  }
  statement.raw(true)
  const all = statement.all.bind(statement)
  const get = statement.get.bind(statement)
  const iterate = statement.iterate.bind(statement)
  const shaped = statement as unknown as Record<'all' | 'get' | 'iterate', (...params: unknown[]) => unknown>
  shaped.all = (...params) => {
    const rows = all(...params) as unknown[][]
    const out = new Array<Record<string, unknown>>(rows.length)
    for (let i = 0; i < rows.length; i++) out[i] = shapeOf(rows[i]!)
    return out
  }
  shaped.get = (...params) => {
    const row = get(...params) as unknown[] | undefined
    return row === undefined ? undefined : shapeOf(row)
  }
  shaped.iterate = function* (...params) {
    for (const row of iterate(...params) as IterableIterator<unknown[]>) yield shapeOf(row)
  }
  return statement
}

/** Statements that change the schema. */
const DDL = /^\s*(create|alter|drop)\b/i

export interface OpenOptions {
  /** Pool size for server databases. @default 10 */
  maxConnections?: number
}

export interface OpenDatabase<DB> {
  db: Kysely<DB>
  dialect: Dialect
}

/**
 * Opens a connection pool for `connection`. The PostgreSQL and MySQL drivers are loaded
 * only when asked for, so the all-in-one process on SQLite starts without them.
 */
export async function openDatabase<DB>(
  connection: string,
  options: OpenOptions = {},
): Promise<OpenDatabase<DB>> {
  const info = parseConnectionUrl(connection)
  const max = options.maxConnections ?? 10
  switch (info.dialect) {
    case 'sqlite': {
      if (info.path !== ':memory:') mkdirSync(dirname(info.path!), { recursive: true })
      const sqlite = new SQLite(info.path!)
      // NOTE: WAL lets readers proceed during a write. busy_timeout 0: SQLite never
      // waits for the write lock inside a synchronous call (which would freeze the event
      // loop); ImmediateSqliteDialect waits between tries instead.
      sqlite.pragma('journal_mode = WAL')
      sqlite.pragma('synchronous = NORMAL')
      sqlite.pragma('busy_timeout = 0')
      sqlite.pragma('foreign_keys = ON')
      return {
        db: new Kysely<DB>({ dialect: new ImmediateSqliteDialect(sqlite) }),
        dialect: 'sqlite',
      }
    }
    case 'postgres': {
      const url = info.url!
      const { default: pg } = await import('pg')
      const pool = new pg.Pool({
        host: url.hostname || undefined,
        port: url.port ? Number(url.port) : undefined,
        user: decodeURIComponent(url.username) || undefined,
        password: decodeURIComponent(url.password) || undefined,
        database: url.pathname.replace(/^\//, '') || undefined,
        max,
      })
      return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' }
    }
    case 'mysql': {
      const url = info.url!
      const socket = url.searchParams.get('unix_socket') ?? undefined
      const { createPool: createMysqlPool } = await import('mysql2')
      const pool = createMysqlPool({
        host: socket ? undefined : url.hostname || 'localhost',
        port: url.port ? Number(url.port) : undefined,
        socketPath: socket,
        user: decodeURIComponent(url.username) || 'root',
        password: decodeURIComponent(url.password) || undefined,
        database: url.pathname.replace(/^\//, '') || undefined,
        connectionLimit: max,
        charset: 'utf8mb4',
        // Dates as strings keep one representation across the three dialects.
        dateStrings: true,
        supportBigNumbers: true,
      })
      return { db: new Kysely<DB>({ dialect: new MysqlDialect({ pool }) }), dialect: 'mysql' }
    }
  }
}
