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
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
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

const ZEROS = Buffer.alloc(CHUNK)
/** A chunk of zeros (a hole, most of a new volume): compared as memory, not byte by byte. */
const isZero = (b: Buffer) => b.equals(b.length === CHUNK ? ZEROS : ZEROS.subarray(0, b.length))

export class BackupDriver {
  constructor(readonly dir: string) {}

  private folder(container: string, backup: string): string {
    return join(this.dir, container.replace(/[^A-Za-z0-9._-]/g, '_'), backup)
  }

  /** Reads `volumePath` and stores what `parent` does not already hold. */
  async backup(volumePath: string, backup: string, container: string, parent?: Manifest): Promise<Manifest> {
    const folder = this.folder(container, backup)
    await mkdir(folder, { recursive: true })
    const fh = await open(volumePath, 'r')
    const chunks: (ChunkRef | null)[] = []
    let stored = 0
    let length = 0
    try {
      length = (await fh.stat()).size
      const buf = Buffer.alloc(CHUNK)
      for (let i = 0; i * CHUNK < length; i++) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, i * CHUNK)
        const data = buf.subarray(0, bytesRead)
        if (isZero(data)) {
          chunks.push(null)
          continue
        }
        const sha256 = createHash('sha256').update(data).digest('hex')
        const prior = parent?.chunks[i]
        if (prior && prior.sha256 === sha256) {
          chunks.push(prior)
          continue
        }
        const file = join(folder, `chunk-${i}`)
        await writeFile(`${file}.part`, data)
        await rename(`${file}.part`, file)
        chunks.push({ backup, container, sha256 })
        stored++
      }
    } finally {
      await fh.close()
    }
    const manifest: Manifest = { backup, container, parent: parent?.backup ?? null, length, chunks, stored }
    const path = join(folder, 'manifest.json')
    await writeFile(`${path}.part`, JSON.stringify(manifest))
    await rename(`${path}.part`, path)
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
   * as holes when the target is a new, empty volume).
   */
  async restore(manifest: Manifest, targetPath: string, fresh = false): Promise<void> {
    const fh = await open(targetPath, 'r+')
    try {
      const zeros = Buffer.alloc(CHUNK)
      for (let i = 0; i < manifest.chunks.length; i++) {
        const ref = manifest.chunks[i]
        const at = i * CHUNK
        const len = Math.min(CHUNK, manifest.length - at)
        if (!ref) {
          if (!fresh) await fh.write(zeros, 0, len, at)
          continue
        }
        const data = await readFile(join(this.folder(ref.container, ref.backup), `chunk-${i}`))
        if (createHash('sha256').update(data).digest('hex') !== ref.sha256)
          throw new Error(`chunk ${i} of backup ${ref.backup} does not match its checksum`)
        await fh.write(data, 0, data.length, at)
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
  }

  async delete(container: string, backup: string): Promise<void> {
    await rm(this.folder(container, backup), { recursive: true, force: true })
  }
}
