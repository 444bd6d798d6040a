/**
 * Image data: upload (PUT /file), download (GET /file, with ranges), staging and
 * glance-direct import, and crash recovery.
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
import { IMAGE_POLICIES as P } from '../policies/images.js'
import type { Image, ImageStatus, ImageTask } from './image.js'
import { type ImageCatalog, isAdmin } from './images.js'
import { mebibytes } from './quotas.js'

export interface DataLimits {
  sizeCap: number
  /** Bytes per project (user_storage_quota or image_size_total); -1 unlimited. */
  bytesLimit: number
  importMethods: readonly string[]
  storeId: string
}

/** A glance-direct import request, as the import schema accepted it. */
export interface ImportRequest {
  method: { name: string; uri?: unknown }
  stores?: unknown
  all_stores?: unknown
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
    private readonly store: FileStore,
    private readonly staging: FileStore,
    private readonly limits: DataLimits,
    private readonly log: { warn(obj: unknown, msg: string): void; info(obj: unknown, msg: string): void },
    private readonly cache: ImageCache | undefined,
    private readonly background: Background,
  ) {}

  /** Uploads and staging writes in flight, so that close() can wait for their cleanup. */
  private readonly writing = new Set<Promise<unknown>>()

  /** Waits until every upload in flight has finished or cleaned up after itself. */
  async drain(): Promise<void> {
    while (this.writing.size > 0) await Promise.allSettled([...this.writing])
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.writing.add(work)
    void work.then(
      () => this.writing.delete(work),
      () => this.writing.delete(work),
    )
    return work
  }

  private get repo() {
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
  ): Promise<void> {
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.UPLOAD, target, id)
    if (image.status !== 'queued') {
      throw new ImageConflict(
        `Image status transition from ${image.status} to saving is not allowed`,
        'image.image.invalid_status',
      )
    }
    const quotas = this.unified
    await quotas?.enforce(image.owner, { image_size_total: mebibytes(contentLength) })
    const maxBytes = await this.maxBytes(image, contentLength)
    const token = randomUUID()
    if (!(await this.repo.transition(id, ['queued'], 'saving', { upload_token: token }))) {
      throw new ImageConflict(
        `Image status transition from ${image.status} to saving is not allowed`,
        'image.image.invalid_status',
      )
    }
    // The image counts as uploading from here: image_count_uploading is checked now.
    await this.track(
      this.countUploading(image, 'saving', token).then(() =>
        this.writeAndActivate(image, 'saving', token, body, maxBytes, contentLength),
      ),
    )
  }

  /** The unified-limit quotas when `use_keystone_limits` is on. */
  private get unified() {
    const q = this.catalog.quotas
    return q?.enabled ? q : undefined
  }

  /**
   * image_count_uploading, checked once this image counts (as Glance): over the limit,
   * the image goes back to queued and the request gets 413.
   */
  private async countUploading(image: Image, from: ImageStatus, token: string): Promise<void> {
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
  private async maxBytes(image: Image, contentLength: number | undefined): Promise<number> {
    let max = this.limits.sizeCap
    let quotaLeft = Number.POSITIVE_INFINITY
    // NOTE: staged data counts against the config quota too, or a project could park
    // any amount of it in staging (issue 11: 12 x 9 MiB under a 10 MiB quota).
    if (this.limits.bytesLimit >= 0 && image.owner && !this.unified) {
      const used = (await this.repo.usage(image.owner)).bytes + (await this.repo.stagedBytes(image.owner))
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

  private quotaError(size: number, left: number): QuotaExceeded {
    return new QuotaExceeded(
      `Denying attempt to upload image because it exceeds the quota: The size of the data ${size} will exceed the limit. ${left} bytes remaining.`,
    )
  }

  /**
   * Streams into `target`'s temp file, then commits: rename, then the CAS to active.
   * On any failure the temp file is removed and the image returns to `back`.
   */
  private async writeAndActivate(
    image: Image,
    from: ImageStatus,
    token: string,
    body: Readable,
    maxBytes: number,
    contentLength: number | undefined,
    back: ImageStatus = 'queued',
  ): Promise<void> {
    let written: WrittenData | undefined
    try {
      written = await this.store.write(image.id, token, body, {
        maxBytes,
        expectedSize: contentLength,
        tooLarge: () =>
          maxBytes < this.limits.sizeCap
            ? this.quotaError(maxBytes + 1, maxBytes)
            : new ImageTooLarge(`Image exceeds the maximum size of ${this.limits.sizeCap} bytes`),
      })
      const location = await this.store.commit(written)
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
          location,
        },
        await this.commitLimit(image),
      )
      if (outcome !== 'ok') {
        await this.store.remove(location)
        if (outcome === 'quota') throw this.quotaError(written.size, 0)
        throw new ImageConflict(
          `Image ${image.id} was deleted or changed during the upload.`,
          'image.image.gone',
        )
      }
    } catch (e) {
      if (written) await this.store.discard(written)
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
    return { image, stream: cached ?? this.store.read(image.location, range), range }
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
    const token = randomUUID()
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

  /** POST /v2/images/{id}/import: starts the import; the work continues after 202. */
  async import(
    ctx: RequestContext,
    id: string,
    b: ImportRequest,
    requestId: string,
  ): Promise<{ done: Promise<void> }> {
    const { image, target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.MODIFY, target, id)
    const method = b.method.name
    if (!this.limits.importMethods.includes(method))
      throw new InvalidImageInput(`Import method ${method} is not valid.`)
    if (b.stores !== undefined) {
      if (!Array.isArray(b.stores) || b.stores.some((s) => s !== this.limits.storeId)) {
        throw new InvalidImageInput(
          `Unknown store in ${JSON.stringify(b.stores)}; available: ${this.limits.storeId}`,
        )
      }
    }
    await this.unified?.enforce(image.owner, { image_size_total: 0 })
    if (image.status !== 'uploading' || image.upload_token !== null) {
      throw new ImageConflict(
        "Image needs to be staged before 'glance-direct' method can be used",
        'image.import.not_staged',
      )
    }
    const token = randomUUID()
    if (!(await this.repo.transition(id, ['uploading'], 'importing', { upload_token: token }))) {
      throw new ImageConflict(
        "Image needs to be staged before 'glance-direct' method can be used",
        'image.import.not_staged',
      )
    }
    const at = new Date().toISOString()
    const task: ImageTask = {
      id: randomUUID(),
      image_id: id,
      type: 'api_image_import',
      status: 'processing',
      owner: ctx.who.project_id ?? null,
      user_id: ctx.who.user_id,
      request_id: requestId,
      input: {
        image_id: id,
        import_req: { method: { name: method }, ...(b.stores ? { stores: b.stores } : {}) },
        backend: [this.limits.storeId],
      },
      result: null,
      message: '',
      created_at: at,
      updated_at: at,
      expires_at: null,
    }
    await this.taskRepo.createTask(task)
    const done = this.background.spawn(`import ${id}`, () => this.runImport(image, token, task.id))
    return { done }
  }

  private async runImport(image: Image, token: string, taskId: string): Promise<void> {
    const staged = this.staging.locationOf(image.id)
    try {
      await this.writeAndActivate(
        image,
        'importing',
        token,
        this.staging.read(staged),
        this.limits.sizeCap,
        undefined,
        'uploading',
      )
      await this.staging.remove(staged)
      await this.taskRepo.updateTask(taskId, 'success', '', { image_id: image.id })
    } catch (err) {
      this.log.warn({ err, image_id: image.id }, 'image import failed')
      await this.taskRepo
        .updateTask(taskId, 'failure', String((err as Error).message ?? err), null)
        .catch(() => {})
    }
  }

  async tasks(ctx: RequestContext, id: string): Promise<ImageTask[]> {
    const { target } = await this.catalog.visible(ctx, id)
    this.catalog.authorize(ctx, P.GET, target, id)
    return this.taskRepo.tasksOf(id)
  }

  /** DELETE's data side: removes stored and staged data of a deleted image. */
  async removeData(image: Image): Promise<void> {
    if (image.location) await this.store.remove(image.location).catch(() => {})
    await this.cache?.remove(image.id).catch(() => {})
    await this.staging.remove(this.staging.locationOf(image.id)).catch(() => {})
  }

  /**
   * Run at start, before serving: puts images stuck mid-transfer back where a client can
   * retry, and removes every file no live image owns.
   */
  async recover(): Promise<{ reset: string[]; removed: string[] }> {
    const reset: string[] = []
    for (const image of await this.repo.inStatus(['saving', 'importing', 'uploading'])) {
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
    const live = await this.repo.liveLocations()
    const removed = await this.store.sweep(live)
    const stagedLive = new Set<string>()
    for (const image of await this.repo.inStatus(['uploading']))
      stagedLive.add(this.staging.locationOf(image.id))
    removed.push(...(await this.staging.sweep(stagedLive)))
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
