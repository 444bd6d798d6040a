/**
 * Image data on local disk: one directory per store (the image store, and the staging
 * area for glance-direct imports). Data is streamed through the hasher (md5 and sha512
 * on two worker threads, in parallel with the file writes) into a temporary
 * file under `<dir>/.tmp/`, flushed to disk, and renamed into place only when the
 * caller commits; a crash leaves at most a temp file, which `sweep` removes at start.
 *
 * The write stream is injectable so tests can simulate a full disk.
 */

import { createReadStream, createWriteStream, mkdirSync } from 'node:fs'
import { open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Readable, Transform, type TransformCallback, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ImageTooLarge, StoreFull, UploadFailed } from '../errors.js'
import { HashSession } from './hash-pool.js'

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

export type WriteStreamFactory = (path: string) => Writable

/**
 * Counts what flows through, failing past a size limit, and hashes it (md5 + sha512) on
 * the hashing threads (hash-pool.ts); chunks pass on to the writer unchanged while they
 * are hashed. The digests are ready once the stream has ended (`digests`).
 */
export class HashingCounter extends Transform {
  private readonly hashes = new HashSession()
  digests: { md5: string; sha512: string } | undefined
  bytes = 0

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {
    super({ highWaterMark: 1 << 20 })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.maxBytes) {
      done(this.tooLarge())
      return
    }
    const wait = this.hashes.update(chunk)
    if (wait) wait.then(() => done(null, chunk), done)
    else done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    this.hashes.digest().then((d) => {
      this.digests = d
      done()
    }, done)
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.hashes.abort()
    cb(err)
  }
}

export class FileStore {
  readonly dir: string
  private readonly tmpDir: string

  constructor(
    dir: string,
    private readonly makeWriteStream: WriteStreamFactory = (p) =>
      createWriteStream(p, { flags: 'wx', highWaterMark: 1 << 20 }),
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
    const hasher = new HashingCounter(limits.maxBytes, tooLarge)
    try {
      await pipeline(source, hasher, this.makeWriteStream(tempPath))
      if (limits.expectedSize !== undefined && hasher.bytes !== limits.expectedSize) {
        throw new UploadFailed(
          `Size of the uploaded data (${hasher.bytes}) does not match the announced size (${limits.expectedSize}).`,
        )
      }
      // NOTE: flush before the rename that makes it visible, so an activated image never
      // points at data still in the page cache when the machine loses power.
      const fh = await open(tempPath, 'r+')
      try {
        await fh.sync()
      } finally {
        await fh.close()
      }
    } catch (e) {
      await rm(tempPath, { force: true })
      throw translate(e)
    }
    return {
      tempPath,
      finalPath: this.pathOf(imageId),
      size: hasher.bytes,
      checksum: hasher.digests!.md5,
      os_hash_algo: 'sha512',
      os_hash_value: hasher.digests!.sha512,
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
   * Removes every temp file and every data file no live image points at. Run at start,
   * before serving: nothing is being written then.
   */
  async sweep(live: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = []
    for (const name of await readdir(this.tmpDir)) {
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
