/**
 * Builds the placement service: the repository, the state cache over it, the domain
 * and the plugin.
 */
import type { Kysely } from 'kysely'
import { Enforcer } from '../../kernel/policy/index.js'
import type { ServiceDeps, ServiceInstance } from '../../kernel/service.js'
import type { PlacementConfig } from './config.js'
import { STANDARD_TRAITS } from './data/standard-traits.js'
import { Placement } from './domain/placement.js'
import { StateCache } from './domain/state-cache.js'
import { IdlePrimer, warmUpCandidates } from './handlers/warm-up.js'
import { candidateOptions, placementPlugin } from './plugin.js'
import { placementPolicies } from './policies/index.js'
import { PlacementRepo } from './storage/placement.repo.js'
import type { PlacementDatabase } from './storage/schema.js'

export interface PlacementInstance extends ServiceInstance {
  placement: Placement
  repo: PlacementRepo
}

type HostPolicy = {
  oslo_policy?: { enforce_scope?: boolean; enforce_new_defaults?: boolean; policy_file?: string }
}

export async function createPlacementService(
  deps: ServiceDeps<PlacementConfig & HostPolicy, PlacementDatabase>,
): Promise<PlacementInstance> {
  const repo = new PlacementRepo(deps.db as Kysely<PlacementDatabase>, deps.dialect)
  await repo.ensureTraits(STANDARD_TRAITS)
  const cache = new StateCache(repo, new Date(0).toISOString(), deps.config.placement.index_poll_interval)
  const placement = new Placement(repo, cache)
  // After a burst of writes, build the real state's caches before the next query needs them.
  const primer = new IdlePrimer(() => placement.state(), candidateOptions(deps.config))
  cache.onUpdate = primer.changed
  const policy = deps.config.oslo_policy ?? {}
  const enforcer = new Enforcer(placementPolicies, {
    enforceScope: policy.enforce_scope ?? true,
    enforceNewDefaults: policy.enforce_new_defaults ?? true,
    policyFile: policy.policy_file,
    forbiddenMessage: (rule) => `Policy does not allow ${rule} to be performed.`,
  })
  return {
    name: 'placement',
    serviceType: 'placement',
    prefix: '/placement',
    plugin: placementPlugin({ placement, config: deps.config, enforcer, tokens: deps.tokens }),
    placement,
    repo,
    close: async () => primer.stop(),
    warmUp: warmUpCandidates,
  }
}
