/**
 * Interoperable import (POST /v2/images/{id}/import), as Glance presents it:
 *
 *   glance-direct   staged data ─┐
 *   web-download    a URL ───────┼─▶ first store (stream + md5/sha512, size cap and quota
 *   glance-download another      │    while streaming) ─CAS▶ active
 *                   region's image┘        │
 *   copy-image      (image already active) ┴─▶ each further store: a streamed copy whose
 *                                             sha512 must match, then one more location
 *
 * The request is judged at once (400/403/409); the work runs on the task group after
 * the 202, as one task (GET /v2/images/{id}/tasks, /v2/tasks). While it runs the image
 * carries os_glance_import_task (the lock), os_glance_importing_to_stores (stores left)
 * and os_glance_failed_import (stores that failed). A failure before the image is active
 * puts it back (queued, or uploading with its staged data) with nothing left in any
 * store; with all_stores_must_succeed (the default) a failed further store undoes the
 * copies this import made.
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { RequestContext } from '../../../kernel/auth/index.js'
import { ImageConflict, ImageTooLarge, InvalidImageInput } from '../errors.js'
import { FetchRefused, type GuardedFetch } from '../files/web-fetch.js'
import { IMAGE_POLICIES as P } from '../policies/images.js'
import { isUuidLike } from '../schemas/image.js'
import type { Image, ImageLocation, ImageStatus, ImageTask } from './image.js'
import type { Background, ImageData } from './image-data.js'
import type { ImageCatalog } from './images.js'

/** An import request, as the import schema accepted it (the rest is judged here). */
export interface ImportRequest {
  method: {
    name: string
    uri?: unknown
    glance_image_id?: unknown
    glance_region?: unknown
    glance_service_interface?: unknown
  }
  stores?: unknown
  all_stores?: unknown
  all_stores_must_succeed?: unknown
}

/** Finds another (or this) region's image service for glance-download, as the caller. */
export interface RemoteImageService {
  /** The image endpoint of `region` and `iface` in the caller's catalog, or undefined. */
  endpoint(token: string, region: string, iface: string): Promise<string | undefined>
}

export interface ImportOptions {
  methods: readonly string[]
  /** glance-download's copied properties; a name ending in `_` or `:` is a prefix. */
  extraProperties: readonly string[]
}

interface Plan {
  method: string
  stores: string[]
  mustSucceed: boolean
  /** Where the data comes from, for the methods that bring data. */
  open?: (image: Image) => Promise<{ body: Readable; length: number | undefined }>
  /** The status the image holds while importing, and goes back to on failure. */
  from: ImageStatus
  back: ImageStatus
}

export class ImageImports {
  constructor(
    private readonly catalog: ImageCatalog,
    private readonly data: ImageData,
    private readonly opts: ImportOptions,
    private readonly fetcher: GuardedFetch,
    private readonly remote: RemoteImageService | undefined,
    private readonly log: { warn(obj: unknown, msg: string): void },
    private readonly background: Background,
  ) {}

  private get repo() {
    return this.catalog.repo
  }

  async start(
    ctx: RequestContext,
    id: string,
    b: ImportRequest,
    requestId: string,
  ): Promise<{ done: Promise<void> }> {
    const { image, target, admin } = await this.catalog.visible(ctx, id)
    const method = b.method.name
    this.catalog.authorize(ctx, P.MODIFY, target, id)
    if (method === 'copy-image') this.catalog.authorize(ctx, P.COPY_IMAGE, target, id)
    if (!this.opts.methods.includes(method))
      throw new InvalidImageInput(`Import method ${method} is not valid.`)
    const stores = this.targetStores(b, image, method)
    const plan = this.plan(ctx, image, b, method, stores, admin)
    if (image.properties.os_glance_import_task)
      throw new ImageConflict(
        `Image ${id} has active task ${image.properties.os_glance_import_task}`,
        'image.import.busy',
      )
    await this.data.unified?.enforce(image.owner, { image_size_total: 0 })
    const token = this.data.newToken()
    // The token holds the image while it imports (copy-image leaves an active image as it is).
    if (
      method !== 'copy-image' &&
      !(await this.repo.transition(id, [plan.from], 'importing', { upload_token: token }))
    )
      throw this.wrongStatus(method, image.status)
    const at = new Date().toISOString()
    const task: ImageTask = {
      id: randomUUID(),
      image_id: id,
      type: 'api_image_import',
      status: 'processing',
      owner: ctx.who.project_id ?? null,
      user_id: ctx.who.user_id,
      request_id: requestId,
      input: { image_id: id, import_req: b as unknown as Record<string, unknown>, backend: stores },
      result: null,
      message: '',
      created_at: at,
      updated_at: at,
      expires_at: null,
    }
    await this.catalog.repos.tasks.createTask(task, this.data.host)
    await this.setProps(id, {
      os_glance_import_task: task.id,
      os_glance_importing_to_stores: stores.join(','),
      os_glance_failed_import: '',
    })
    const done = this.background.spawn(`import ${id}`, () => this.run(image, token, task.id, plan))
    return { done }
  }

