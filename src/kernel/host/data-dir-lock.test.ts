import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { acquireDataDirLock, DataDirInUse, dataDirOwner, LOCK_FILE } from './data-dir-lock.js'

const dirs: string[] = []
const children: ChildProcess[] = []
after(() => {
  for (const c of children) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'cloudlet-lock-'))
  dirs.push(d)
  return d
}

/** A live process that is not this one. */
function sleeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  children.push(child)
  return child.pid!
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

function writeLock(d: string, record: object): void {
  writeFileSync(join(d, LOCK_FILE), JSON.stringify(record))
}

describe('data directory lock', () => {
  it('records pid, command and start time, takes the port later, and is gone after release', () => {
    const d = dir()
    const lock = acquireDataDirLock(d, { command: 'up' })
    const record = JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8'))
    assert.equal(record.pid, process.pid)
    assert.equal(record.command, 'up')
    assert.equal(record.host, hostname())
    assert.ok(Math.abs(Date.parse(record.startedAt) - Date.now()) < 5000)
    lock.update({ port: 5123 })
    assert.equal(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).port, 5123)
    lock.release()
    assert.equal(existsSync(join(d, LOCK_FILE)), false)
    lock.release()
  })

  it('refuses a second owner while the first lives, naming its pid and port', () => {
    const d = dir()
    const pid = sleeper()
    writeLock(d, { pid, host: hostname(), port: 5000, command: 'up', startedAt: new Date().toISOString() })
    assert.equal(dataDirOwner(d)?.pid, pid)
    assert.throws(
      () => acquireDataDirLock(d, { command: 'db upgrade' }),
      (e: unknown) =>
        e instanceof DataDirInUse &&
        e.owner.pid === pid &&
        e.message.includes(`pid ${pid}`) &&
        e.message.includes('port 5000') &&
        !e.message.includes('\n'),
    )
    // The owner's record is untouched.
    assert.equal(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid, pid)
  })

  it('takes over a lock whose process died', async () => {
    const d = dir()
    writeLock(d, {
      pid: await deadPid(),
      host: hostname(),
      command: 'up',
      startedAt: new Date().toISOString(),
    })
    assert.equal(dataDirOwner(d), undefined)
    const lock = acquireDataDirLock(d, { command: 'up' })
    assert.equal(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid, process.pid)
    lock.release()
  })

  it('takes over a lock whose pid now belongs to a process started after the lock was written', () => {
    const d = dir()
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString()
    writeLock(d, { pid: sleeper(), host: hostname(), command: 'up', startedAt: hourAgo })
    const lock = acquireDataDirLock(d, { command: 'up' })
    assert.equal(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid, process.pid)
    lock.release()
  })

  it('takes over a lock bearing its own pid (an earlier process with the same pid) or garbage', () => {
    const d = dir()
    writeLock(d, { pid: process.pid, host: hostname(), command: 'up', startedAt: new Date().toISOString() })
    acquireDataDirLock(d, { command: 'up' }).release()
    writeFileSync(join(d, LOCK_FILE), '{"pid": 12')
    acquireDataDirLock(d, { command: 'up' }).release()
  })

  it("treats another machine's lock as live: its process cannot be checked from here", () => {
    const d = dir()
    writeLock(d, { pid: 1, host: 'elsewhere.example', command: 'up', startedAt: new Date().toISOString() })
    assert.throws(() => acquireDataDirLock(d, { command: 'up' }), /on elsewhere\.example/)
  })

  it('does not remove a lock another process holds now', () => {
    const d = dir()
    const lock = acquireDataDirLock(d, { command: 'up' })
    const pid = sleeper()
    writeLock(d, { pid, host: hostname(), command: 'up', startedAt: new Date().toISOString() })
    lock.release()
    assert.equal(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid, pid)
  })
})
