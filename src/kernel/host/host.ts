/**
 * The host: builds a process from service modules.
 *
 *   modules + options ─▶ load config (host sections + every module's)
 *        │
 *        ▼
 *   resolve: the chosen modules, plus the providers of what they need
 *        │   (identity for `tokens`, unless noauth2 or [keystone_authtoken] auth_url)
 *        ▼
 *   in dependency order, per module: open its database ─▶ migrate ─▶ create(ctx)
 *        │
 *        ▼
 *   one Fastify app: each module running the api role mounted at its prefix ─▶ listen
 *        │
 *   close(): stop listening (grace, then cut) ─▶ in reverse order: instance.close(),
 *            its tasks (deadline), its database
 *
 * The host knows no service by name: what it starts is what the module list and the
 * options say.
 */
import { mkdirSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import pino, { type Logger } from 'pino'
import { noauth2, RemoteTokenValidator } from '../auth/index.js'
import { busConfig } from '../bus/config.js'
// NOTE: the bus and the registry load only in a process whose plan uses them (their code
// is ~70 modules an identity-only API never runs); their types and config are static.
import type { BusConfigView, BusLogger, MessageBus } from '../bus/index.js'
import { type ConfigOf, loadConfig, mergeSchemas, type SchemaShape } from '../config/index.js'
import { type Dialect, migrateToLatest, openDatabase } from '../db/index.js'
import { createApp } from '../http/index.js'
import { Enforcer } from '../policy/index.js'
import type { ClusterLeases, ServiceRegistry } from '../registry/index.js'
import { hostConfig } from './host-config.js'
import type {
  AnyServiceModule,
  Capabilities,
  CapabilityName,
  ModuleContext,
  Role,
  ScopeAuth,
  ServiceInstance,
  ServiceModule,
} from './module.js'
import { HttpTransport, InjectTransport, RoutingTransport, ServiceClient } from './service-client.js'
import { TaskGroup } from './tasks.js'

export interface HostOptions {
  /** Every module this program knows, in registration order. */
  modules: readonly AnyServiceModule[]
  /** Everything the process writes lives here. */
  dataDir: string
  configFiles?: readonly string[]
  env?: Readonly<Record<string, string | undefined>>
  /** The modules to run (by name). @default every module */
  services?: readonly string[]
  /** The roles to run of each chosen module. @default every role */
  roles?: readonly Role[]
  host?: string
  /** 0 picks a free port. @default 5000 */
  port?: number
  /** Serve HTTP; admin commands build the host without listening. @default true */
  listen?: boolean
  logger?: Logger | false
  /** Told about every route as it is registered (route sweeps in tests). */
  onRoute?: (route: { method: string; url: string }) => void
  /** This process's host name; overrides `[DEFAULT] host`. */
  hostName?: string
  /** How long close() waits for each module's work. @default 10 s */
  closeDeadlineMs?: number
}

/** A module as this process runs it. */
export interface RunningModule {
  module: AnyServiceModule
  instance: ServiceInstance
  roles: ReadonlySet<Role>
  /** True when its API is mounted in this process. */
  serving: boolean
  db: Kysely<unknown>
  dialect: Dialect
  tasks: TaskGroup
  /** The module's service registry, when it declares `workers`. */
  registry?: ServiceRegistry
}

export interface Host {
  app: FastifyInstance
  /** Base URL, e.g. http://127.0.0.1:5000 */
  url: string
  /** Started modules in start order (providers started for others included). */
  modules: readonly RunningModule[]
  config: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  /** A capability some started module provides, or undefined. */
  capability<K extends CapabilityName>(name: K): Capabilities[K] | undefined
  /** The process's bus, when a module uses one. */
  bus?: MessageBus
  close(): Promise<void>
}

/** The schema of every option the host or any of the modules reads. */
export function hostSchema(modules: readonly AnyServiceModule[]): SchemaShape {
  return mergeSchemas(hostConfig, busConfig, ...modules.map((m) => m.configSchema))
}

/** A module's database URL: its own section, then [database], then a SQLite file. */
export function connectionFor(
  module: Pick<ServiceModule, 'name' | 'databaseSection'>,
  config: Record<string, Record<string, unknown>>,
  dataDir: string,
): string {
  const own = module.databaseSection ? config[module.databaseSection]?.connection : undefined
  const url = (own ?? config.database?.connection) as string | undefined
  return url ?? `sqlite:///${join(dataDir, `${module.name}.db`)}`
}

/** How long close() waits for requests in flight before cutting connections. */
const CLOSE_GRACE_MS = 3000

export async function startHost(options: HostOptions): Promise<Host> {
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const raw = loadConfig(hostSchema(options.modules), {
    files: options.configFiles ?? [],
    env: options.env ?? process.env,
  }) as unknown as Record<string, Record<string, unknown>>
  const config = withResolvedPolicyFile(raw, options.configFiles, dataDir)
  const host = config as unknown as ConfigOf<typeof hostConfig>
  const logger =
    options.logger === false
      ? pino({ level: 'silent' })
      : (options.logger ?? pino({ level: host.DEFAULT.debug ? 'debug' : 'info' }))

  const plan = planModules(options, host)
  const hostName = options.hostName ?? host.DEFAULT.host ?? osHostname()
  const running: RunningModule[] = []
  const provided = new Map<CapabilityName, unknown>(plan.external)
  const byType = new Map<string, RunningModule>()
  let app: FastifyInstance | undefined
  const transport = new RoutingTransport(
    new InjectTransport(
      () => {
        if (!app) throw new Error('the host is still starting')
        return app
      },
      (type) => {
        const m = byType.get(type)
        return m?.serving ? m.module.prefix : undefined
      },
    ),
    new HttpTransport((type) => endpointOverride(config, type)),
  )
  const auth: ScopeAuth = {
    cors: host.cors,
    ...(host.api.auth_strategy === 'noauth2' ? { authenticate: noauth2 } : {}),
  }

  // NOTE: one bus per process, connected only when a module of the plan uses it (an API
  // process of identity alone never touches a broker).
  let bus: MessageBus | undefined
  try {
    if (plan.order.some((o) => o.module.usesBus))
      bus = await (await import('../bus/create-bus.js')).createBus(config as unknown as BusConfigView, {
        logger: busLogger(logger),
        // A process of one worker role keeps that role's stable queue names.
        ...(options.roles?.length === 1 ? { role: options.roles[0] } : {}),
      })
    for (const { module, roles } of plan.order) {
      const connection = connectionFor(module, config, dataDir)
      const { db, dialect } = await openDatabase<unknown>(connection, {
        maxConnections: host.database.max_pool_size,
      })
      const tasks = new TaskGroup(module.name, logger)
      const entry: Partial<RunningModule> = { module, roles, db: db as Kysely<unknown>, dialect, tasks }
      running.push(entry as RunningModule)
      await migrateToLatest(db as Kysely<unknown>, module.name, module.migrations)
      let registry: ServiceRegistry | undefined
      let leases: ClusterLeases | undefined
      if (module.workers) {
        const {
          ClusterLeases,
          leaseMigrations,
          leaseTable,
          registryMigrations,
          registryTable,
          ServiceRegistry,
        } = await import('../registry/index.js')
        await migrateToLatest(
          db as Kysely<unknown>,
          `${module.name}_registry`,
          registryMigrations(module.name),
        )
        registry = new ServiceRegistry(db as Kysely<unknown>, registryTable(module.name))
        entry.registry = registry
        await migrateToLatest(db as Kysely<unknown>, `${module.name}_leases`, leaseMigrations(module.name))
        leases = new ClusterLeases(
          db as Kysely<unknown>,
          leaseTable(module.name),
          `${hostName}:${process.pid}`,
        )
      }
      const ctx: ModuleContext<never, unknown> = {
        config: config as never,
        logger: logger.child({ service: module.name }),
        db: db as Kysely<unknown>,
        dialect,
        dataDir: join(dataDir, module.name),
        roles,
        need: (name) => {
          if (!provided.has(name)) throw new Error(`${module.name} needs ${name}, which nothing provides`)
          return provided.get(name) as Capabilities[typeof name]
        },
        tasks,
        client: (type, version) =>
          new ServiceClient(
            type,
            {
              transport: () => transport,
              token: serviceToken(provided, type === 'identity' ? 'system' : undefined),
            },
            version,
          ),
        enforcer: (defaults, opts) =>
          new Enforcer(defaults, {
            enforceScope: host.oslo_policy.enforce_scope,
            enforceNewDefaults: host.oslo_policy.enforce_new_defaults,
            ...(host.oslo_policy.policy_file ? { policyFile: host.oslo_policy.policy_file } : {}),
            ...(opts?.forbiddenMessage ? { forbiddenMessage: opts.forbiddenMessage } : {}),
          }),
        hostName,
        ...(registry ? { registry } : {}),
        ...(leases ? { leases } : {}),
        ...(bus && module.usesBus ? { bus } : {}),
        auth: auth.authenticate
          ? auth
          : { ...auth, tokens: provided.get('tokens') as Capabilities['tokens'] | undefined },
      }
      const instance = await module.create(ctx as never)
      for (const name of module.provides ?? []) {
        const value = instance.provides?.[name]
        if (value === undefined) throw new Error(`${module.name} declares ${name} but did not provide it`)
        provided.set(name, value)
      }
      entry.instance = instance
      if (registry)
        await registerWorkers(module, roles, registry, hostName, host.DEFAULT.report_interval, tasks)
      entry.serving = roles.has('api') && instance.plugin !== undefined
      for (const type of [module.serviceType, ...(module.extraServiceTypes ?? [])])
        byType.set(type, entry as RunningModule)
    }

    const metrics = host.metrics
    // NOTE: loaded before the app exists: no await may come between createApp and the
    // routes (Fastify starts booting on the next tick).
    const registerBusMetrics = bus ? (await import('../bus/bus-metrics.js')).registerBusMetrics : undefined
    app = createApp({
      logger: options.logger === false ? false : logger,
      metrics: {
        access: metrics.api_access,
        tokens: provided.get('tokens') as Capabilities['tokens'] | undefined,
        listen:
          metrics.bind_port === undefined ? undefined : { host: metrics.bind_host, port: metrics.bind_port },
      },
    })
    if (app.metrics && bus && registerBusMetrics) {
      const live = bus
      registerBusMetrics(app.metrics.registry, () => live.counters)
    }
    if (options.onRoute) {
      const notify = options.onRoute
      app.addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) notify({ method, url: r.url })
      })
    }
    const served = running.filter((m) => m.serving)
    app.get('/', async () => ({
      name: 'cloudlet',
      services: served.map((s) => ({
        type: s.module.serviceType,
        name: s.module.name,
        path: s.module.prefix,
      })),
    }))
    for (const m of served) await app.register(m.instance.plugin!, { prefix: m.module.prefix })
    const bind = options.host ?? '127.0.0.1'
    const port = options.port ?? 5000
    let address = `http://${bind}:${port}`
    if (options.listen === false) await app.ready()
    else address = await app.listen({ host: bind, port })
    if (options.listen !== false) {
      const listening = app
      await listening.metrics?.listen().catch(async (error: unknown) => {
        await listening.close()
        throw error
      })
    }
    // NOTE: every module, served or not: a worker role calls the services of its
    // process through the app, which only now answers.
    for (const m of running) m.instance.started?.()
    if (options.listen !== false)
      for (const m of served)
        m.instance
          .warmUp?.()
          .catch((error: unknown) => logger.warn({ service: m.module.name, error }, 'warm-up failed'))
    const url = host.DEFAULT.public_endpoint?.replace(/\/$/, '') ?? address.replace('[::1]', 'localhost')
    const started = app
    return {
      app: started,
      url,
      modules: running,
      config,
      capability: (name) => provided.get(name) as Capabilities[typeof name] | undefined,
      ...(bus ? { bus } : {}),
      async close() {
        // NOTE: close() cuts the keep-alive connections that are idle when it starts;
        // one busy then goes back to keep-alive afterwards and, with the long
        // keepAliveTimeout clients need, would hold the process for minutes. After a
        // grace period for requests in flight, cut whatever is left.
        const cut = setTimeout(() => started.server.closeAllConnections(), CLOSE_GRACE_MS)
        cut.unref()
        await started.close()
        clearTimeout(cut)
        await stopModules(running, logger, options.closeDeadlineMs ?? 10_000)
        await bus?.close(options.closeDeadlineMs ?? 10_000)
      },
    }
  } catch (error) {
    await stopModules(running, logger, options.closeDeadlineMs ?? 10_000).catch(() => {})
    await bus?.close(1000).catch(() => {})
    throw error
  }
}

