/**
 * Each service's entry in the persona matrix: its Enforcer over its own policy defaults
 * (enforce_scope and enforce_new_defaults on, as the cloud runs), its fixtures, and its
 * allow-list: the refusals or successes the defaults cannot express, each with why.
 */
import { Enforcer, type RuleDefault } from '../../../src/kernel/policy/index.js'
import { withBaseRules } from '../../../src/services/identity/policies/auth.js'
import { resourcePolicies } from '../../../src/services/identity/policies/index.js'
import type { AllowEntry, MatrixRoute, MatrixService } from './engine.js'
import { identityMatrix } from './identity.js'
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
    route: 'GET /v3/auth/catalog',
    personas: SYSTEM_AND_DOMAIN,
    verdict: 'refusal',
    reason:
      'Keystone answers 403 "a project-scoped token is required" for a catalog of a system or domain token; the rule itself is empty.',
  },
  {
    route: 'POST /v3/OS-TRUST/trusts',
    personas: ['trustee'],
    verdict: 'refusal',
    reason:
      'Keystone refuses a trust-scoped token that creates a trust other than by redelegation (the trustee holds no role of its own on the project).',
  },
]

export async function identityService(w: World, routes: readonly MatrixRoute[]): Promise<MatrixService> {
  const svc = identityMatrix(
    routes,
    defaults([...resourcePolicies, ...withBaseRules(resourcePolicies)]),
    w,
    IDENTITY_ALLOW,
  )
  await svc.setup()
  return svc
}
