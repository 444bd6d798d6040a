/**
 * The contract between a service and the program that hosts it. Every service folder
 * has a `service.ts` exporting a factory that takes `ServiceDeps` and returns a
 * `ServiceInstance`; the composition root (src/cloud.ts) opens databases, wires
 * services together and mounts each plugin under its path prefix.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { TokenValidator } from './auth/index.js'
import type { Dialect } from './db/index.js'

export interface ServiceDeps<Config, DB> {
  config: Config
  logger: Logger
  /** This service's database, already migrated. */
  db: Kysely<DB>
  dialect: Dialect
  /** Where the service may keep files (image data, keys). Nothing is written elsewhere. */
  dataDir: string
  /** Validates tokens locally; provided by identity to every other service. */
  tokens?: TokenValidator
}

export interface ServiceInstance {
  /** e.g. 'identity' */
  name: string
  /** The catalog service type, e.g. 'identity', 'placement', 'image'. */
  serviceType: string
  /** Mounted at this path prefix, e.g. '/identity'. */
  prefix: string
  plugin: FastifyPluginAsync
  /** Stops timers and background work (the database is closed by the host). */
  close(): Promise<void>
  /**
   * Work to do once the cloud is listening, off every request's path (e.g. bringing a
   * hot path's code to optimised form). Not awaited; the host logs a failure.
   */
  warmUp?(): Promise<void>
}

/**
 * A service as the host sees it before it starts: its config sections, its migrations,
 * and a factory. The host loads config, opens and migrates the database, then calls
 * `create`.
 */
export interface ServiceModule<
  Config = unknown,
  DB = unknown,
  Instance extends ServiceInstance = ServiceInstance,
> {
  name: string
  serviceType: string
  prefix: string
  /** The config sections this service contributes (from `defineSections`). */
  configSchema: unknown
  migrations: readonly import('./db/index.js').NamedMigration[]
  /**
   * The oslo section holding this service's own `connection` option (e.g.
   * `placement_database`); without one, `[database] connection` applies, and by default
   * each service gets its own SQLite file `<data-dir>/<name>.db`.
   */
  databaseSection?: string
  create(deps: ServiceDeps<Config, DB>): Promise<Instance>
}
