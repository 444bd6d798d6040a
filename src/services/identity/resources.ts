/**
 * The resource half of identity, assembled: domains, projects, users, groups, roles,
 * assignments, the catalog, credentials, application credentials, trusts and the
 * rest. The auth half gets `ports` (domain/ports.ts) and mounts `registerRoutes`
 * inside the identity scope; the host runs `migrations` and `bootstrap`.
 *
 *   HTTP ─▶ handlers/<resource>.ts ─▶ domain/<resource>.ts ─▶ storage/store.ts (Kysely)
 *                 │ policy (req.ctx.can)      │ revocations ─▶ RevocationSink (auth half)
 */
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { NamedMigration } from '../../kernel/db/index.js'
import type { RuleDefault } from '../../kernel/policy/index.js'
import { ApplicationCredentials } from './domain/application-credentials.js'
import { Assignments } from './domain/assignments.js'
import { type BootstrapInput, bootstrap } from './domain/bootstrap.js'
import { Catalog } from './domain/catalog.js'
import type { ResourceDeps } from './domain/common.js'
import type { IdentityResourcesConfig } from './domain/config.js'
import { Credentials } from './domain/credentials.js'
import { DomainConfigs } from './domain/domain-configs.js'
import { Extras } from './domain/extras.js'
import type { AuthnPorts, RevocationSink } from './domain/ports.js'
import { Projects } from './domain/projects.js'
import { createAuthnPorts } from './domain/resource-ports.js'
import { Roles } from './domain/roles.js'
import { Trusts } from './domain/trusts.js'
import { Users } from './domain/users.js'
import { registerResourceRoutes } from './handlers/resource-routes.js'
import { resourcePolicies } from './policies/index.js'
import { resourceMigrations } from './storage/migrations/0100-resources.js'
import type { IdentityDB } from './storage/schema.js'
import { createRepos } from './storage/store.js'

export type { BootstrapInput } from './domain/bootstrap.js'
export { type IdentityResourcesConfig, identityResourcesConfig } from './domain/config.js'
export type { IdentityDB } from './storage/schema.js'

export interface IdentityResources {
  ports: AuthnPorts
  /** All resource routes under /v3; `app` is the identity scope, already authenticated via serviceScope. */
  registerRoutes(app: FastifyInstance): void
  /** identity:* rules for the resource APIs, upstream names (includes the base rules such as admin_required). */
  policies: RuleDefault[]
  /** Idempotent. */
  bootstrap(input: BootstrapInput): Promise<void>
  /** Names start with '0100_' .. '0499_'. */
  migrations: NamedMigration[]
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
  extras: Extras
  domainConfigs: DomainConfigs
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
    extras: new Extras(deps),
    domainConfigs: new DomainConfigs(deps, projects),
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
    registerRoutes: (app) => registerResourceRoutes(app, domain),
    policies: resourcePolicies,
    bootstrap: (input) => bootstrap(resourceDeps, domain, input),
    migrations: resourceMigrations,
  }
}
