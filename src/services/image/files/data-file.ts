/**
 * The file an upload's bytes go to: positional writes, then one `finish` that sets the
 * length, flushes to disk and closes.
 *
 * Opened with O_DIRECT where the filesystem takes it, so image data goes from the
 * upload's ring straight to the disk instead of through the page cache: an image is
 * written once and rarely read back soon, and on this kind of host (a VM whose free
 * memory is reclaimed by the hypervisor) every fresh page-cache page costs as much
 * kernel time as the copy itself. Direct writes need the memory, the file offset and
 * the length aligned (DIRECT_ALIGN covers 512-byte and 4 KiB sector disks); the ring
 * provides aligned slots (`alignIn`), and the last, partial write is padded here
 * and cut back by `finish`. Where the filesystem refuses O_DIRECT, or no aligned
 * offset exists, the same writes go through the page cache.
 */
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'

export const DIRECT_ALIGN = 4096

export interface DataFile {
  /** True when writes bypass the page cache. */
  readonly direct: boolean
  /**
   * Writes `data` at `position`. On a direct file, `data` must start at an aligned
   * address (see `alignIn`), `position` must be aligned, and only the last write
   * may have an unaligned length: it is padded with zeros up to DIRECT_ALIGN, so
   * `data.buffer` must have room for the padding.
   */
  write(data: Uint8Array, position: number): Promise<void>
  /** Sets the length to `size`, flushes data and metadata to disk, and closes. */
  finish(size: number): Promise<void>
  /** Closes without flushing (the caller removes the file). */
  close(): Promise<void>
  /**
   * Where in `ring` (zeroed, with DIRECT_ALIGN bytes to spare at its end) the writer's
   * slots must start for direct writes to be accepted; 0 for a buffered file.
   */
  alignIn(ring: Uint8Array): Promise<number>
}

/** Opens a new file (it must not exist) for an upload. */
export type DataFileOpener = (path: string) => Promise<DataFile>

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL
// NOTE: O_DIRECT is undefined off Linux; there every file is opened buffered.
const O_DIRECT = constants.O_DIRECT ?? 0

export const openDataFile: DataFileOpener = async (path) => {
  if (O_DIRECT !== 0) {
    try {
      return new LocalDataFile(path, await open(path, CREATE | O_DIRECT, 0o600), true)
    } catch (e) {
      // EINVAL: this filesystem does not do direct I/O; anything else is a real error.
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e
    }
  }
  return new LocalDataFile(path, await open(path, CREATE, 0o600), false)
}

/** Opens a file that always goes through the page cache. */
export const openBufferedDataFile: DataFileOpener = async (path) =>
  new LocalDataFile(path, await open(path, CREATE, 0o600), false)

class LocalDataFile implements DataFile {
  constructor(
    private readonly path: string,
    private fh: FileHandle,
    public direct: boolean,
  ) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    let length = data.length
    if (this.direct && length % DIRECT_ALIGN !== 0) {
      length = Math.ceil(length / DIRECT_ALIGN) * DIRECT_ALIGN
      const room = data.buffer.byteLength - data.byteOffset
      if (room < length) throw new Error('no room to pad the last direct write')
      // NOTE: zero the padding: it lands past the end until `finish` cuts it, and must
      // not carry whatever the ring held before.
      new Uint8Array(data.buffer, data.byteOffset + data.length, length - data.length).fill(0)
    }
    const view = new Uint8Array(data.buffer, data.byteOffset, length)
    let done = 0
    while (done < length) {
      const { bytesWritten } = await this.fh.write(view, done, length - done, position + done)
      done += bytesWritten
    }
  }

  async finish(size: number): Promise<void> {
    try {
      // NOTE: also cuts the padding of a last direct write and the alignment probe's
      // block (alignIn) when the data is shorter.
      await this.fh.truncate(size)
      await this.fh.sync()
    } finally {
      await this.fh.close()
    }
  }

  async close(): Promise<void> {
    await this.fh.close()
  }

  /**
   * Tries one aligned block at each candidate offset of `ring`, written at position 0
   * of this file (the upload overwrites or cuts it), and keeps the first the kernel
   * takes. Allocators hand out 8- or 16-byte aligned memory and large blocks page
   * aligned, so the first try usually succeeds. If none does, the file is reopened
   * without O_DIRECT.
   */
  async alignIn(ring: Uint8Array): Promise<number> {
    if (!this.direct) return 0
    for (let k = 0; k < DIRECT_ALIGN; k += 8) {
      try {
        await this.fh.write(ring, k, DIRECT_ALIGN, 0)
        return k
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e
      }
    }
    await this.fh.close()
    this.fh = await open(this.path, constants.O_WRONLY)
    this.direct = false
    return 0
  }
}
