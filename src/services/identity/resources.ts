/**
 * The resource half of identity, assembled: domains, projects, users, groups, roles,
 * assignments, the catalog, credentials, application credentials, trusts and the
 * rest. The auth half (service.ts) gets `ports` (domain/ports.ts) and hands `domain` to
 * the handlers; `bootstrap` is the identityAdmin capability's.
 *
 *   routes.ts ─▶ handlers/<resource>.ts ─▶ domain/<resource>.ts ─▶ storage/table.repo.ts (Kysely)
 *                                               │ revocations ─▶ RevocationSink (auth half)
 */
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { RuleDefault } from '../../kernel/policy/index.js'
import { ApplicationCredentials } from './domain/application-credentials.js'
import { Assignments } from './domain/assignments.js'
import { type BootstrapInput, type BootstrapResult, bootstrap } from './domain/bootstrap.js'
import { Catalog } from './domain/catalog.js'
import type { ResourceDeps } from './domain/common.js'
import type { IdentityResourcesConfig } from './domain/config.js'
import { Credentials } from './domain/credentials.js'
import { DomainConfigs } from './domain/domain-configs.js'
import { EndpointPolicies } from './domain/endpoint-policy.js'
import { Extras } from './domain/extras.js'
import { Federation } from './domain/federation.js'
import { type LimitsQuery, UnifiedLimits } from './domain/limits.js'
import { OAuth1 } from './domain/oauth1.js'
import type { AuthnPorts, RevocationSink } from './domain/ports.js'
import { Projects } from './domain/projects.js'
import { createAuthnPorts } from './domain/resource-ports.js'
import { Roles } from './domain/roles.js'
import { Trusts } from './domain/trusts.js'
import { Users } from './domain/users.js'
import { resourcePolicies } from './policies/index.js'
import type { IdentityDB } from './storage/schema.js'
import { createRepos } from './storage/table.repo.js'

export type { BootstrapInput, BootstrapResult } from './domain/bootstrap.js'
export { type IdentityResourcesConfig, identityResourcesConfig } from './domain/config.js'
export type { IdentityDB } from './storage/schema.js'

/** What other services read of the unified limits (image quotas; compute's later). */
export interface UnifiedLimitsReader {
  limitsFor(q: LimitsQuery): Promise<Record<string, number>>
}

export interface IdentityResources {
  ports: AuthnPorts
  limits: UnifiedLimitsReader
  /** What the resource handlers act on. */
  domain: IdentityDomain
  /** identity:* rules for the resource APIs, upstream names (includes the base rules such as admin_required). */
  policies: RuleDefault[]
  /** Idempotent. */
  bootstrap(input: BootstrapInput): Promise<BootstrapResult>
  /**
   * Who this process calls other services as: the bootstrap admin, on a project where it
   * holds the admin role (the bootstrap project); undefined before bootstrap.
   */
  serviceActor(): Promise<ServiceActor | undefined>
}

export interface ServiceActor {
  userId: string
  /** The project the service token is scoped to; undefined: system scope. */
  projectId?: string
}

/** Every domain object of the resource half, as handlers see them. */
export interface IdentityDomain {
  config: IdentityResourcesConfig
  projects: Projects
  users: Users
  roles: Roles
  assignments: Assignments
  catalog: Catalog
  appCreds: ApplicationCredentials
  credentials: Credentials
  trusts: Trusts
  limits: UnifiedLimits
  extras: Extras
  domainConfigs: DomainConfigs
  federation: Federation
  endpointPolicies: EndpointPolicies
  oauth1: OAuth1
}

export function createIdentityDomain(deps: ResourceDeps): IdentityDomain {
  const projects = new Projects(deps)
  const users = new Users(deps, projects)
  const roles = new Roles(deps, projects)
  const assignments = new Assignments(deps, projects, users, roles)
  const catalog = new Catalog(deps)
  const appCreds = new ApplicationCredentials(deps, users, roles, assignments, users.hasher)
  const credentials = new Credentials(deps, users, projects)
  const trusts = new Trusts(deps, users, roles, assignments, projects)
  const federation = new Federation(deps, projects, users, roles, assignments)
  const extras = new Extras(deps)
  return {
    config: deps.config,
    projects,
    users,
    roles,
    assignments,
    catalog,
    appCreds,
    credentials,
    trusts,
    limits: new UnifiedLimits(deps, projects, catalog),
    extras,
    endpointPolicies: new EndpointPolicies(deps, catalog, extras),
    oauth1: new OAuth1(deps, projects, roles, assignments),
    domainConfigs: new DomainConfigs(deps, projects),
    federation,
  }
}

export function createIdentityResources(deps: {
  db: Kysely<IdentityDB>
  config: IdentityResourcesConfig
  revocations: RevocationSink
  logger: Logger
}): IdentityResources {
  const resourceDeps: ResourceDeps = {
    repos: createRepos(deps.db),
    config: deps.config,
    revocations: deps.revocations,
    logger: deps.logger,
  }
  const domain = createIdentityDomain(resourceDeps)
  return {
    ports: createAuthnPorts(domain),
    limits: { limitsFor: (q) => domain.limits.limitsFor(q) },
    domain,
    policies: resourcePolicies,
    bootstrap: (input) => bootstrap(resourceDeps, domain, input),
    serviceActor: () => bootstrapServiceActor(domain),
  }
}

/**
 * The bootstrap admin: a user granted the admin role on the system (bootstrap grants it
 * to its admin; any other holder serves as well).
 */
async function bootstrapServiceActor(domain: IdentityDomain): Promise<ServiceActor | undefined> {
  const admin = await domain.roles.findByName('admin')
  if (!admin) return undefined
  const grants = await domain.assignments.list({ system: true, roleId: admin.id })
  const userId = grants.find((g) => g.actor === 'user' && !g.inherited)?.actorId
  if (!userId) return undefined
  // NOTE: as upstream's service users, the token is project-scoped: the APIs services
  // call each other on (placement's allocations and candidates) accept project scope only.
  const onProjects = await domain.assignments.list({ userId, roleId: admin.id, effective: true })
  const projectId = onProjects.find((g) => g.target === 'project')?.targetId
  return { userId, ...(projectId ? { projectId } : {}) }
}