/** The bus logs through the host's logger, under `bus`. */
function busLogger(logger: Logger): BusLogger {
  const child = logger.child({ component: 'bus' })
  return {
    debug: (fields, msg) => child.debug(fields, msg),
    info: (fields, msg) => child.info(fields, msg),
    warn: (fields, msg) => child.warn(fields, msg),
    error: (fields, msg) => child.error(fields, msg),
  }
}

/** Records each worker role this process runs of a module, and heartbeats it. */
async function registerWorkers(
  module: AnyServiceModule,
  roles: ReadonlySet<Role>,
  registry: ServiceRegistry,
  hostName: string,
  reportIntervalSeconds: number,
  tasks: TaskGroup,
): Promise<void> {
  for (const role of roles) {
    if (role === 'api') continue
    const worker = module.workers?.[role]
    if (!worker) continue
    const record = await registry.register({ host: hostName, binary: worker.binary, topic: worker.topic })
    tasks.every(`heartbeat ${worker.binary}`, reportIntervalSeconds * 1000, () =>
      registry.heartbeat(record.id),
    )
  }
}

/** Stops modules in reverse start order, each within the deadline. */
async function stopModules(running: RunningModule[], logger: Logger, deadlineMs: number): Promise<void> {
  for (const m of [...running].reverse()) {
    if (m.instance?.close) {
      const ok = await withDeadline(m.instance.close(), deadlineMs).catch((err: unknown) => {
        logger.warn({ err, service: m.module.name }, 'closing the module failed')
        return true
      })
      if (!ok) logger.warn({ service: m.module.name }, 'the module did not close before the deadline')
    }
    await m.tasks.close(deadlineMs)
    await m.db.destroy().catch(() => {})
  }
}

