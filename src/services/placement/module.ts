/**
 * Placement as the host runs it: its config sections, migrations and roles, and
 * `create(ctx)`, which builds the service from what the host hands it:
 *
 *   ctx.db ─▶ StateRepo (reads) ─▶ StateCache (the in-memory index) ─┐
 *          ─▶ WritePlanRepo (writes) ─────────────────────────────────┴▶ Placement (domain)
 *   ctx.enforcer(placement's rules)  ctx.auth (tokens | noauth2, [cors])
 *   ctx.tasks ◀─ the idle primer's runs; close() stops its timer, the host then waits
 *                for a run in progress
 */
import type { ModuleContext, ServiceInstance, ServiceModule } from '../../kernel/host/index.js'
import { type PlacementConfig, placementConfig } from './config.js'
import { STANDARD_TRAITS } from './data/standard-traits.js'
import type { CandidateOptions } from './domain/candidates.js'
import { Placement } from './domain/placement.js'
import { StateCache } from './domain/state-cache.js'
import { placementPlugin } from './plugin.js'
import { placementPolicies } from './policies/index.js'
import { placementMigrations } from './storage/migrations/0001-initial.js'
import type { PlacementDatabase } from './storage/schema.js'
import { StateRepo } from './storage/state.repo.js'
import { WritePlanRepo } from './storage/write-plan.repo.js'
import { IdlePrimer, warmUpCandidates } from './warm/warm-up.js'

/** The started service; tests and benchmarks reach its domain and repositories. */
export interface PlacementInstance extends ServiceInstance {
  placement: Placement
  stateRepo: StateRepo
  writeRepo: WritePlanRepo
}

export const placementModule: ServiceModule<PlacementConfig, PlacementDatabase> = {
  name: 'placement',
  serviceType: 'placement',
  prefix: '/placement',
  configSchema: placementConfig,
  migrations: placementMigrations,
  databaseSection: 'placement_database',
  roles: ['api'],
  needs: ['tokens'],
  create: createPlacement,
}

/** The `[placement]` options of the candidate search. */
export function candidateOptions(config: PlacementConfig): CandidateOptions {
  return {
    maxCandidates: config.placement.max_allocation_candidates,
    randomize: config.placement.randomize_allocation_candidates,
  }
}

export async function createPlacement(
  ctx: ModuleContext<PlacementConfig, PlacementDatabase>,
): Promise<PlacementInstance> {
  const stateRepo = new StateRepo(ctx.db, ctx.dialect)
  const writeRepo = new WritePlanRepo(ctx.db, ctx.dialect)
  await writeRepo.ensureTraits(STANDARD_TRAITS)
  const cache = new StateCache(stateRepo, new Date(0).toISOString(), ctx.config.placement.index_poll_interval)
  const placement = new Placement(writeRepo, cache)
  const candidates = candidateOptions(ctx.config)
  // After a burst of writes, build the real state's caches before the next query needs them.
  const primer = new IdlePrimer(
    () => placement.state(),
    candidates,
    undefined,
    undefined,
    (work) => ctx.tasks.spawn('prime allocation candidates', work),
  )
  cache.onUpdate = primer.changed
  const enforcer = ctx.enforcer(placementPolicies, {
    forbiddenMessage: (rule) => `Policy does not allow ${rule} to be performed.`,
  })
  return {
    plugin: placementPlugin({ placement, candidates, enforcer, auth: ctx.auth }),
    placement,
    stateRepo,
    writeRepo,
    close: async () => primer.stop(),
    warmUp: warmUpCandidates,
  }
}
