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
  return {
    prepare(sql: string) {
      const cached = cache.get(sql)
      if (cached && !cached.busy) {
        // re-inserted so the map's order stays least-recently-used first
        cache.delete(sql)
        cache.set(sql, cached)
        return cached
      }
      const statement = sqlite.prepare(sql)
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
