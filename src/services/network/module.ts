/**
 * The network service as the host sees it: Neutron's config sections (ML2 and its type
 * drivers, quotas), the migrations, the API role, and the factory. Its database is
 * `[network_database] connection`, else `[database] connection`, else
 * `<data-dir>/network.db`.
 */
import type { ServiceModule } from '../../kernel/host/index.js'
import { type NetworkConfig, networkConfig } from './config.js'
import { networkMigrations } from './storage/migrations/index.js'
import type { NetworkDatabase } from './storage/schema.js'

export const NETWORK_PREFIX = '/network'

/** What `cloudlet up` asks of the network service once identity is bootstrapped. */
export interface NetworkTopology {
  /**
   * Creates devstack's default topology (public, private, router1) owned by the named
   * project, unless the service has networks already. Answers whether it made it.
   */
  ensureDefault(adminProjectName: string): Promise<boolean>
}

declare module '../../kernel/host/module.js' {
  interface Capabilities {
    networkTopology: NetworkTopology
  }
}

export const networkModule: ServiceModule<NetworkConfig, NetworkDatabase> = {
  name: 'network',
  serviceType: 'network',
  prefix: NETWORK_PREFIX,
  configSchema: networkConfig,
  migrations: networkMigrations,
  databaseSection: 'network_database',
  roles: ['api'],
  needs: ['tokens'],
  provides: ['networkTopology'],
  // NOTE: the service's code loads only in a process that runs it.
  create: async (ctx) => (await import('./service.js')).createNetworkService(ctx),
}
