/** What every image handler is handed by the route table, and the handler type. */
import type { FastifyRequest } from 'fastify'
import type { RouteHandler } from '../../../kernel/http/index.js'
import type { CacheManager } from '../domain/cache.js'
import type { ImageData } from '../domain/image-data.js'
import type { ImageCatalog } from '../domain/images.js'
import type { ImageImports } from '../domain/imports.js'
import type { MetadefCatalog } from '../domain/metadefs.js'
import type { TaskCatalog } from '../domain/tasks.js'
import type { Formats } from '../schemas/image.js'
import type { ViewOptions } from './views.js'

export interface HandlerDeps {
  catalog: ImageCatalog
  metadefs: MetadefCatalog
  cache: CacheManager
  data: ImageData
  imports: ImageImports
  tasks: TaskCatalog
  view: ViewOptions
  formats: Formats
  importMethods: readonly string[]
  /** The service's public root, e.g. http://127.0.0.1:5000/image */
  baseUrl(req: FastifyRequest): string
}

export type Handler = RouteHandler<HandlerDeps>

/** The path parameters of a request (the route's path names them). */
export const params = (req: FastifyRequest) => req.params as Record<string, string>
