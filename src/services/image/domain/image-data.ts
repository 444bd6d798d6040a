/**
 * Image data: upload (PUT /file, to the default store or the one X-Image-Meta-Store
 * names), download (GET /file, with ranges, from the first location), staging, the
 * write every import ends in (imports.ts), and crash recovery.
 *
 * An upload is a small state machine guarded by compare-and-swap on the image row:
 *
 *   queued ──CAS(token)──▶ saving ──stream+hash──▶ temp file ──rename──▶ CAS(token): active
 *     ▲                       │ any failure: temp removed, CAS(token) back to queued
 *     └───────────────────────┘
 *
 * The rename happens before the final CAS commits; if the process dies in between, the
 * image is still `saving`, and `recover()` at the next start puts it back to `queued`
 * and removes the file, so no image is ever active without its verified data.
 */
import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { RequestContext } from '../../../kernel/auth/index.js'
import { NotFound } from '../../../kernel/errors/index.js'
import {
  ImageConflict,
  ImageForbidden,
  ImageTooLarge,
  InvalidImageInput,
  QuotaExceeded,
  RangeNotSatisfiable,
} from '../errors.js'
import type { FileStore, WrittenData } from '../files/file-store.js'
import type { ImageCache } from '../files/image-cache.js'
import type { HttpReader, StoreSet } from '../files/store-set.js'
import { IMAGE_POLICIES as P } from '../policies/images.js'
import type { Image, ImageStatus, ImageTask } from './image.js'
import { type ImageCatalog, isAdmin } from './images.js'
import { mebibytes } from './quotas.js'

export interface DataLimits {
  sizeCap: number
  /** Bytes per project (user_storage_quota or image_size_total); -1 unlimited. */
  bytesLimit: number
  importMethods: readonly string[]
  /** This API process's host: its transfers' tokens and temp files carry it. */
  host: string
}

/** Where work that outlives its request runs (the module's task group). */
export interface Background {
  spawn(name: string, fn: () => Promise<void>): Promise<void>
}

export interface Download {
  image: Image
  /** Absent when the image has no data (204). */
  stream?: Readable
  range?: { start: number; end: number }
}

export class ImageData {
  constructor(
    private readonly catalog: ImageCatalog,
    readonly stores: StoreSet,
    readonly staging: FileStore,
    private readonly limits: DataLimits,
    private readonly log: { warn(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void },
    private readonly cache: ImageCache | undefined,
    /** Reads http locations (the read-only http store), through the guarded fetch. */
    readonly http?: HttpReader,
  ) {}

  /** Uploads and staging writes in flight, so that close() can wait for their cleanup. */
  private readonly writing = new Set<Promise<unknown>>()

  /** Waits until every upload in flight has finished or cleaned up after itself. */
  async drain(): Promise<void> {
    while (this.writing.size > 0) await Promise.allSettled([...this.writing])
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.writing.add(work)
    void work.then(
      () => this.writing.delete(work),
      () => this.writing.delete(work),
    )
    return work
  }

  get repo() {
    return this.catalog.repo
  }

  private get taskRepo() {
    return this.catalog.repos.tasks
  }

  /** PUT /v2/images/{id}/file: streams the body into the store and activates the image. */
  async upload(
    ctx: RequestContext,
    id: string,
    body: Readable,
    contentLength: number | undefined,
    storeId?: string,
  ): Promise<void> {
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.UPLOAD, target, id)
    const store = this.writableStore(storeId)
    if (image.status !== 'queued') {
      throw new ImageConflict(
        `Image status transition from ${image.status} to saving is not allowed`,
        'image.image.invalid_status',
      )
    }
    const quotas = this.unified
    await quotas?.enforce(image.owner, { image_size_total: mebibytes(contentLength) })
    const maxBytes = await this.maxBytes(image, contentLength)
    const token = this.newToken()
    if (!(await this.repo.transition(id, ['queued'], 'saving', { upload_token: token }))) {
      throw new ImageConflict(
        `Image status transition from ${image.status} to saving is not allowed`,
        'image.image.invalid_status',
      )
    }
    // The image counts as uploading from here: image_count_uploading is checked now.
    await this.track(
      this.countUploading(image, 'saving', token).then(() =>
        this.writeAndActivate(image, 'saving', token, body, maxBytes, contentLength, 'queued', store),
      ),
    )
  }

  /**
   * A transfer token, `<host>~<uuid>`: recovery at a restart touches only this host's
   * transfers, so API processes sharing the stores do not undo each other's.
   */
  newToken(): string {
    return `${this.limits.host}~${randomUUID()}`
  }

