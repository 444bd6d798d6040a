/**
 * The contract between a service and the host that runs it. A service module declares
 * what it is (name, catalog type, path prefix), what it brings (config sections,
 * migrations, roles, capabilities it provides) and what it needs; the host opens its
 * database, hands it a `ModuleContext` and mounts the routes of what it creates.
 *
 * Capabilities are things one module gives others inside a process (identity's token
 * validator). A module that provides one declares its type by augmenting `Capabilities`:
 *
 *   declare module '../../kernel/host/module.js' {
 *     interface Capabilities { identityAdmin: IdentityAdmin }
 *   }
 *
 * Calls between services' APIs go through `ctx.client(...)` instead (see
 * service-client.ts): they work across processes and in both directions.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { AuthenticatedIdentity, TokenValidator } from '../auth/index.js'
import type { MessageBus } from '../bus/index.js'
import type { SchemaShape } from '../config/index.js'
import type { Dialect, NamedMigration } from '../db/index.js'
import type { CorsOptions } from '../http/index.js'
import type { Enforcer, RuleDefault } from '../policy/index.js'
import type { ClusterLeases, ServiceRegistry } from '../registry/index.js'
import type { HostConfig } from './host-config.js'
import type { ServiceClient } from './service-client.js'
import type { TaskGroup } from './tasks.js'

/**
 * What a process can run of a module: its HTTP API, or one of compute's workers.
 * `cloudlet up` runs every role of every module; `cloudlet api` the api role;
 * `cloudlet compute` the agent role.
 */
export type Role = 'api' | 'conductor' | 'scheduler' | 'agent'

/** Things modules give each other inside one process, by name; providers augment it. */
export interface Capabilities {
  /** Validates tokens; identity provides it, or the host asks a remote identity. */
  tokens: TokenValidator
  /**
   * Issues the token this process calls other services with; `'system'` asks for a
   * system-scoped one (calls to identity: its cloud-wide APIs want system scope when
   * identity follows the strict persona model).
   */
  serviceToken: (scope?: 'system') => Promise<string>
}

export type CapabilityName = keyof Capabilities

export interface ServiceModule<Config = unknown, DB = unknown> {
  /** e.g. 'placement'; also the SQLite file name and the data subdirectory. */
  name: string
  /** The catalog service type, e.g. 'placement'. */
  serviceType: string
  /**
   * Further catalog types the same endpoint is registered under (block storage: its
   * official `block-storage` and the `volumev3` clients still look up). @default none
   */
  extraServiceTypes?: readonly string[]
  /** Where its API is mounted, e.g. '/placement'. */
  prefix: string
  /**
   * What the catalog endpoint adds to the prefix, when clients expect a versioned
   * endpoint (compute: '/v2.1', as devstack registers it). @default ''
   */
  catalogPath?: string
  /** The config sections this module contributes (from `defineSections`). */
  configSchema: SchemaShape
  migrations: readonly NamedMigration[]
  /**
   * The oslo section holding the module's own `connection` option (e.g.
   * `placement_database`); without one, `[database] connection`, else a SQLite file
   * `<data-dir>/<name>.db`.
   */
  databaseSection?: string
  /** The roles this module has. */
  roles: readonly Role[]
  /**
   * The worker roles a process records in the service registry, each with its binary
   * name (as upstream spells it: `nova-compute`) and bus topic. The host creates the
   * module's registry table and, for each such role it runs, registers and heartbeats.
   */
  workers?: Partial<Record<Exclude<Role, 'api'>, { binary: string; topic: string }>>
  provides?: readonly CapabilityName[]
  /** Capabilities `create` asks for with `ctx.need`; the host starts their providers first. */
  needs?: readonly CapabilityName[]
  /** The module sends or serves messages: the host connects the process's bus for it. */
  usesBus?: boolean
  create(ctx: ModuleContext<Config, DB>): Promise<ServiceInstance>
}

/**
 * A module whatever its config and database types, as lists of modules hold them.
 * NOTE: `any` because `create` takes the module's own context type: a list of modules
 * with different configs has no narrower common type.
 */
// biome-ignore lint/suspicious/noExplicitAny: see the note above
export type AnyServiceModule = ServiceModule<any, any>

/** What the host hands a module's `create`. */
export interface ModuleContext<Config = unknown, DB = unknown> {
  /** The whole loaded configuration: this module's sections and the host's. */
  config: Readonly<Config & HostConfig>
  logger: Logger
  /** The module's database, already migrated. */
  db: Kysely<DB>
  dialect: Dialect
  /** `<data-dir>/<name>`: where the module may keep files. Nothing is written elsewhere. */
  dataDir: string
  /** The roles this process runs for the module; empty when it runs only for what it provides. */
  roles: ReadonlySet<Role>
  /** A capability another module provides (declared in `needs`). */
  need<K extends CapabilityName>(name: K): Capabilities[K]
  /** The module's background work; the host stops it after `close()`. */
  tasks: TaskGroup
  /** A client for another service's API (inject in this process, HTTP otherwise). */
  client(serviceType: string, version?: string): ServiceClient
  /** A policy enforcer over the module's defaults and `[oslo_policy]`. */
  enforcer(
    defaults: readonly RuleDefault[],
    options?: { forbiddenMessage?: (rule: string) => string },
  ): Enforcer
  /** How this process authenticates API requests: pass to `serviceScope`. */
  auth: ScopeAuth
  /** This process's host name (`[DEFAULT] host`, else the machine's). */
  hostName: string
  /** The module's service registry, when it declares `workers`. */
  registry?: ServiceRegistry
  /** Leases for work that must run once per cluster, when the module declares `workers`. */
  leases?: ClusterLeases
  /** The process's message bus, when the module declares `usesBus` (one per process, shared). */
  bus?: MessageBus
}

/** Authentication and CORS for a service scope, as the host configured them. */
export interface ScopeAuth {
  tokens?: TokenValidator
  /** Set under `[api] auth_strategy = noauth2`. */
  authenticate?: (req: import('fastify').FastifyRequest) => Promise<AuthenticatedIdentity | undefined>
  cors: CorsOptions
}

/** A started module. */
export interface ServiceInstance {
  /** The API, mounted at the module's prefix when the process runs the api role. */
  plugin?: FastifyPluginAsync
  /** What it provides to others (the names in `provides`). */
  provides?: Partial<Capabilities>
  /** Once the process listens, off every request's path; not awaited, a failure is logged. */
  warmUp?(): Promise<void>
  /**
   * Once the process's app is ready (listening or not): work that calls other services
   * of this process (through `ctx.client`) starts here, not in `create`. Not awaited.
   */
  started?(): void
  /** Stops its own work; the host then stops its tasks and closes its database. */
  close?(): Promise<void>
}
