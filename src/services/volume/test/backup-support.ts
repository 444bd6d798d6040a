/**
 * What the backup tests share: a file's sha256 over its first bytes, random writes that
 * cross chunk boundaries, and waiting for a backup to reach a status.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { ADMIN, type TestHost, V } from './harness.js'

export const MiB = 1024 * 1024
export const GiB = 1024 * MiB

/** sha256 of the first `length` bytes of a file. */
export async function sha256(path: string, length: number): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }))
    hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Writes a little over a MiB of random bytes at each offset (so a write spans two chunks). */
export async function write(path: string, offsets: readonly number[]): Promise<void> {
  const fh = await open(path, 'r+')
  try {
    for (const offset of offsets) await fh.write(randomBytes(MiB + 77), 0, MiB + 77, offset)
  } finally {
    await fh.close()
  }
}

/** The backup's view once it has `status` (`deleted`: once it answers 404). */
export async function backupStatus(t: TestHost, id: string, status: string) {
  const deadline = Date.now() + 120_000
  for (;;) {
    const r = await t.call('GET', `${V}/backups/${id}`, { as: ADMIN, version: '3.64' })
    if (status === 'deleted' && r.status === 404) return {}
    if (r.body?.backup?.status === status) return r.body.backup
    if (Date.now() > deadline)
      throw new Error(`backup ${id} did not reach ${status}: ${JSON.stringify(r.body)}`)
    await new Promise((res) => setTimeout(res, 20))
  }
}
