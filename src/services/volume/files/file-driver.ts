/**
 * The file backend: every volume and snapshot is a sparse raw file in one directory
 * (`volume-<id>`, `snapshot-<id>`). Creating a volume sets the file's length without
 * writing (a hole); copies (clone, create from snapshot, snapshot, revert) try a
 * reflink first and otherwise copy in the kernel (copy_file_range) only the source's
 * data, keeping its holes (GNU cp does both when it is installed; else a block copy that
 * skips blocks of zeros). An image's bytes are streamed into the file, never held whole
 * in memory. Every copy writes a `.part` file, flushes it to disk (as upstream's dd with
 * fdatasync) and renames it into place, so a crash never leaves a half-written volume
 * under a volume's name; `sweep()` removes what a crash left.
 */

import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  statfs,
  truncate,
} from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const GiB = 1024 ** 3
const BLOCK = 1024 * 1024
/** Writes of an image's stream: large enough that a write is not one syscall per 64 KiB. */
const WRITE_BLOCK = 4 * BLOCK

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

  /**
   * A new volume of `sizeGb` GiB that starts with `data` (an image's bytes, streamed):
   * written in 4 MiB blocks, one block filling while the previous one is written; blocks
   * of zeros stay holes. Data longer than the volume fails the create. The file is
   * opened with O_DIRECT where the file system takes it: the bytes go from the block to
   * the disk, not through fresh page-cache pages, which on this kind of VM cost as much
   * kernel time as the copy (docs/benchmarks-volume.md).
   */
  async createWith(id: string, data: AsyncIterable<Buffer | Uint8Array>, sizeGb: number): Promise<void> {
    const part = `${this.volumePath(id)}.part`
    const limit = sizeGb * GiB
    const out = await openForBlocks(part, 2 * WRITE_BLOCK)
    try {
      await out.fh.truncate(limit)
      const blocks = [out.memory.subarray(0, WRITE_BLOCK), out.memory.subarray(WRITE_BLOCK, 2 * WRITE_BLOCK)]
      let current = 0
      let fill = 0
      let pos = 0
      let writing: Promise<unknown> = Promise.resolve()
      const flush = async () => {
        // NOTE: a direct write's length must be aligned: the last, short block is padded
        // with zeros, which is what the volume holds there anyway (its size is whole GiB).
        const length = out.direct ? Math.ceil(fill / DIRECT_ALIGN) * DIRECT_ALIGN : fill
        const block = blocks[current]!
        block.fill(0, fill, length)
        const at = pos
        // NOTE: the other block may still be in a write; it is reused only after it.
        await writing
        writing = isZero(block.subarray(0, fill))
          ? Promise.resolve()
          : writeAll(out.fh, block.subarray(0, length), at)
        pos += fill
        fill = 0
        current ^= 1
      }
      for await (const chunk of data) {
        if (pos + fill + chunk.length > limit)
          throw new Error(`the data is larger than the volume (${sizeGb} GiB)`)
        let at = 0
        while (at < chunk.length) {
          const n = Math.min(chunk.length - at, WRITE_BLOCK - fill)
          blocks[current]!.set(chunk.subarray(at, at + n), fill)
          fill += n
          at += n
          if (fill === WRITE_BLOCK) await flush()
        }
      }
      if (fill) await flush()
      await writing
      await out.fh.datasync()
    } catch (e) {
      await out.fh.close().catch(() => undefined)
      await rm(part, { force: true })
      throw e
    }
    await out.fh.close()
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
  async sweep(known: {
    volumes: ReadonlySet<string>
    snapshots: ReadonlySet<string>
    /** Files unmanaged by an admin: left in place. */
    keep?: ReadonlySet<string>
  }): Promise<string[]> {
    const removed: string[] = []
    for (const name of await readdir(this.dir)) {
      const m = /^(volume|snapshot)-(.+?)(\.part)?$/.exec(name)
      if (!m || (!m[3] && known.keep?.has(name))) continue
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

  /** The sizes (provisioned) and the allocated blocks (used) of the files here, in GiB. */
  async usage(): Promise<{ provisionedGb: number; usedGb: number }> {
    let provisioned = 0
    let used = 0
    for (const name of await readdir(this.dir)) {
      if (!/^(volume|snapshot)-/.test(name)) continue
      const st = await stat(join(this.dir, name)).catch(() => undefined)
      if (!st?.isFile()) continue
      if (!name.endsWith('.part')) provisioned += st.size
      used += st.blocks * 512
    }
    return { provisionedGb: Math.ceil(provisioned / GiB), usedGb: used / GiB }
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
      await flushToDisk(part)
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

const ZEROS = Buffer.alloc(WRITE_BLOCK)

function isZero(buf: Buffer): boolean {
  return buf.equals(ZEROS.subarray(0, buf.length))
}

/** Direct I/O needs memory, offsets and lengths aligned to this (512 B and 4 KiB sectors). */
const DIRECT_ALIGN = 4096
// NOTE: undefined off Linux; there every file is opened buffered.
const O_DIRECT = constants.O_DIRECT ?? 0

/**
 * A new file and `size` bytes of memory to write it from: opened with O_DIRECT where
 * the file system takes it, the memory then placed at an address the kernel accepts
 * for direct writes (found by writing one zeroed block at each candidate offset, as
 * allocators give 8- or 16-byte aligned memory); else a buffered file.
 */
async function openForBlocks(
  path: string,
  size: number,
): Promise<{ fh: FileHandle; memory: Buffer; direct: boolean }> {
  const raw = Buffer.alloc(size + DIRECT_ALIGN)
  const create = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC
  if (O_DIRECT !== 0) {
    let fh: FileHandle | undefined
    try {
      fh = await open(path, create | O_DIRECT, 0o644)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e
    }
    if (fh) {
      for (let k = 0; k < DIRECT_ALIGN; k += 8) {
        try {
          await fh.write(raw, k, DIRECT_ALIGN, 0)
          return { fh, memory: raw.subarray(k, k + size), direct: true }
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EINVAL') {
            await fh.close()
            throw e
          }
        }
      }
      await fh.close()
    }
  }
  return { fh: await open(path, create, 0o644), memory: raw.subarray(0, size), direct: false }
}

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done)
    done += bytesWritten
  }
}

/** The copy's data on disk before it takes a volume's name (cheap after a reflink). */
async function flushToDisk(path: string): Promise<void> {
  const fh = await open(path, 'r+')
  try {
    await fh.datasync()
  } finally {
    await fh.close()
  }
}

/**
 * GNU cp: a reflink where the file system has them, else copy_file_range over the
 * data it finds with SEEK_DATA/SEEK_HOLE, keeping holes (a 1 GiB empty volume copies in
 * milliseconds). NOTE: not `--sparse=always`, which reads every byte in user space to
 * find zeros and is slower for a volume full of data. False when cp is not there or failed.
 */
async function systemCopy(src: string, dst: string): Promise<boolean> {
  try {
    await run('cp', ['--reflink=auto', '--', src, dst])
    return true
  } catch {
    await rm(dst, { force: true })
    return false
  }
}