async function withDeadline(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
    timer.unref()
  })
  try {
    return await Promise.race([work.then(() => true as const), late])
  } finally {
    clearTimeout(timer)
  }
}

interface Plan {
  order: { module: AnyServiceModule; roles: ReadonlySet<Role> }[]
  /** Capabilities satisfied outside any module (a remote identity). */
  external: Map<CapabilityName, unknown>
}

/**
 * The chosen modules with their roles, plus, with no roles, the providers of what they
 * need; in dependency order (a provider before the modules that need it, otherwise the
 * registration order).
 */
export function planModules(
  options: Pick<HostOptions, 'modules' | 'services' | 'roles'>,
  host: Pick<ConfigOf<typeof hostConfig>, 'api' | 'keystone_authtoken'>,
): Plan {
  const byName = new Map(options.modules.map((m) => [m.name, m]))
  for (const name of options.services ?? []) if (!byName.has(name)) throw new Error(`unknown service ${name}`)
  const chosen = new Set(options.services ?? options.modules.map((m) => m.name))
  const external = new Map<CapabilityName, unknown>()
  const providerOf = (cap: CapabilityName) => options.modules.find((m) => m.provides?.includes(cap))

  // NOTE: `tokens` is needed only when requests are authenticated with tokens, and a
  // process without identity may validate them by asking a remote identity instead of
  // opening identity's database.
  const satisfiedElsewhere = (cap: CapabilityName, needer: AnyServiceModule): boolean => {
    if (cap !== 'tokens') return false
    const provider = providerOf(cap)
    if (provider && chosen.has(provider.name)) return false
    if (host.api.auth_strategy === 'noauth2' && !needer.provides?.includes('tokens')) return true
    if (host.keystone_authtoken.auth_url) {
      external.set(
        'tokens',
        new RemoteTokenValidator({
          authUrl: host.keystone_authtoken.auth_url,
          cacheSeconds: host.keystone_authtoken.token_cache_time,
        }),
      )
      return true
    }
    return false
  }

  const included = new Map<string, Set<Role>>()
  const visit = (m: AnyServiceModule, roles: Set<Role>, path: string[]) => {
    if (path.includes(m.name)) throw new Error(`modules need each other: ${[...path, m.name].join(' -> ')}`)
    const known = included.get(m.name)
    if (known) {
      for (const r of roles) known.add(r)
      return
    }
    for (const cap of m.needs ?? []) {
      if (satisfiedElsewhere(cap, m)) continue
      const provider = providerOf(cap)
      if (!provider) throw new Error(`${m.name} needs ${cap}, which no module provides`)
      if (provider !== m) visit(provider, new Set(), [...path, m.name])
    }
    included.set(m.name, roles)
  }
  for (const m of options.modules) {
    if (!chosen.has(m.name)) continue
    const wanted = options.roles ? m.roles.filter((r) => options.roles!.includes(r)) : m.roles
    visit(m, new Set(wanted), [])
  }
  // `included` is filled in post-order: providers first.
  const order = [...included].map(([name, roles]) => ({ module: byName.get(name)!, roles }))
  return { order, external }
}

