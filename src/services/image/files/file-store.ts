/**
 * Image data on local disk: one directory per store (the image store, and the staging
 * area for glance-direct imports). Data is streamed into a ring (upload-ring.ts) that
 * hashes it (md5 and sha512 on two worker threads) and writes it, in parallel, into a
 * temporary file under `<dir>/.tmp/` (directly, bypassing the page cache, where the
 * filesystem allows: data-file.ts); the file is flushed to disk, and renamed into place
 * only when the caller commits; a crash leaves at most a temp file, which `sweep`
 * removes at start.
 *
 * The file opener is injectable so tests can simulate a full disk.
 */

import { createReadStream, mkdirSync } from 'node:fs'
import { readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ImageTooLarge, StoreFull, UploadFailed } from '../errors.js'
import { type DataFile, type DataFileOpener, openDataFile } from './data-file.js'
import { type RingResult, UploadRing } from './upload-ring.js'

export interface WrittenData {
  tempPath: string
  finalPath: string
  size: number
  checksum: string
  os_hash_algo: 'sha512'
  os_hash_value: string
}

export interface WriteLimits {
  /** Largest number of bytes accepted; more fails with `tooLarge`. */
  maxBytes: number
  /** The error raised when the data grows past `maxBytes`. */
  tooLarge?: () => Error
  /** The number of bytes the client announced (Content-Length), checked at the end. */
  expectedSize?: number
}

/**
 * The end of an upload's pipeline: counts the bytes, fails past the size limit, and
 * feeds the ring (upload-ring.ts), which hashes and writes them. The ring's backpressure
 * holds the write callback, and so the socket.
 */
class RingSink extends Writable {
  bytes = 0
  result: RingResult | undefined

  constructor(
    private readonly ring: UploadRing,
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {
    super({ highWaterMark: 1 << 16 })
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      done(this.tooLarge())
      return
    }
    const wait = this.ring.update(chunk)
    if (wait) wait.then(() => done(), done)
    else done()
  }

  override _final(done: (error?: Error | null) => void): void {
    this.ring.finish().then((r) => {
      this.result = r
      done()
    }, done)
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.ring.abort().then(() => cb(err))
  }
}

export class FileStore {
  readonly dir: string
  private readonly tmpDir: string

  constructor(
    dir: string,
    private readonly openFile: DataFileOpener = openDataFile,
  ) {
    this.dir = resolve(dir)
    this.tmpDir = join(this.dir, '.tmp')
    mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 })
  }

  /** The final path of an image's data in this store. */
  pathOf(imageId: string): string {
    return join(this.dir, imageId)
  }

  locationOf(imageId: string): string {
    return pathToFileURL(this.pathOf(imageId)).href
  }

  /** Streams `source` into a temp file while hashing it; nothing becomes visible yet. */
  async write(imageId: string, token: string, source: Readable, limits: WriteLimits): Promise<WrittenData> {
    const tempPath = join(this.tmpDir, `${imageId}.${token}`)
    const tooLarge =
      limits.tooLarge ??
      (() => new ImageTooLarge(`Image exceeds the storage quota: ${limits.maxBytes} bytes`))
    let file: DataFile | undefined
    try {
      file = await this.openFile(tempPath)
      const sink = new RingSink(await UploadRing.open(file), limits.maxBytes, tooLarge)
      await pipeline(source, sink)
      const written = sink.result!
      if (limits.expectedSize !== undefined && written.size !== limits.expectedSize) {
        throw new UploadFailed(
          `Size of the uploaded data (${written.size}) does not match the announced size (${limits.expectedSize}).`,
        )
      }
      // NOTE: flushed before the rename that makes it visible, so an activated image
      // never points at data still in a cache when the machine loses power.
      // finish() closes the file even when it fails, so the catch must not close it again.
      const f = file
      file = undefined
      await f.finish(written.size)
      return {
        tempPath,
        finalPath: this.pathOf(imageId),
        size: written.size,
        checksum: written.md5,
        os_hash_algo: 'sha512',
        os_hash_value: written.sha512,
      }
    } catch (e) {
      // The pipeline destroyed the sink, whose ring waited for its writes in flight.
      await file?.close().catch(() => {})
      await rm(tempPath, { force: true })
      throw translate(e)
    }
  }

  /** Makes written data the image's data (atomic rename). */
  async commit(data: WrittenData): Promise<string> {
    await rename(data.tempPath, data.finalPath)
    return pathToFileURL(data.finalPath).href
  }

  async discard(data: WrittenData): Promise<void> {
    await rm(data.tempPath, { force: true })
  }

  /** Reads data at a location of this store, optionally a byte range (inclusive). */
  read(location: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathFromLocation(location), { ...(range ?? {}), highWaterMark: 1 << 20 })
  }

  async exists(location: string): Promise<boolean> {
    try {
      await stat(this.pathFromLocation(location))
      return true
    } catch {
      return false
    }
  }

  async remove(location: string): Promise<void> {
    await rm(this.pathFromLocation(location), { force: true })
  }

  /**
   * Removes every temp file (of this process's host, when `ownsTemp` says which) and every
   * data file no live image points at. Run at start, before this process serves.
   */
  async sweep(
    live: ReadonlySet<string>,
    ownsTemp: (name: string) => boolean = () => true,
  ): Promise<string[]> {
    const removed: string[] = []
    for (const name of await readdir(this.tmpDir)) {
      // NOTE: another API process sharing this store may be writing its own temp files.
      if (!ownsTemp(name)) continue
      await rm(join(this.tmpDir, name), { force: true })
      removed.push(join(this.tmpDir, name))
    }
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue
      const path = join(this.dir, entry.name)
      if (!live.has(pathToFileURL(path).href)) {
        await rm(path, { force: true })
        removed.push(path)
      }
    }
    return removed
  }

  private pathFromLocation(location: string): string {
    const path = resolve(fileURLToPath(location))
    if (!path.startsWith(`${this.dir}/`)) throw new Error(`location outside the store: ${location}`)
    return path
  }
}

function translate(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreFull()
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error)?.message === 'aborted') {
    return new UploadFailed('The upload was interrupted before all data arrived.', { cause: e })
  }
  return e
}
