/**
 * One owner per data directory: a lock file (`cloudlet.lock`) naming the process that
 * serves from the directory, its port and start time. A second process that would
 * write the same databases and files (another `up`, a `db upgrade`, a `bootstrap`) reads
 * it and refuses, naming the owner. A lock left by a process that died (kill -9, a
 * crash, a power cut) is taken over.
 *
 * The file is created with an atomic link(2), so of two processes starting at the same
 * moment exactly one wins; the loser reads the winner's record.
 */
import { randomBytes } from 'node:crypto'
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'cloudlet.lock'

/** What the lock file says about its owner. */
export interface DataDirOwner {
  pid: number
  /** The machine the owner runs on; a lock from another machine cannot be checked. */
  host: string
  /** The listening port, once known (0 until the owner listens, absent for admin commands). */
  port?: number
  /** What the owner is doing, e.g. `up`, `api`, `db upgrade`. */
  command: string
  /** ISO 8601 start time. */
  startedAt: string
}

/** Thrown when another live process owns the data directory. */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(`data directory ${dataDir} is in use by ${describeOwner(owner)}`)
    this.name = 'DataDirInUse'
  }
}

/** `cloudlet up (pid 123, port 5000, since 2025-01-01T10:00:00Z)`, on one line. */
export function describeOwner(owner: DataDirOwner): string {
  const where = owner.host === hostname() ? '' : ` on ${owner.host}`
  const port = owner.port ? `, port ${owner.port}` : ''
  return `cloudlet ${owner.command} (pid ${owner.pid}${where}${port}, since ${owner.startedAt})`
}

/** A held lock: update what it says, or give it up. */
export interface DataDirLock {
  readonly path: string
  /** Rewrites the record (e.g. with the port once listening). */
  update(change: Partial<Pick<DataDirOwner, 'port' | 'command'>>): void
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void
}

/**
 * The live owner of `dataDir`, or undefined when it is free (no lock, or a stale one).
 * Reads only: it never creates the directory or the file.
 */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  const owner = readOwner(join(dataDir, LOCK_FILE))
  return owner && isLive(owner) ? owner : undefined
}

/**
 * Takes the lock on an existing `dataDir` for this process.
 *
 * @throws DataDirInUse when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string, info: { command: string; port?: number }): DataDirLock {
  const path = join(dataDir, LOCK_FILE)
  let record: DataDirOwner = {
    pid: process.pid,
    host: hostname(),
    command: info.command,
    startedAt: new Date().toISOString(),
    ...(info.port === undefined ? {} : { port: info.port }),
  }
  // NOTE: bounded, not a loop until success: each round either wins, finds a live owner,
  // or removes one stale file; a third round means someone else keeps racing us.
  for (let round = 0; round < 3; round++) {
    if (tryCreate(path, record))
      return held(
        path,
        () => record,
        (r) => (record = r),
      )
    const owner = readOwner(path)
    if (owner === undefined) continue // removed between our attempt and the read
    if (isLive(owner)) throw new DataDirInUse(dataDir, owner)
    takeOverStale(path, owner)
  }
  const owner = readOwner(path)
  throw new DataDirInUse(dataDir, owner ?? { ...record, pid: 0, command: 'unknown' })
}

function held(path: string, get: () => DataDirOwner, set: (r: DataDirOwner) => void): DataDirLock {
  let released = false
  return {
    path,
    update(change) {
      if (released) return
      const next = { ...get(), ...change }
      set(next)
      // Written beside and renamed over, so a reader never sees half a record.
      const temp = `${path}.${process.pid}.tmp`
      writeFileSync(temp, `${JSON.stringify(next)}\n`, { mode: 0o644 })
      renameSync(temp, path)
    },
    release() {
      if (released) return
      released = true
      if (readOwner(path)?.pid === process.pid) unlinkQuietly(path)
    },
  }
}

/** Creates the lock file with `record` unless one exists; true when this call made it. */
function tryCreate(path: string, record: DataDirOwner): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o644 })
  try {
    linkSync(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    unlinkQuietly(temp)
  }
}

/**
 * Removes a stale lock. NOTE: it is moved aside first and checked there: if another
 * process replaced the stale file with its own live lock in the meantime, that lock is
 * put back instead of being deleted.
 */
function takeOverStale(path: string, stale: DataDirOwner): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = readOwner(aside)
  if (moved && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt) && isLive(moved)) {
    try {
      linkSync(aside, path)
    } catch {
      // A third process took the lock meanwhile; the next round reads it.
    }
  }
  unlinkQuietly(aside)
}

function readOwner(path: string): DataDirOwner | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  try {
    const o = JSON.parse(text) as Partial<DataDirOwner>
    if (typeof o.pid === 'number' && typeof o.host === 'string')
      return {
        pid: o.pid,
        host: o.host,
        command: typeof o.command === 'string' ? o.command : 'unknown',
        startedAt: typeof o.startedAt === 'string' ? o.startedAt : 'an unknown time',
        ...(typeof o.port === 'number' ? { port: o.port } : {}),
      }
  } catch {
    // Fall through: a torn or foreign file.
  }
  // NOTE: an unreadable record cannot name a live owner; treating it as stale lets the
  // next start repair it rather than refusing forever.
  return { pid: 0, host: hostname(), command: 'unknown', startedAt: 'an unknown time' }
}

/**
 * Whether the owner may still be running. A lock from another machine is assumed live
 * (its process cannot be checked from here). A pid equal to ours is a lock left by an
 * earlier process that had our pid (a container restarted as pid 1), so it is stale.
 */
function isLive(owner: DataDirOwner): boolean {
  if (owner.host !== hostname()) return true
  if (owner.pid <= 0 || owner.pid === process.pid) return false
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return !startedAfter(owner.pid, Date.parse(owner.startedAt))
}

/**
 * NOTE: after a crash the owner's pid may be reused by an unrelated process. The owner
 * started before it wrote its lock; a process that started later cannot be it. Linux
 * tells a process's start time in /proc; elsewhere, or when /proc cannot be read, the
 * pid is trusted.
 */
function startedAfter(pid: number, lockedAt: number): boolean {
  if (!Number.isFinite(lockedAt)) return false
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may hold spaces;
    // starttime (field 22) is the 20th of them, in clock ticks since boot.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]
    if (!Number.isFinite(ticks) || btime === undefined) return false
    // NOTE: USER_HZ is 100 on every Linux architecture Node runs on.
    const started = Number(btime) * 1000 + ticks * 10
    // btime has whole-second precision; allow for it.
    return started > lockedAt + 2000
  } catch {
    return false
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Already gone.
  }
}
