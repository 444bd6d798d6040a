/**
 * Compute as the host sees it: Nova's config sections, the API database's migrations,
 * the api role, and the factory that wires storage, domain and routes. Its database is
 * `[api_database] connection`, else `[database] connection`, else `<data-dir>/compute.db`.
 *
 * The seams other work fills later are arguments of `createCompute`: the hosts the
 * service registry knows, and what servers consume.
 */
import type { ModuleContext, ServiceInstance, ServiceModule } from '../../kernel/host/index.js'
import { type ComputeConfig, computeConfig } from './config.js'
import { Aggregates } from './domain/aggregates.js'
import { AvailabilityZones } from './domain/availability-zones.js'
import { Flavors } from './domain/flavors.js'
import { type ComputeHosts, NO_COMPUTE_HOSTS, registryHosts } from './domain/hosts.js'
import { Keypairs } from './domain/keypairs.js'
import { Quotas } from './domain/quotas.js'
import { ServerGroups } from './domain/server-groups.js'
import { NO_SERVERS, type ServerUsage } from './domain/usage.js'
import { policyForbiddenMessage } from './errors.js'
import type { ComputeDeps } from './handlers/common.js'
import { computePlugin } from './plugin.js'
import { COMPUTE_RULES } from './policies/index.js'
import { AggregateRepo } from './storage/aggregate.repo.js'
import { FlavorRepo } from './storage/flavor.repo.js'
import { KeypairRepo } from './storage/keypair.repo.js'
import { computeMigrations } from './storage/migrations/index.js'
import { QuotaRepo } from './storage/quota.repo.js'
import type { ComputeDatabase } from './storage/schema.js'
import { ServerGroupRepo } from './storage/server-group.repo.js'

export interface ComputeSeams {
  hosts?: ComputeHosts
  servers?: ServerUsage
}

export const COMPUTE_PREFIX = '/compute'

/** Builds the compute API's services over a module context. */
export function createComputeDeps(
  ctx: ModuleContext<ComputeConfig, ComputeDatabase>,
  seams: ComputeSeams = {},
): ComputeDeps {
  const { db, dialect, config } = ctx
  const maxLimit = config.api.max_limit
  const keypairRepo = new KeypairRepo(db, dialect)
  const groupRepo = new ServerGroupRepo(db, dialect)
  const quotas = new Quotas(
    new QuotaRepo(db),
    keypairRepo,
    groupRepo,
    seams.servers ?? NO_SERVERS,
    config.quota,
  )
  // NOTE: the registry exists once the module declares worker roles (conductor,
  // scheduler, agents); until then no compute host exists and aggregate hosts are names.
  const hosts =
    seams.hosts ??
    (ctx.registry ? registryHosts(ctx.registry, config.DEFAULT.service_down_time) : NO_COMPUTE_HOSTS)
  const aggregates = new Aggregates(new AggregateRepo(db, dialect), hosts)
  return {
    config,
    prefix: COMPUTE_PREFIX,
    flavors: new Flavors(new FlavorRepo(db, dialect), maxLimit),
    keypairs: new Keypairs(keypairRepo, quotas, maxLimit),
    groups: new ServerGroups(groupRepo, quotas),
    aggregates,
    zones: new AvailabilityZones(hosts, aggregates, {
      defaultZone: config.DEFAULT.default_availability_zone,
      internalZone: config.DEFAULT.internal_service_availability_zone,
    }),
    quotas,
  }
}

export async function createCompute(
  ctx: ModuleContext<ComputeConfig, ComputeDatabase>,
  seams: ComputeSeams = {},
): Promise<ServiceInstance> {
  const deps = createComputeDeps(ctx, seams)
  const enforcer = ctx.enforcer(COMPUTE_RULES, { forbiddenMessage: policyForbiddenMessage })
  return { plugin: computePlugin(deps, ctx.auth, enforcer) }
}

export const computeModule: ServiceModule<ComputeConfig, ComputeDatabase> = {
  name: 'compute',
  serviceType: 'compute',
  prefix: COMPUTE_PREFIX,
  catalogPath: '/v2.1',
  configSchema: computeConfig,
  migrations: computeMigrations,
  databaseSection: 'api_database',
  roles: ['api'],
  needs: ['tokens'],
  create: (ctx) => createCompute(ctx),
}
