/**
 * The local image cache (Glance's `image_cache_dir`): verified copies of active images'
 * data, filled in the background from the store when an admin queues an image
 * (PUT /v2/cache/{id}), and preferred by downloads.
 *
 * Layout: `<dir>/<image id>` is a cached copy, `<dir>/.tmp/` holds copies being written
 * (a FileStore, so they are hashed while written and renamed into place only when the
 * hash matches the image's os_hash_value), `<dir>/queue/<image id>` marks a queued image
 * and survives a restart. Hit counts and last access times are kept in memory. Fills
 * run as the module's background tasks, so the host's close waits for them.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { FileStore } from './file-store.js'

/** What the cache needs to know of an image to fill it. */
export interface CacheSource {
  status: string
  size: number | null
  os_hash_value: string | null
  open(): Readable | Promise<Readable>
}

export interface CachedImage {
  image_id: string
  hits: number
  last_accessed: number
  last_modified: number
  size: number
}

export class ImageCache {
  private readonly files: FileStore
  private readonly queueDir: string
  private readonly usage = new Map<string, { hits: number; last_accessed: number }>()
  private readonly running = new Map<string, Promise<void>>()

  constructor(
    dir: string,
    private readonly sourceOf: (imageId: string) => Promise<CacheSource | undefined>,
    private readonly log: { warn(obj: unknown, msg: string): void },
    private readonly background: { spawn(name: string, fn: () => Promise<void>): Promise<void> },
    /** image_cache_max_size: past it, the least recently used copies go (the pruner). */
    private readonly maxSize = Number.POSITIVE_INFINITY,
  ) {
    this.files = new FileStore(dir)
    this.queueDir = join(this.files.dir, 'queue')
    mkdirSync(this.queueDir, { recursive: true, mode: 0o700 })
  }

  /** At start: drops half-written copies and resumes the queue. */
  async start(): Promise<void> {
    await this.files.sweep(new Set((await this.cachedIds()).map((id) => this.files.locationOf(id))))
    for (const id of await readdir(this.queueDir)) this.fill(id)
  }

  async list(): Promise<{ cached_images: CachedImage[]; queued_images: string[] }> {
    const cached: CachedImage[] = []
    for (const id of await this.cachedIds()) {
      const st = await stat(this.files.pathOf(id)).catch(() => undefined)
      if (!st) continue
      const u = this.usage.get(id)
      cached.push({
        image_id: id,
        hits: u?.hits ?? 0,
        last_accessed: u?.last_accessed ?? st.mtimeMs / 1000,
        last_modified: st.mtimeMs / 1000,
        size: st.size,
      })
    }
    return { cached_images: cached, queued_images: await readdir(this.queueDir) }
  }

  /** Queues an image; its copy is made in the background. */
  async queue(imageId: string): Promise<void> {
    if (await this.isCached(imageId)) return
    await writeFile(join(this.queueDir, imageId), '')
    this.fill(imageId)
  }

  /** Waits for every copy in progress (tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.running.values()])
  }

  /** The cached copy of an image, counting a hit; undefined when not cached. */
  async open(imageId: string, range?: { start: number; end: number }): Promise<Readable | undefined> {
    if (!(await this.isCached(imageId))) return undefined
    const u = this.usage.get(imageId) ?? { hits: 0, last_accessed: 0 }
    this.usage.set(imageId, { hits: u.hits + 1, last_accessed: Date.now() / 1000 })
    return this.files.read(this.files.locationOf(imageId), range)
  }

  /** Removes an image from the cache and the queue. */
  async remove(imageId: string): Promise<void> {
    await rm(join(this.queueDir, imageId), { force: true })
    await this.files.remove(this.files.locationOf(imageId))
    this.usage.delete(imageId)
  }

  async clearCache(): Promise<number> {
    const ids = await this.cachedIds()
    for (const id of ids) {
      await this.files.remove(this.files.locationOf(id))
      this.usage.delete(id)
    }
    return ids.length
  }

  async clearQueue(): Promise<number> {
    const ids = await readdir(this.queueDir)
    for (const id of ids) await rm(join(this.queueDir, id), { force: true })
    return ids.length
  }

  private async isCached(imageId: string): Promise<boolean> {
    return this.files.exists(this.files.locationOf(imageId))
  }

  private async cachedIds(): Promise<string[]> {
    const entries = await readdir(this.files.dir, { withFileTypes: true })
    return entries.filter((e) => e.isFile()).map((e) => e.name)
  }

  /** Copies an image into the cache once, verifying its hash; always leaves the queue. */
  private fill(imageId: string): void {
    if (this.running.has(imageId)) return
    const job = this.background.spawn(`cache ${imageId}`, async () => {
      try {
        const src = await this.sourceOf(imageId)
        if (src?.status !== 'active' || src.size === null) return
        const written = await this.files.write(imageId, randomUUID(), await src.open(), {
          maxBytes: src.size,
        })
        if (written.size !== src.size || written.os_hash_value !== src.os_hash_value) {
          await this.files.discard(written)
          this.log.warn({ image_id: imageId }, 'image cache: data does not match the image hash; not cached')
          return
        }
        // Queued and then removed meanwhile: do not resurrect it.
        if (!(await stat(join(this.queueDir, imageId)).catch(() => undefined))) {
          await this.files.discard(written)
          return
        }
        await this.files.commit(written)
        await this.prune(imageId)
      } catch (err) {
        this.log.warn({ err, image_id: imageId }, 'image cache: prefetch failed')
      } finally {
        await rm(join(this.queueDir, imageId), { force: true }).catch(() => {})
        this.running.delete(imageId)
      }
    })
    this.running.set(imageId, job)
  }

  /**
   * Removes least recently used copies until the cache fits image_cache_max_size; the
   * copy just made goes last (a copy larger than the whole cache goes too).
   */
  async prune(keep?: string): Promise<string[]> {
    const { cached_images } = await this.list()
    let total = cached_images.reduce((n, c) => n + c.size, 0)
    const order = cached_images.sort(
      (a, b) =>
        Number(a.image_id === keep) - Number(b.image_id === keep) || a.last_accessed - b.last_accessed,
    )
    const removed: string[] = []
    for (const c of order) {
      if (total <= this.maxSize) break
      await this.files.remove(this.files.locationOf(c.image_id))
      this.usage.delete(c.image_id)
      total -= c.size
      removed.push(c.image_id)
    }
    return removed
  }

  /** The location a cached copy has (for logs and tests). */
  locationOf(imageId: string): string {
    return pathToFileURL(this.files.pathOf(imageId)).href
  }
}