  get host(): string {
    return this.limits.host
  }

  private owns(token: string | null): boolean {
    return token === null || !token.includes('~') || token.startsWith(`${this.limits.host}~`)
  }

  get sizeCap(): number {
    return this.limits.sizeCap
  }

  /** A store data may be written to (X-Image-Meta-Store, an import's stores): 400 otherwise. */
  writableStore(id: string | undefined): string {
    if (id === undefined) return this.stores.defaultId
    if (!this.stores.has(id)) throw new InvalidImageInput(`Store ${id} is not available.`)
    if (!this.stores.file(id)) throw new InvalidImageInput(`Store ${id} is read-only.`)
    return id
  }

  /** The unified-limit quotas when `use_keystone_limits` is on. */
  get unified() {
    const q = this.catalog.quotas
    return q?.enabled ? q : undefined
  }

  /**
   * image_count_uploading, checked once this image counts (as Glance): over the limit,
   * the image goes back to queued and the request gets 413.
   */
  async countUploading(image: Image, from: ImageStatus, token: string): Promise<void> {
    try {
      await this.unified?.enforce(image.owner, { image_count_uploading: 0 })
    } catch (e) {
      await this.repo.transition(image.id, [from], 'queued', { upload_token: null }, token).catch(() => {})
      throw e
    }
  }

  /**
   * The bytes limit the final commit checks (config quotas only): what the project may
   * store, less what its other images have staged.
   */
  private async commitLimit(image: Image): Promise<number> {
    if (this.unified || this.limits.bytesLimit < 0 || !image.owner) return -1
    return Math.max(0, this.limits.bytesLimit - (await this.repo.stagedBytes(image.owner, image.id)))
  }

  /** The most an upload may carry: the size cap, and what is left of the owner's quota. */
  async maxBytes(image: Image, contentLength: number | undefined, ownStagedCounted = false): Promise<number> {
    let max = this.limits.sizeCap
    let quotaLeft = Number.POSITIVE_INFINITY
    // NOTE: staged data counts against the config quota too, or a project could park
    // any amount of it in staging (issue 11: 12 x 9 MiB under a 10 MiB quota).
    if (this.limits.bytesLimit >= 0 && image.owner && !this.unified) {
      // An import's own staged data becomes its stored data: not counted twice.
      const staged = await this.repo.stagedBytes(image.owner, ownStagedCounted ? image.id : undefined)
      const used = (await this.repo.usage(image.owner)).bytes + staged
      quotaLeft = Math.max(0, this.limits.bytesLimit - used)
    }
    if (contentLength !== undefined) {
      if (contentLength > this.limits.sizeCap)
        throw new ImageTooLarge(`Image exceeds the maximum size of ${this.limits.sizeCap} bytes`)
      if (contentLength > quotaLeft) throw this.quotaError(contentLength, quotaLeft)
    }
    max = Math.min(max, quotaLeft)
    return max
  }

  quotaError(size: number, left: number): QuotaExceeded {
    return new QuotaExceeded(
      `Denying attempt to upload image because it exceeds the quota: The size of the data ${size} will exceed the limit. ${left} bytes remaining.`,
    )
  }

  /**
   * Streams into `target`'s temp file, then commits: rename, then the CAS to active.
   * On any failure the temp file is removed and the image returns to `back`.
   */
  async writeAndActivate(
    image: Image,
    from: ImageStatus,
    token: string,
    body: Readable,
    maxBytes: number,
    contentLength: number | undefined,
    back: ImageStatus,
    storeId: string,
  ): Promise<void> {
    let written: WrittenData | undefined
    const store = this.stores.file(storeId)!
    try {
      written = await store.write(image.id, token, body, {
        maxBytes,
        expectedSize: contentLength,
        tooLarge: () =>
          maxBytes < this.limits.sizeCap
            ? this.quotaError(maxBytes + 1, maxBytes)
            : new ImageTooLarge(`Image exceeds the maximum size of ${this.limits.sizeCap} bytes`),
      })
      const location = await store.commit(written)
      const outcome = await this.repo.finalizeData(
        image.id,
        image.owner,
        from,
        token,
        {
          size: written.size,
          checksum: written.checksum,
          os_hash_algo: 'sha512',
          os_hash_value: written.os_hash_value,
          locations: [{ url: location, metadata: { store: storeId } }],
        },
        await this.commitLimit(image),
      )
      if (outcome !== 'ok') {
        await store.remove(location)
        if (outcome === 'quota') throw this.quotaError(written.size, 0)
        throw new ImageConflict(
          `Image ${image.id} was deleted or changed during the upload.`,
          'image.image.gone',
        )
      }
    } catch (e) {
      if (written) await store.discard(written)
      await this.repo.transition(image.id, [from], back, { upload_token: null }, token).catch((err) => {
        this.log.warn({ err, image_id: image.id }, 'could not restore image status after a failed upload')
      })
      throw e
    }
  }

