/**
 * Placement as the host sees it: config sections, migrations, roles, what it needs,
 * factory.
 */
import type { ServiceModule } from '../../kernel/host/index.js'
import { type PlacementConfig, placementConfig } from './config.js'
import { createPlacementService } from './service.js'
import { placementMigrations } from './storage/migrations/0001-initial.js'
import type { PlacementDatabase } from './storage/schema.js'

export const placementModule: ServiceModule<PlacementConfig, PlacementDatabase> = {
  name: 'placement',
  serviceType: 'placement',
  prefix: '/placement',
  configSchema: placementConfig,
  migrations: placementMigrations,
  databaseSection: 'placement_database',
  roles: ['api'],
  needs: ['tokens'],
  create: (ctx) => createPlacementService({ ...ctx, tokens: ctx.auth.tokens }),
}