  /** The stores asked for (`stores` or `all_stores`), each existing and writable. */
  private targetStores(b: ImportRequest, image: Image, method: string): string[] {
    if (b.all_stores !== undefined && typeof b.all_stores !== 'boolean')
      throw new InvalidImageInput('all_stores must be a boolean')
    if (b.all_stores_must_succeed !== undefined && typeof b.all_stores_must_succeed !== 'boolean')
      throw new InvalidImageInput('all_stores_must_succeed must be a boolean')
    if (b.all_stores === true && b.stores !== undefined)
      throw new InvalidImageInput(
        "All_stores parameter can't be used with x-image-meta-store header or stores parameter",
      )
    const present = new Set(image.locations.map((l) => l.metadata.store).filter((s) => typeof s === 'string'))
    let stores: string[]
    if (b.all_stores === true) stores = this.data.stores.writable
    else if (b.stores !== undefined) {
      if (!Array.isArray(b.stores) || b.stores.some((s) => typeof s !== 'string'))
        throw new InvalidImageInput('stores must be a list of store names')
      stores = (b.stores as string[]).map((s) => this.data.writableStore(s))
    } else if (method === 'copy-image') throw new InvalidImageInput('copy-image needs stores or all_stores')
    else stores = [this.data.stores.defaultId]
    stores = [...new Set(stores)]
    if (method === 'copy-image') {
      stores = stores.filter((s) => !present.has(s))
      if (stores.length === 0)
        throw new ImageConflict(
          `Image ${image.id} is already in every store asked for`,
          'image.import.nothing',
        )
    }
    return stores
  }

  private plan(
    ctx: RequestContext,
    image: Image,
    b: ImportRequest,
    method: string,
    stores: string[],
    _admin: boolean,
  ): Plan {
    const mustSucceed = b.all_stores_must_succeed !== false
    switch (method) {
      case 'glance-direct':
        if (image.status !== 'uploading' || image.upload_token !== null)
          throw new ImageConflict(
            "Image needs to be staged before 'glance-direct' method can be used",
            'image.import.not_staged',
          )
        return {
          method,
          stores,
          mustSucceed,
          from: 'uploading',
          back: 'uploading',
          open: async () => ({
            body: this.data.staging.read(this.data.staging.locationOf(image.id)),
            length: undefined,
          }),
        }
      case 'web-download': {
        const uri = b.method.uri
        if (typeof uri !== 'string' || uri === '')
          throw new InvalidImageInput('web-download needs method.uri')
        this.precheckUrl(uri)
        this.mustBeQueued(image, method)
        return {
          method,
          stores,
          mustSucceed,
          from: 'queued',
          back: 'queued',
          open: async () => {
            const res = await this.fetcher.get(uri)
            return { body: res.body, length: res.length }
          },
        }
      }
      case 'glance-download': {
        const { glance_image_id: gid, glance_region: region, glance_service_interface: iface } = b.method
        if (typeof gid !== 'string' || !isUuidLike(gid))
          throw new InvalidImageInput(`Remote image id does not look like a UUID: ${String(gid)}`)
        if (typeof region !== 'string' || region === '')
          throw new InvalidImageInput('glance-download needs method.glance_region')
        const token = ctx.token
        if (!token || !this.remote)
          throw new InvalidImageInput('glance-download needs a token and an identity service')
        this.mustBeQueued(image, method)
        return {
          method,
          stores,
          mustSucceed,
          from: 'queued',
          back: 'queued',
          open: (img) =>
            this.openRemote(img, token, gid, region, typeof iface === 'string' ? iface : 'public'),
        }
      }
      case 'copy-image':
        if (image.status !== 'active')
          throw new ImageConflict(
            `Image ${image.id} is ${image.status}; copy-image needs an active image`,
            'image.import.not_active',
          )
        return { method, stores, mustSucceed, from: 'active', back: 'active' }
      default:
        throw new InvalidImageInput(`Import method ${method} is not valid.`)
    }
  }