  /** GET /v2/images/{id}/file. */
  async download(ctx: RequestContext, id: string, rangeHeader: string | undefined): Promise<Download> {
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.DOWNLOAD, target, id)
    if (image.status === 'deactivated' && !isAdmin(ctx)) {
      throw new ImageForbidden('The requested image has been deactivated. Image data download is forbidden.')
    }
    if (
      (image.status !== 'active' && image.status !== 'deactivated') ||
      !image.location ||
      image.size === null
    ) {
      return { image }
    }
    const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, image.size)
    const cached = await this.cache?.open(image.id, range)
    return { image, stream: cached ?? (await this.stores.read(image.location, this.http, range)), range }
  }

  /** PUT /v2/images/{id}/stage: data for a later glance-direct import. */
  async stage(
    ctx: RequestContext,
    id: string,
    body: Readable,
    contentLength: number | undefined,
  ): Promise<void> {
    if (!this.limits.importMethods.includes('glance-direct'))
      throw new InvalidImageInput('glance-direct import method is not enabled')
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.UPLOAD, target, id)
    if (image.status !== 'queued') {
      throw new ImageConflict(
        `Image status transition from ${image.status} to uploading is not allowed`,
        'image.image.invalid_status',
      )
    }
    await this.unified?.enforce(image.owner, { image_stage_total: mebibytes(contentLength) })
    const maxBytes = await this.maxBytes(image, contentLength)
    const token = this.newToken()
    if (!(await this.repo.transition(id, ['queued'], 'uploading', { upload_token: token }))) {
      throw new ImageConflict(
        `Image status transition from ${image.status} to uploading is not allowed`,
        'image.image.invalid_status',
      )
    }
    await this.track(
      this.countUploading(image, 'uploading', token).then(() =>
        this.writeStaged(image, token, body, maxBytes, contentLength),
      ),
    )
  }

  /**
   * Streams staged data into place and records its size (staged data counts against
   * the quotas); on any failure the image returns to `queued`.
   */
  private async writeStaged(
    image: Image,
    token: string,
    body: Readable,
    maxBytes: number,
    contentLength: number | undefined,
  ): Promise<void> {
    const id = image.id
    let written: WrittenData | undefined
    let committed = false
    try {
      written = await this.staging.write(id, token, body, {
        maxBytes,
        expectedSize: contentLength,
        tooLarge: () =>
          maxBytes < this.limits.sizeCap
            ? this.quotaError(maxBytes + 1, maxBytes)
            : new ImageTooLarge(`Image exceeds the maximum size of ${this.limits.sizeCap} bytes`),
      })
      await this.staging.commit(written)
      committed = true
      // The image stays `uploading`, now with staged data (its size counted as staged)
      // and no upload in flight.
      const size = written.size
      if (
        !(await this.repo.transition(id, ['uploading'], 'uploading', { upload_token: null, size }, token))
      ) {
        await this.staging.remove(this.staging.locationOf(id))
        throw new ImageConflict(`Image ${id} was deleted or changed during staging.`, 'image.image.gone')
      }
      await this.recheckStaged(image, size)
    } catch (e) {
      if (written && !committed) await this.staging.discard(written)
      await this.repo
        .transition(id, ['uploading'], 'queued', { upload_token: null, size: null }, token)
        .catch(() => {})
      throw e
    }
  }

  /**
   * Config quotas: once staged data is counted, stored plus staged must still fit (two
   * stages racing may both have started within it); otherwise the staged data goes.
   */
  private async recheckStaged(image: Image, size: number): Promise<void> {
    if (this.unified || this.limits.bytesLimit < 0 || !image.owner) return
    const used = (await this.repo.usage(image.owner)).bytes + (await this.repo.stagedBytes(image.owner))
    if (used <= this.limits.bytesLimit) return
    await this.staging.remove(this.staging.locationOf(image.id))
    await this.repo.transition(image.id, ['uploading'], 'queued', { size: null })
    throw this.quotaError(size, Math.max(0, this.limits.bytesLimit - (used - size)))
  }

  /**
   * DELETE /v2/stores/{store}/{image}: removes the image's data from one store; the last
   * location may not go (Glance: 409), nor an image that is not active.
   */
  async deleteFromStore(ctx: RequestContext, storeId: string, id: string): Promise<void> {
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.DELETE_FROM_STORE, target, id)
    if (!this.stores.has(storeId)) throw new InvalidImageInput(`Unknown store ${storeId}.`)
    if (image.status !== 'active')
      throw new ImageConflict(
        `It's not allowed to delete image data from a store when the image is ${image.status}.`,
        'image.store.invalid_status',
      )
    const here = image.locations.filter((l) => l.metadata.store === storeId)
    if (here.length === 0) throw new NotFound(`Image ${id} has no data in store ${storeId}`)
    const kept = image.locations.filter((l) => l.metadata.store !== storeId)
    if (kept.length === 0)
      throw new ImageConflict('Cannot delete the last location of an image.', 'image.store.last')
    if (!(await this.repo.swapLocations(image, kept)))
      throw new ImageConflict(`Image ${id} changed during the request.`, 'image.store.race')
    for (const l of here) await this.stores.remove(l.url).catch(() => {})
  }

  async tasks(ctx: RequestContext, id: string): Promise<ImageTask[]> {
    const { target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.GET, target, id)
    return this.taskRepo.tasksOf(id)
  }

  /** DELETE's data side: removes stored and staged data of a deleted image. */
  async removeData(image: Image): Promise<void> {
    for (const l of image.locations) await this.stores.remove(l.url).catch(() => {})
    await this.cache?.remove(image.id).catch(() => {})
    await this.staging.remove(this.staging.locationOf(image.id)).catch(() => {})
  }

  /**
   * Start-up: imports that were running when the process died are over. Their tasks
   * fail with the reason; images lose the import lock, and the stores still to do are
   * named in os_glance_failed_import. Returns the images touched.
   */
  private async releaseImportLocks(): Promise<string[]> {
    const touched: string[] = []
    for (const task of await this.taskRepo.unfinished(this.limits.host)) {
      await this.taskRepo.updateTask(task.id, 'failure', 'The import was interrupted by a restart.', null)
      const image = await this.repo.get(task.image_id)
      if (!image || image.properties.os_glance_import_task !== task.id) continue
      const left = image.properties.os_glance_importing_to_stores ?? ''
      const failed = [image.properties.os_glance_failed_import, left].filter((s) => s).join(',')
      await this.repo.update(
        image.id,
        {
          core: {},
          setProps: { os_glance_importing_to_stores: '', os_glance_failed_import: failed },
          removeProps: ['os_glance_import_task'],
        },
        new Date().toISOString(),
      )
      touched.push(image.id)
    }
    return touched
  }

  /**
   * Run at start, before serving: puts images stuck mid-transfer back where a client can
   * retry, and removes every file no live image owns.
   */
  async recover(): Promise<{ reset: string[]; removed: string[] }> {
    const reset: string[] = []
    for (const image of await this.repo.inStatus(['saving', 'importing', 'uploading'])) {
      if (!this.owns(image.upload_token)) continue
      const stagedOk = await this.staging.exists(this.staging.locationOf(image.id))
      if (image.status === 'uploading' && image.upload_token === null && stagedOk) continue
      const to: ImageStatus = image.status === 'importing' && stagedOk ? 'uploading' : 'queued'
      await this.repo.transition(image.id, [image.status], to, {
        upload_token: null,
        location: null,
        ...(to === 'queued' ? { size: null } : {}),
      })
      reset.push(image.id)
    }
    reset.push(...(await this.releaseImportLocks()))
    const live = await this.repo.liveLocations()
    const mine = (temp: string) => this.owns(temp.slice(temp.indexOf('.') + 1))
    const removed = await this.stores.sweep(live, mine)
    const stagedLive = new Set<string>()
    for (const image of await this.repo.inStatus(['uploading']))
      stagedLive.add(this.staging.locationOf(image.id))
    removed.push(...(await this.staging.sweep(stagedLive, mine)))
    if (reset.length > 0 || removed.length > 0) this.log.info({ reset, removed }, 'image data recovery')
    return { reset, removed }
  }
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, inclusive; 416 otherwise. */
export function parseRange(header: string, size: number): { start: number; end: number } {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header)
  if (!m || (m[1] === '' && m[2] === '')) throw new RangeNotSatisfiable()
  let start: number
  let end: number
  if (m[1] === '') {
    const n = Number(m[2])
    if (n === 0) throw new RangeNotSatisfiable()
    start = Math.max(0, size - n)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  }
  if (start > end || start >= size) throw new RangeNotSatisfiable()
  return { start, end }
}