function serviceToken(
  provided: Map<CapabilityName, unknown>,
  scope: 'system' | undefined,
): () => Promise<string | undefined> {
  return async () => {
    const issue = provided.get('serviceToken') as Capabilities['serviceToken'] | undefined
    return issue?.(scope)
  }
}

/** `[service_endpoints] <type> = URL`: where a service of another process answers. */
function endpointOverride(config: Record<string, Record<string, unknown>>, type: string): string | undefined {
  const list = config.service_endpoints?.endpoints as readonly string[] | undefined
  for (const item of list ?? []) {
    const i = item.indexOf('=')
    if (i > 0 && item.slice(0, i).trim() === type) return item.slice(i + 1).trim()
  }
  return undefined
}

/** A relative `[oslo_policy] policy_file` is relative to the first config file's directory. */
function withResolvedPolicyFile(
  config: Record<string, Record<string, unknown>>,
  files: readonly string[] | undefined,
  dataDir: string,
): Record<string, Record<string, unknown>> {
  const base = files?.[0] ? dirname(resolve(files[0])) : dataDir
  const file = config.oslo_policy?.policy_file as string | undefined
  return {
    ...config,
    oslo_policy: { ...config.oslo_policy, policy_file: file && !isAbsolute(file) ? join(base, file) : file },
  }
}