  /** The scheme/host/port filters at once (400, as Glance); addresses are judged in the task. */
  private precheckUrl(uri: string): void {
    let url: URL
    try {
      url = new URL(uri)
    } catch {
      throw new InvalidImageInput(`URI for web-download does not pass filtering: ${uri}`)
    }
    const scheme = url.protocol.replace(/:$/, '')
    if (scheme !== 'http' && scheme !== 'https')
      throw new InvalidImageInput(`URI for web-download does not pass filtering: scheme ${scheme}`)
    try {
      this.fetcher.checkStatic(url)
    } catch (e) {
      if (e instanceof FetchRefused)
        throw new InvalidImageInput(`URI for web-download does not pass filtering: ${e.message}`)
      throw e
    }
  }

  private mustBeQueued(image: Image, method: string): void {
    if (image.status !== 'queued') throw this.wrongStatus(method, image.status)
  }

  private wrongStatus(method: string, status: string): ImageConflict {
    return new ImageConflict(
      method === 'glance-direct'
        ? "Image needs to be staged before 'glance-direct' method can be used"
        : `Image status ${status} does not allow the ${method} import method (needs queued).`,
      'image.import.invalid_status',
    )
  }

  /** The work after the 202: the first store (if data comes in), then further copies. */
  private async run(image: Image, token: string, taskId: string, plan: Plan): Promise<void> {
    const tasks = this.catalog.repos.tasks
    const left = [...plan.stores]
    const failed: string[] = []
    const made: string[] = []
    try {
      if (plan.open) {
        const first = left[0]!
        await this.importFirst(image, token, plan, first)
        left.shift()
        made.push(first)
        await this.setProps(image.id, { os_glance_importing_to_stores: left.join(',') })
      }
      while (left.length > 0) {
        const store = left[0]!
        try {
          await this.copyTo(image.id, store)
          made.push(store)
        } catch (err) {
          this.log.warn({ err, image_id: image.id, store }, 'image copy to a store failed')
          failed.push(store)
          if (plan.mustSucceed) throw err
        } finally {
          left.shift()
          await this.setProps(image.id, {
            os_glance_importing_to_stores: left.join(','),
            os_glance_failed_import: failed.join(','),
          })
        }
      }
      if (plan.method === 'glance-direct')
        await this.data.staging.remove(this.data.staging.locationOf(image.id)).catch(() => {})
      await this.setProps(image.id, {}, ['os_glance_import_task'])
      await tasks.updateTask(
        taskId,
        failed.length > 0 ? 'failure' : 'success',
        failed.length > 0 ? `Failed stores: ${failed.join(',')}` : '',
        {
          image_id: image.id,
          ...(failed.length > 0 ? { failed_stores: failed } : {}),
        },
      )
    } catch (err) {
      this.log.warn({ err, image_id: image.id, method: plan.method }, 'image import failed')
      const message = String((err as Error)?.message ?? err)
      await this.undo(image, plan, made).catch((e) =>
        this.log.warn({ err: e, image_id: image.id }, 'import undo failed'),
      )
      await this.setProps(
        image.id,
        {
          os_glance_importing_to_stores: '',
          os_glance_failed_import: [...failed, ...left.filter((s) => !failed.includes(s))].join(','),
        },
        ['os_glance_import_task'],
      ).catch(() => {})
      await tasks.updateTask(taskId, 'failure', message, null).catch(() => {})
    }
  }

  /** The first store: the data streams in, is hashed and capped, and the image turns active. */
  private async importFirst(image: Image, token: string, plan: Plan, store: string): Promise<void> {
    let body: Readable | undefined
    try {
      const src = await plan.open!(image)
      body = src.body
      const fresh = (await this.repo.get(image.id)) ?? image
      const cap = this.data.sizeCap
      if (src.length !== undefined && src.length > cap)
        throw new ImageTooLarge(`Image exceeds the maximum size of ${cap} bytes`)
      const maxBytes = await this.data.maxBytes(fresh, src.length, true)
      await this.data.writeAndActivate(
        fresh,
        'importing',
        token,
        body,
        maxBytes,
        src.length,
        plan.back,
        store,
      )
    } catch (e) {
      body?.destroy()
      // writeAndActivate puts the image back itself; a failure before it did not start.
      await this.repo
        .transition(image.id, ['importing'], plan.back, { upload_token: null }, token)
        .catch(() => {})
      throw e
    }
  }

