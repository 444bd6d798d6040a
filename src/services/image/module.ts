/**
 * The image service as the host sees it: Glance's config sections, its migrations, its
 * roles, what it needs, and the factory. Its database is `[database] connection` (no
 * section of its own), by default `<data-dir>/image.db`.
 */
import type { ServiceModule } from '../../kernel/host/index.js'
import { type ImageServiceConfig, imageConfig } from './config.js'
import { createImageService } from './service.js'
import { migrations } from './storage/migrations/index.js'
import type { ImageDatabase } from './storage/schema.js'

export const imageModule: ServiceModule<ImageServiceConfig, ImageDatabase> = {
  name: 'image',
  serviceType: 'image',
  prefix: '/image',
  configSchema: imageConfig,
  migrations,
  roles: ['api'],
  needs: ['tokens'],
  create: (ctx) => createImageService(ctx),
}
