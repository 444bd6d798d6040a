/**
 * Block storage as the host sees it: Cinder's config sections, its migrations, its role
 * and the factory. Mounted at /volume; in the catalog as `block-storage` and, for
 * clients that still look it up by the older name, `volumev3`. Its database is
 * `[database] connection`, else `<data-dir>/volume.db`.
 */
import type { ServiceModule } from '../../kernel/host/index.js'
import { type VolumeConfig, volumeConfig } from './config.js'
import { volumeMigrations } from './storage/migrations/index.js'
import type { VolumeDatabase } from './storage/schema.js'

export const volumeModule: ServiceModule<VolumeConfig, VolumeDatabase> = {
  name: 'volume',
  serviceType: 'block-storage',
  extraServiceTypes: ['volumev3'],
  prefix: '/volume',
  catalogPath: '/v3',
  configSchema: volumeConfig,
  migrations: volumeMigrations,
  roles: ['api'],
  needs: ['tokens'],
  // NOTE: the service's code loads only in a process that runs it.
  create: async (ctx) => (await import('./service.js')).createVolumeService(ctx),
}