  /** A streamed copy of the image's first file location into `storeId`, verified by sha512. */
  private async copyTo(id: string, storeId: string): Promise<void> {
    const image = await this.repo.get(id)
    if (image?.status !== 'active' || !image.location) throw new Error(`Image ${id} is not active`)
    const store = this.data.stores.file(storeId)!
    const source = image.locations.find((l) => this.data.stores.owner(l.url)) ?? image.locations[0]!
    const body = await this.data.stores.read(source.url, this.data.http)
    const written = await store.write(id, this.data.newToken(), body, {
      maxBytes: image.size ?? Number.MAX_SAFE_INTEGER,
      expectedSize: image.size ?? undefined,
    })
    if (image.os_hash_value && written.os_hash_value !== image.os_hash_value) {
      await store.discard(written)
      throw new Error(`The copy of ${id} in ${storeId} does not match its sha512`)
    }
    const url = await store.commit(written)
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await this.repo.get(id)
      if (now?.status !== 'active') break
      const next: ImageLocation[] = [
        ...now.locations.filter((l) => l.url !== url),
        { url, metadata: { store: storeId } },
      ]
      if (await this.repo.swapLocations(now, next)) return
    }
    await store.remove(url)
    throw new Error(`Image ${id} changed or went away during the copy to ${storeId}`)
  }

  /** Undoes what a failed import made: its copies, and for a data import the image's data. */
  private async undo(image: Image, plan: Plan, made: string[]): Promise<void> {
    if (made.length === 0) return
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = await this.repo.get(image.id)
      if (!now) return
      const gone = now.locations.filter((l) => made.includes(String(l.metadata.store)))
      const kept = now.locations.filter((l) => !gone.includes(l))
      const reset = plan.open !== undefined && kept.length === 0
      const extra = reset
        ? {
            size: plan.method === 'glance-direct' ? now.size : null,
            checksum: null,
            os_hash_algo: null,
            os_hash_value: null,
            status: plan.back,
          }
        : {}
      const bytes = reset && now.size !== null ? -now.size : 0
      if (await this.repo.swapLocations(now, kept, extra as never, bytes)) {
        for (const l of gone) await this.data.stores.remove(l.url).catch(() => {})
        return
      }
    }
  }

  /** glance-download's source: the remote image's record (its properties copied here), then its data. */
  private async openRemote(
    image: Image,
    token: string,
    gid: string,
    region: string,
    iface: string,
  ): Promise<{ body: Readable; length: number | undefined }> {
    const base = await this.remote!.endpoint(token, region, iface)
    if (!base) throw new Error(`No image service with interface ${iface} in region ${region}`)
    const root = base.replace(/\/$/, '')
    const headers = { 'x-auth-token': token }
    const meta = await fetch(`${root}/v2/images/${gid}`, { headers })
    if (!meta.ok) throw new Error(`Remote image ${gid} could not be read: HTTP ${meta.status}`)
    const remote = (await meta.json()) as Record<string, unknown>
    if (remote.status !== 'active')
      throw new Error(`Remote image ${gid} is ${String(remote.status)}, not active`)
    const copied: Record<string, string> = {}
    for (const [k, v] of Object.entries(remote)) {
      if (typeof v !== 'string') continue
      if (this.opts.extraProperties.some((p) => (/[_:]$/.test(p) ? k.startsWith(p) : k === p))) copied[k] = v
    }
    const core: Record<string, string> = {}
    for (const k of ['disk_format', 'container_format'] as const)
      if (typeof remote[k] === 'string') core[k] = remote[k] as string
    await this.repo.update(image.id, { core, setProps: copied, removeProps: [] }, new Date().toISOString())
    const file = await fetch(`${root}/v2/images/${gid}/file`, { headers })
    if (!file.ok || !file.body)
      throw new Error(`Remote image ${gid} data could not be read: HTTP ${file.status}`)
    const len = file.headers.get('content-length')
    return {
      body: Readable.fromWeb(file.body as import('node:stream/web').ReadableStream<Uint8Array>),
      length: len === null ? undefined : Number(len),
    }
  }

  private async setProps(id: string, set: Record<string, string>, remove: string[] = []): Promise<void> {
    await this.repo.update(id, { core: {}, setProps: set, removeProps: remove }, new Date().toISOString())
  }
}
