/**
 * Each service's entry in the persona matrix: its Enforcer over its own policy defaults
 * (enforce_scope and enforce_new_defaults on, as the cloud runs), its fixtures, and its
 * allow-list: the refusals or successes the defaults cannot express, each with why.
 */
import { Enforcer, type RuleDefault } from '../../../src/kernel/policy/index.js'
import type { ServiceRegistry } from '../../../src/kernel/registry/index.js'
import { COMPUTE_RULES } from '../../../src/services/compute/policies/index.js'
import { withBaseRules } from '../../../src/services/identity/policies/auth.js'
import { resourcePolicies } from '../../../src/services/identity/policies/index.js'
import { imageServicePolicies } from '../../../src/services/image/policies/index.js'
import { placementPolicies } from '../../../src/services/placement/policies/index.js'
import { computeMatrix } from './compute.js'
import type { AllowEntry, MatrixRoute, MatrixService } from './engine.js'
import { identityMatrix } from './identity.js'
import { imageMatrix } from './image.js'
import { placementMatrix } from './placement.js'
import type { World } from './world.js'

const defaults = (rules: readonly RuleDefault[]) =>
  new Enforcer(rules, { enforceScope: true, enforceNewDefaults: true })

const SYSTEM_AND_DOMAIN = [
  'system-admin',
  'system-member',
  'system-reader',
  'domain-admin',
  'domain-manager',
  'domain-member',
  'domain-reader',
]

/** Identity's refusals that are Keystone's own rules, not its policy. */
export const IDENTITY_ALLOW: AllowEntry[] = [
  {
    route: 'GET /v3/auth/tokens',
    personas: ['appcred-restricted'],
    verdict: 'leak',
    reason:
      'A token validating itself (X-Subject-Token equal to X-Auth-Token) is admitted whatever its access rules: it learns only its own contents, and a process without identity validates tokens that way (kernel/http/service-scope.ts).',
  },
  {
    route: 'GET /v3/auth/catalog',
    personas: SYSTEM_AND_DOMAIN,
    verdict: 'refusal',
    reason:
      'Keystone answers 403 "a project-scoped token is required" for a catalog of a system or domain token; the rule itself is empty.',
  },
  ...[
    'GET /v3/OS-TRUST/trusts',
    'POST /v3/OS-TRUST/trusts',
    'GET /v3/OS-TRUST/trusts/:id',
    'DELETE /v3/OS-TRUST/trusts/:id',
    'GET /v3/OS-TRUST/trusts/:id/roles',
    'GET /v3/OS-TRUST/trusts/:id/roles/:role',
  ].map(
    (route): AllowEntry => ({
      route,
      personas: ['appcred-unrestricted'],
      verdict: 'refusal',
      reason:
        "Keystone refuses every trust call made with an application credential's token, restricted or not (403 \"Using method 'application_credential' is not allowed for managing trusts.\"), whatever the trust rules allow.",
    }),
  ),
]

export async function identityService(w: World, routes: readonly MatrixRoute[]): Promise<MatrixService> {
  const svc = identityMatrix(routes, defaults([...resourcePolicies, ...withBaseRules(resourcePolicies)]), w, [
    ...IDENTITY_ALLOW,
  ])
  await svc.setup()
  return svc
}

/** Image's refusals or successes that are Glance's own rules, not its policy. */
export const IMAGE_ALLOW: AllowEntry[] = [
  {
    route: 'GET /v2/images/:image_id/members',
    owners: ['far', 'public', 'community'],
    verdict: 'refusal',
    reason:
      'Glance answers 403 "Only shared images have members" for an image of another visibility, whatever get_members allows.',
  },
  {
    route: 'POST /v2/images/:image_id/members',
    owners: ['far', 'public', 'community'],
    verdict: 'refusal',
    reason:
      'Glance answers 403 "Image members cannot be added to an image with visibility ..." unless the image is shared, whatever add_member allows.',
  },
  {
    route: 'PUT /v2/images/:image_id/members/:member_id',
    personas: ['project-admin'],
    verdict: 'refusal',
    reason:
      'Glance lets only the member itself change its status ("Only the shared member may change the member status"), an admin included; modify_member\'s admin clause never applies.',
  },
]

export async function imageService(w: World, routes: readonly MatrixRoute[]): Promise<MatrixService> {
  return imageMatrix(routes, defaults(imageServicePolicies), w, [...IMAGE_ALLOW])
}

/** Placement's refusals or successes that are its own rules, not its policy: none. */
export const PLACEMENT_ALLOW: AllowEntry[] = []

export async function placementService(w: World, routes: readonly MatrixRoute[]): Promise<MatrixService> {
  const svc = placementMatrix(routes, defaults(placementPolicies), w, [...PLACEMENT_ALLOW])
  await svc.setup()
  return svc
}

/** Compute's refusals or successes that are Nova's own rules, not its policy. */
export const COMPUTE_ALLOW: AllowEntry[] = []

export async function computeService(
  w: World,
  routes: readonly MatrixRoute[],
  registry: ServiceRegistry,
): Promise<MatrixService> {
  const svc = computeMatrix(routes, defaults(COMPUTE_RULES), w, [...COMPUTE_ALLOW], registry)
  await svc.setup()
  return svc
}
