/**
 * The directory backup driver (upstream's posix driver, `backup_posix_path`): a backup
 * is a folder `<dir>/<container>/<backup id>/` of 1 MiB chunk files named by offset
 * and a `manifest.json` that maps every chunk of the volume to the backup holding its
 * bytes (null for a chunk of zeros, which is never stored). A full backup stores every
 * chunk that is not zeros; an incremental stores only the chunks whose sha256 differs
 * from its parent's manifest and points at the parent's files for the rest, so a
 * restore reads each chunk from the backup that holds it. Files are written as `.part`
 * and renamed; the manifest comes last, so a backup without one never completed.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

export const CHUNK = 1024 * 1024

export interface ChunkRef {
  /** The backup whose folder holds the chunk. */
  backup: string
  container: string
  sha256: string
}

export interface Manifest {
  backup: string
  container: string
  parent: string | null
  /** The volume's length in bytes when it was read. */
  length: number
  /** By chunk index; null is a chunk of zeros. */
  chunks: (ChunkRef | null)[]
  /** Chunks this backup stored itself. */
  stored: number
}

/** What one read of the volume takes: several chunks, so reads are fewer and larger. */
const READ = 4 * CHUNK
/** Chunk files being written at once (the libuv pool has 4 threads by default). */
const WRITES_IN_FLIGHT = 8

const ZEROS = Buffer.alloc(CHUNK)
/** A chunk of zeros (a hole, most of a new volume): compared as memory, not byte by byte. */
const isZero = (b: Buffer) => b.equals(b.length === CHUNK ? ZEROS : ZEROS.subarray(0, b.length))

export class BackupDriver {
  constructor(readonly dir: string) {}

  private folder(container: string, backup: string): string {
    return join(this.dir, BackupDriver.containerDir(container), backup)
  }

  /**
   * Reads `volumePath` and stores what `parent` does not already hold. The volume is
   * read 4 chunks at a time with the next read already under way while these are
   * hashed, and up to WRITES_IN_FLIGHT chunk files are being written (each flushed to
   * disk before its rename), so reading, hashing and writing overlap.
   */
  async backup(volumePath: string, backup: string, container: string, parent?: Manifest): Promise<Manifest> {
    const folder = this.folder(container, backup)
    await mkdir(folder, { recursive: true })
    const fh = await open(volumePath, 'r')
    const chunks: (ChunkRef | null)[] = []
    let stored = 0
    let length = 0
    const writes = new Set<Promise<void>>()
    let failed: unknown
    try {
      length = (await fh.stat()).size
      const readAt = (pos: number) => {
        const buf = Buffer.allocUnsafe(READ)
        return fh.read(buf, 0, Math.min(READ, length - pos), pos).then((r) => buf.subarray(0, r.bytesRead))
      }
      let next = length > 0 ? readAt(0) : undefined
      for (let pos = 0; next; pos += READ) {
        const data = await next
        next = pos + READ < length && data.length > 0 ? readAt(pos + READ) : undefined
        for (let off = 0; off < data.length; off += CHUNK) {
          const i = (pos + off) / CHUNK
          const chunk = data.subarray(off, off + CHUNK)
          if (isZero(chunk)) {
            chunks[i] = null
            continue
          }
          const sha256 = createHash('sha256').update(chunk).digest('hex')
          const prior = parent?.chunks[i]
          if (prior && prior.sha256 === sha256) {
            chunks[i] = prior
            continue
          }
          chunks[i] = { backup, container, sha256 }
          stored++
          const write: Promise<void> = writeDurably(join(folder, `chunk-${i}`), chunk).then(
            () => void writes.delete(write),
            (e: unknown) => {
              failed ??= e
              writes.delete(write)
            },
          )
          writes.add(write)
          if (writes.size >= WRITES_IN_FLIGHT) await Promise.race(writes)
          if (failed) throw failed
        }
        if (data.length === 0) break
      }
      await Promise.all(writes)
      if (failed) throw failed
    } finally {
      await Promise.allSettled(writes)
      await fh.close()
    }
    const manifest: Manifest = { backup, container, parent: parent?.backup ?? null, length, chunks, stored }
    await writeDurably(join(folder, 'manifest.json'), Buffer.from(JSON.stringify(manifest)))
    return manifest
  }

  async manifest(container: string, backup: string): Promise<Manifest> {
    return JSON.parse(
      await readFile(join(this.folder(container, backup), 'manifest.json'), 'utf8'),
    ) as Manifest
  }

  /**
   * Writes the backup's bytes into `targetPath` (a volume's file of at least the backup's
   * length), every chunk checked against its sha256; chunks of zeros become zeros (left
   * as holes when the target is a new, empty volume). Up to WRITES_IN_FLIGHT chunks are
   * read, checked and written at once (positional writes: their order does not matter);
   * the file is flushed to disk before it counts as restored.
   */
  async restore(manifest: Manifest, targetPath: string, fresh = false): Promise<void> {
    const fh = await open(targetPath, 'r+')
    try {
      const zeros = Buffer.alloc(CHUNK)
      let next = 0
      let stop = false
      const worker = async () => {
        for (let i = next++; i < manifest.chunks.length && !stop; i = next++) {
          const ref = manifest.chunks[i]
          const at = i * CHUNK
          const len = Math.min(CHUNK, manifest.length - at)
          if (!ref) {
            if (!fresh) await fh.write(zeros, 0, len, at)
            continue
          }
          const data = await readFile(join(this.folder(ref.container, ref.backup), `chunk-${i}`))
          if (createHash('sha256').update(data).digest('hex') !== ref.sha256) {
            stop = true
            throw new Error(`chunk ${i} of backup ${ref.backup} does not match its checksum`)
          }
          await fh.write(data, 0, data.length, at)
        }
      }
      const results = await Promise.allSettled(Array.from({ length: WRITES_IN_FLIGHT }, worker))
      const failed = results.find((r) => r.status === 'rejected')
      if (failed) throw (failed as PromiseRejectedResult).reason
      await fh.datasync()
    } finally {
      await fh.close()
    }
  }

  async delete(container: string, backup: string): Promise<void> {
    await rm(this.folder(container, backup), { recursive: true, force: true })
  }

  /**
   * Backup folders no row owns (`owned`: container and data id pairs, as
   * `<container>/<id>`), and unfinished `.part` files: removed after a restart.
   */
  async sweep(owned: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = []
    let containers: string[]
    try {
      containers = await readdir(this.dir)
    } catch {
      return removed
    }
    for (const c of containers) {
      const cdir = join(this.dir, c)
      if (!(await stat(cdir)).isDirectory()) continue
      for (const b of await readdir(cdir)) {
        const folder = join(cdir, b)
        if (!owned.has(`${c}/${b}`)) {
          await rm(folder, { recursive: true, force: true })
          removed.push(`${c}/${b}`)
          continue
        }
        for (const f of await readdir(folder).catch(() => [] as string[]))
          if (f.endsWith('.part')) {
            await rm(join(folder, f), { force: true })
            removed.push(`${c}/${b}/${f}`)
          }
      }
    }
    return removed
  }

  /** The folder name a container is stored under. */
  static containerDir(container: string): string {
    return container.replace(/[^A-Za-z0-9._-]/g, '_')
  }
}

/** Writes `data` as `<path>.part`, flushes it to disk and renames it to `path`. */
async function writeDurably(path: string, data: Buffer): Promise<void> {
  const fh = await open(`${path}.part`, 'w')
  try {
    await fh.write(data, 0, data.length, 0)
    await fh.datasync()
  } finally {
    await fh.close()
  }
  await rename(`${path}.part`, path)
}
