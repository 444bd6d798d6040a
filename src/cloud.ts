/**
 * The composition root: loads configuration, opens and migrates each service's
 * database, creates the services (identity first: every other service validates tokens
 * with it) and mounts them on one Fastify app under their path prefixes.
 *
 *   config files ─▶ loadConfig ─▶ for each service: open DB ─▶ migrate ─▶ create
 *                                                     │
 *   createApp() ◀─ register(plugin, { prefix }) ◀─────┘ ─▶ listen ─▶ bootstrap
 */
import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import pino, { type Logger } from 'pino'
import { hostConfig } from './host-config.js'
import type { TokenValidator } from './kernel/auth/index.js'
import { loadConfig, mergeSchemas, type SchemaShape } from './kernel/config/index.js'
import { migrateToLatest, openDatabase } from './kernel/db/index.js'
import { createApp } from './kernel/http/index.js'
import type { ServiceInstance, ServiceModule } from './kernel/service.js'
import type { IdentityInstance } from './services/identity/service.js'
import { SERVICE_MODULES, type ServiceName } from './services/index.js'

export interface CloudOptions {
  /** Everything the process writes lives here. */
  dataDir: string
  configFiles?: readonly string[]
  /** Which services this process serves. @default every service */
  services?: readonly ServiceName[]
  host?: string
  /** 0 picks a free port. */
  port?: number
  /**
   * Serve HTTP. Admin commands (bootstrap, db upgrade, token rotate) build the cloud
   * without listening, so they run beside a live one. @default true
   */
  listen?: boolean
  logger?: Logger | false
  env?: Readonly<Record<string, string | undefined>>
  /** Told about every route as it is registered (tests that sweep every route use it). */
  onRoute?: (route: { method: string; url: string }) => void
}

export interface Cloud {
  app: FastifyInstance
  /** Base URL, e.g. http://127.0.0.1:5000 */
  url: string
  services: readonly ServiceInstance[]
  identity?: IdentityInstance
  config: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  close(): Promise<void>
}

/** The schema of every option any service of this program reads. */
export function fullSchema(): SchemaShape {
  return mergeSchemas(
    hostConfig,
    ...(Object.values(SERVICE_MODULES).map((m) => m.configSchema) as SchemaShape[]),
  )
}

/** Picks a service's database URL: its own section, then [database], then a SQLite file. */
export function connectionFor(
  module: ServiceModule,
  config: Record<string, Record<string, unknown>>,
  dataDir: string,
): string {
  const own = module.databaseSection ? config[module.databaseSection]?.connection : undefined
  const shared = config.database?.connection
  const url = (own ?? shared) as string | undefined
  return url ?? `sqlite:///${join(dataDir, `${module.name}.db`)}`
}

/** Opens every selected service's database and brings its schema up to date. */
async function openService(
  module: ServiceModule,
  config: Record<string, Record<string, unknown>>,
  dataDir: string,
  logger: Logger,
) {
  const connection = connectionFor(module, config, dataDir)
  const { db, dialect } = await openDatabase<unknown>(connection, {
    maxConnections: config.database?.max_pool_size as number,
  })
  await migrateToLatest(db as Kysely<unknown>, module.name, module.migrations)
  logger.debug({ service: module.name, dialect }, 'database ready')
  return { db, dialect }
}

/** Builds, starts and returns a cloud; `close()` stops it and closes the databases. */
export async function startCloud(options: CloudOptions): Promise<Cloud> {
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const schema = fullSchema()
  const config = loadConfig(schema, {
    files: options.configFiles ?? [],
    env: options.env ?? process.env,
  }) as unknown as Record<string, Record<string, unknown>>
  const logger =
    options.logger === false
      ? pino({ level: 'silent' })
      : (options.logger ?? pino({ level: config.DEFAULT?.debug ? 'debug' : 'info' }))

  const wanted = new Set<ServiceName>(options.services ?? (Object.keys(SERVICE_MODULES) as ServiceName[]))
  const databases: Kysely<unknown>[] = []
  const instances: ServiceInstance[] = []
  let identity: IdentityInstance | undefined
  let tokens: TokenValidator | undefined

  const policyBase = options.configFiles?.[0] ? dirname(resolve(options.configFiles[0])) : dataDir
  const policyFile = config.oslo_policy?.policy_file as string | undefined
  const resolvedConfig = {
    ...config,
    oslo_policy: {
      ...config.oslo_policy,
      policy_file: policyFile && !isAbsolute(policyFile) ? join(policyBase, policyFile) : policyFile,
    },
  }

  try {
    // Identity goes first even when this process does not serve its API: its token
    // validator is what every other service authenticates with.
    const order = Object.keys(SERVICE_MODULES) as ServiceName[]
    for (const name of order) {
      const module = SERVICE_MODULES[name] as ServiceModule
      const serving = wanted.has(name)
      if (!serving && !(name === 'identity' && needsTokens(wanted))) continue
      const { db, dialect } = await openService(module, config, dataDir, logger)
      databases.push(db as Kysely<unknown>)
      const serviceDir = join(dataDir, module.name)
      const instance = await module.create({
        config: resolvedConfig,
        logger: logger.child({ service: module.name }),
        db,
        dialect,
        dataDir: serviceDir,
        tokens,
      })
      if (name === 'identity') {
        identity = instance as IdentityInstance
        tokens = identity.tokens
      }
      if (serving) instances.push(instance)
      else await instance.close()
    }

    const app = createApp({ logger: options.logger === false ? false : logger })
    if (options.onRoute) {
      const notify = options.onRoute
      app.addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) notify({ method, url: r.url })
      })
    }
    app.get('/', async () => ({
      name: 'cloudlet',
      services: instances.map((s) => ({ type: s.serviceType, name: s.name, path: s.prefix })),
    }))
    for (const instance of instances) await app.register(instance.plugin, { prefix: instance.prefix })
    const host = options.host ?? '127.0.0.1'
    const port = options.port ?? 5000
    const address =
      options.listen === false
        ? (await app.ready(), `http://${host}:${port}`)
        : await app.listen({ host, port })
    if (options.listen !== false)
      for (const s of instances)
        s.warmUp?.().catch((error: unknown) => logger.warn({ service: s.name, error }, 'warm-up failed'))
    const url =
      (config.DEFAULT?.public_endpoint as string | undefined)?.replace(/\/$/, '') ??
      address.replace('[::1]', 'localhost')

    return {
      app,
      url,
      services: instances,
      identity: wanted.has('identity') ? identity : undefined,
      config: resolvedConfig,
      async close() {
        // NOTE: close() cuts the keep-alive connections that are idle when it starts;
        // one busy then goes back to keep-alive afterwards and, with the long
        // keepAliveTimeout clients need, would hold the process for minutes. After a
        // grace period for requests in flight, cut whatever is left.
        const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS)
        cut.unref()
        await app.close()
        clearTimeout(cut)
        for (const s of instances) await s.close()
        for (const db of databases) await db.destroy()
      },
    }
  } catch (error) {
    for (const db of databases) await db.destroy().catch(() => {})
    throw error
  }
}

/** How long closing waits for requests in flight before cutting connections. */
const CLOSE_GRACE_MS = 3000

function needsTokens(wanted: Set<ServiceName>): boolean {
  return [...wanted].some((s) => s !== 'identity')
}
