/**
 * Placement as the host sees it: config sections, migrations, factory.
 */
import type { ServiceModule } from '../../kernel/service.js'
import { type PlacementConfig, placementConfig } from './config.js'
import { createPlacementService, type PlacementInstance } from './service.js'
import { placementMigrations } from './storage/migrations/0001-initial.js'
import type { PlacementDatabase } from './storage/schema.js'

export const placementModule: ServiceModule<PlacementConfig, PlacementDatabase, PlacementInstance> = {
  name: 'placement',
  serviceType: 'placement',
  prefix: '/placement',
  configSchema: placementConfig,
  migrations: placementMigrations,
  databaseSection: 'placement_database',
  create: (deps) => createPlacementService(deps),
}
