/**
 * The image service as the host sees it: Glance's config sections, its migrations, and
 * the factory. Its database is `[database] connection` (no section of its own), by
 * default `<data-dir>/image.db`.
 */
import type { ServiceModule } from '../../kernel/service.js'
import { imageConfig } from './config.js'
import { createImageService, type ImageInstance, type ImageServiceConfig } from './service.js'
import { migrations } from './storage/migrations/index.js'
import type { ImageDatabase } from './storage/schema.js'

export const imageModule: ServiceModule<ImageServiceConfig, ImageDatabase, ImageInstance> = {
  name: 'image',
  serviceType: 'image',
  prefix: '/image',
  configSchema: imageConfig,
  migrations,
  create: (deps) => createImageService(deps),
}
