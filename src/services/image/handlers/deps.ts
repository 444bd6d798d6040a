/** What every image handler is built from. */
import type { FastifyRequest } from 'fastify'
import type { CacheManager } from '../domain/cache.js'
import type { ImageData } from '../domain/image-data.js'
import type { ImageCatalog } from '../domain/images.js'
import type { MetadefCatalog } from '../domain/metadefs.js'
import type { Formats } from '../schemas/image.js'
import type { ViewOptions } from './views.js'

export interface HandlerDeps {
  catalog: ImageCatalog
  metadefs: MetadefCatalog
  cache: CacheManager
  data: ImageData
  view: ViewOptions
  formats: Formats
  importMethods: readonly string[]
  /** The service's public root, e.g. http://127.0.0.1:5000/image */
  baseUrl(req: FastifyRequest): string
}
