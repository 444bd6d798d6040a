/**
 * The image-cache API (/v2/cache, Glance API v2.14): admins queue active images for
 * caching, list what is cached and queued, and remove entries. Without
 * `[DEFAULT] image_cache_dir` the API answers 404, as Glance.
 */
import type { RequestContext } from '../../../kernel/auth/index.js'
import { CacheNotEnabled, ImageForbidden, ImageNotFound, InvalidImageInput } from '../errors.js'
import { CACHE_POLICIES as P } from '../policies/cache.js'
import { isUuidLike } from '../schemas/image.js'
import type { ImageCache } from '../store/image-cache.js'
import type { ImageCatalog } from './images.js'

export class CacheManager {
  constructor(
    private readonly catalog: ImageCatalog,
    private readonly cache: ImageCache | undefined,
  ) {}

  async list(ctx: RequestContext) {
    return this.enabled(ctx, P.CACHE_LIST).list()
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

  /** DELETE /v2/cache with `x-image-cache-clear-target: cache | queue | ''`. */
  async clear(ctx: RequestContext, target: string): Promise<void> {
    const cache = this.enabled(ctx, P.CACHE_DELETE)
    const t = target.toLowerCase()
    if (t !== '' && t !== 'cache' && t !== 'queue')
      throw new InvalidImageInput(
        "If provided 'x-image-cache-clear-target' must be 'cache', 'queue' or empty string.",
      )
    if (t !== 'queue') await cache.clearCache()
    if (t !== 'cache') await cache.clearQueue()
  }

  private enabled(ctx: RequestContext, rule: string, owner?: string | null): ImageCache {
    if (!ctx.allows(rule, { project_id: owner ?? ctx.who.project_id }))
      throw new ImageForbidden(`You are not authorized to complete ${rule} action.`)
    if (!this.cache) throw new CacheNotEnabled()
    return this.cache
  }
}
