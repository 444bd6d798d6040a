/**
 * The image-cache API (/v2/cache, Glance API v2.14): admins queue active images for
 * caching, list what is cached and queued, and remove entries. Without
 * `[DEFAULT] image_cache_dir` the API answers 404, as Glance.
 */
import type { RequestContext } from '../../../kernel/auth/index.js'
import { CacheNotEnabled, ImageNotFound, InvalidImageInput } from '../errors.js'
import type { ImageCache } from '../files/image-cache.js'
import { CACHE_POLICIES as P } from '../policies/cache.js'
import { forbidden } from '../policies/index.js'
import { isUuidLike } from '../schemas/image.js'
import type { ImageCatalog } from './images.js'

export class CacheManager {
  constructor(
    private readonly catalog: ImageCatalog,
    private readonly cache: ImageCache | undefined,
  ) {}

  /** cache_list is the route's (its target is the caller's project). */
  async list() {
    return this.cache_().list()
  }

  async queue(ctx: RequestContext, id: string): Promise<void> {
    const image = isUuidLike(id) ? await this.catalog.repo.get(id) : undefined
    if (!image) throw new ImageNotFound(id)
    const cache = this.enabled(ctx, P.CACHE_IMAGE, image.owner)
    if (image.status !== 'active')
      throw new InvalidImageInput('Only images with status active can be targeted for queueing')
    await cache.queue(image.id)
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    const image = isUuidLike(id) ? await this.catalog.repo.get(id) : undefined
    const cache = this.enabled(ctx, P.CACHE_DELETE, image?.owner)
    if (!image) {
      const { cached_images, queued_images } = await cache.list()
      if (!queued_images.includes(id) && !cached_images.some((c) => c.image_id === id))
        throw new ImageNotFound(id)
    }
    await cache.remove(id)
  }

  /**
   * DELETE /v2/cache with `x-image-cache-clear-target: cache | queue | ''`; cache_delete
   * is the route's.
   */
  async clear(target: string): Promise<void> {
    const cache = this.cache_()
    const t = target.toLowerCase()
    if (t !== '' && t !== 'cache' && t !== 'queue')
      throw new InvalidImageInput(
        "If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.",
      )
    if (t !== 'queue') await cache.clearCache()
    if (t !== 'cache') await cache.clearQueue()
  }

  /** The policy rule against the image's owner, then the cache (404 when not configured). */
  private enabled(ctx: RequestContext, rule: string, owner: string | null | undefined): ImageCache {
    if (!ctx.allows(rule, { project_id: owner ?? ctx.who.project_id })) throw forbidden(rule)
    return this.cache_()
  }

  private cache_(): ImageCache {
    if (!this.cache) throw new CacheNotEnabled()
    return this.cache
  }
}
