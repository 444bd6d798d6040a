/**
 * The file backend: every volume and snapshot is a sparse raw file in one directory
 * (`volume-<id>`, `snapshot-<id>`). Creating a volume sets the file's length without
 * writing (a hole); copies (clone, create from snapshot, snapshot, revert) try a
 * reflink first and otherwise copy block by block, skipping blocks of zeros so the copy
 * stays sparse (GNU cp does both when it is installed). Every copy writes a `.part` file and renames it into place, so a crash
 * never leaves a half-written volume under a volume's name; `sweep()` removes what a
 * crash left.
 */

import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { copyFile, mkdir, open, readdir, rename, rm, stat, statfs, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const GiB = 1024 ** 3
const BLOCK = 1024 * 1024

export class FileDriver {
  constructor(readonly dir: string) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
  }

  volumePath(id: string): string {
    return join(this.dir, `volume-${id}`)
  }

  snapshotPath(id: string): string {
    return join(this.dir, `snapshot-${id}`)
  }

  /** A new empty volume: a sparse file of `sizeGb` GiB. */
  async createVolume(id: string, sizeGb: number): Promise<void> {
    const part = `${this.volumePath(id)}.part`
    const fh = await open(part, 'w')
    try {
      await fh.truncate(sizeGb * GiB)
    } finally {
      await fh.close()
    }
    await rename(part, this.volumePath(id))
  }

  /** A new volume of `sizeGb` GiB that starts with `data` (an image's bytes). */
  async createWith(id: string, data: Buffer, sizeGb: number): Promise<void> {
    const part = `${this.volumePath(id)}.part`
    const fh = await open(part, 'w')
    try {
      await fh.truncate(sizeGb * GiB)
      await fh.write(data, 0, data.length, 0)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(part, this.volumePath(id))
  }

  /** A new volume holding `source`'s bytes, grown to `sizeGb` GiB. */
  async createFrom(id: string, source: string, sizeGb: number): Promise<void> {
    await this.copyInto(source, this.volumePath(id), sizeGb * GiB)
  }

  async snapshot(volumeId: string, snapshotId: string): Promise<void> {
    const src = this.volumePath(volumeId)
    await this.copyInto(src, this.snapshotPath(snapshotId), (await stat(src)).size)
  }

  /** The volume's bytes become the snapshot's again (its size stays). */
  async revert(volumeId: string, snapshotId: string): Promise<void> {
    const dst = this.volumePath(volumeId)
    await this.copyInto(this.snapshotPath(snapshotId), dst, (await stat(dst)).size)
  }

  async extend(id: string, sizeGb: number): Promise<void> {
    await truncate(this.volumePath(id), sizeGb * GiB)
  }

  async deleteVolume(id: string): Promise<void> {
    await rm(this.volumePath(id), { force: true })
    await rm(`${this.volumePath(id)}.part`, { force: true })
  }

  async deleteSnapshot(id: string): Promise<void> {
    await rm(this.snapshotPath(id), { force: true })
    await rm(`${this.snapshotPath(id)}.part`, { force: true })
  }

  /** Files of volumes and snapshots the database does not know, and unfinished copies: removed. */
  async sweep(known: { volumes: ReadonlySet<string>; snapshots: ReadonlySet<string> }): Promise<string[]> {
    const removed: string[] = []
    for (const name of await readdir(this.dir)) {
      const m = /^(volume|snapshot)-(.+?)(\.part)?$/.exec(name)
      if (!m) continue
      const set = m[1] === 'volume' ? known.volumes : known.snapshots
      if (m[3] || !set.has(m[2]!)) {
        await rm(join(this.dir, name), { force: true })
        removed.push(name)
      }
    }
    return removed
  }

  /** Capacity in GiB: the configured total, else the file system's; free from the file system. */
  async capacity(configuredTotal?: number): Promise<{ total: number; free: number }> {
    const fs = await statfs(this.dir)
    const total = configuredTotal ?? Math.floor((fs.blocks * fs.bsize) / GiB)
    const free = Math.min(total, Math.floor((fs.bavail * fs.bsize) / GiB))
    return { total, free }
  }

  private async copyInto(src: string, dst: string, length: number): Promise<void> {
    const part = `${dst}.part`
    try {
      if (!(await systemCopy(src, part))) {
        try {
          await copyFile(src, part, constants.COPYFILE_FICLONE_FORCE)
        } catch {
          await sparseCopy(src, part)
        }
      }
      await truncate(part, Math.max(length, (await stat(part)).size))
      await rename(part, dst)
    } catch (e) {
      await rm(part, { force: true })
      throw e
    }
  }
}

/** Copies block by block; blocks of zeros are left as holes. */
async function sparseCopy(src: string, dst: string): Promise<void> {
  const input = await open(src, 'r')
  const output = await open(dst, 'w')
  try {
    const size = (await input.stat()).size
    await output.truncate(size)
    const buf = Buffer.alloc(BLOCK)
    for (let pos = 0; pos < size; pos += BLOCK) {
      const { bytesRead } = await input.read(buf, 0, Math.min(BLOCK, size - pos), pos)
      if (bytesRead === 0) break
      const chunk = buf.subarray(0, bytesRead)
      if (!isZero(chunk)) await output.write(chunk, 0, bytesRead, pos)
    }
    await output.sync()
  } finally {
    await input.close()
    await output.close()
  }
}

const ZEROS = Buffer.alloc(BLOCK)

function isZero(buf: Buffer): boolean {
  return buf.equals(ZEROS.subarray(0, buf.length))
}

/**
 * GNU cp: a reflink where the file system has them, else a copy that finds the data
 * with SEEK_DATA/SEEK_HOLE and keeps holes (a 1 GiB empty volume copies in
 * milliseconds); false when cp is not there or failed.
 */
async function systemCopy(src: string, dst: string): Promise<boolean> {
  try {
    await run('cp', ['--reflink=auto', '--sparse=always', '--', src, dst])
    return true
  } catch {
    await rm(dst, { force: true })
    return false
  }
}
