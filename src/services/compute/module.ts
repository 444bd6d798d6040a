/**
 * Compute as the host sees it: Nova's config sections (the API's and the scheduler's),
 * the API database's migrations (cells, instances, the bus outbox), its roles and the
 * factory that wires storage, domain, routes and workers. Its database is
 * `[api_database] connection`, else `[database] connection`, else
 * `<data-dir>/compute.db`.
 *
 *   api        the routes; a create records the build and its conductor message in one
 *              transaction (the outbox), sent after the commit
 *   scheduler  select_destinations on topic `scheduler` (src/scheduler over placement)
 *   conductor  build_instances / delete_instance on topic `conductor`
 *   agent      the compute agents (src/agents/compute), `[fake_driver] hosts` of them
 *
 * The seams other work fills are arguments of `createCompute`: the hosts the service
 * registry knows, what servers consume, and who runs the agent role.
 */
import type { ServiceModule } from '../../kernel/host/index.js'
import { type ComputeConfig, computeConfig } from './config.js'
import { CONDUCTOR_TOPIC, SCHEDULER_TOPIC } from './rpc.js'
import { computeMigrations } from './storage/migrations/index.js'
import type { ComputeDatabase } from './storage/schema.js'

export const COMPUTE_PREFIX = '/compute'

export const computeModule: ServiceModule<ComputeConfig, ComputeDatabase> = {
  name: 'compute',
  serviceType: 'compute',
  prefix: COMPUTE_PREFIX,
  catalogPath: '/v2.1',
  configSchema: computeConfig,
  migrations: computeMigrations,
  databaseSection: 'api_database',
  roles: ['api', 'conductor', 'scheduler', 'agent'],
  // NOTE: agents record one `nova-compute` service per compute host themselves; the
  // process's own host name is no compute host.
  workers: {
    conductor: { binary: 'nova-conductor', topic: CONDUCTOR_TOPIC },
    scheduler: { binary: 'nova-scheduler', topic: SCHEDULER_TOPIC },
  },
  needs: ['tokens'],
  usesBus: true,
  // NOTE: the service's code loads only in a process that runs compute; the
  // declaration above (config, migrations) is all that config check and the others need.
  create: async (ctx) => (await import('./service.js')).createCompute(ctx),
}
