/**
 * What each `cloudlet` command does once its command line has been checked (args.ts).
 * Every command first finishes its checks (services, configuration, data directory,
 * owner of the data directory, listen address), and only then writes: a refused
 * invocation leaves no directory, database or lock behind.
 *
 *   check: services ─▶ config ─▶ data dir ─▶ owner ─▶ port ─┐
 *   write: mkdir ─▶ lock ─▶ open + migrate databases ─▶ listen ◀┘ ─▶ bootstrap ─▶ banner
 */
import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type Cloud, fullSchema, startCloud } from '../cloud.js'
import type { BusConfigView } from '../kernel/bus/index.js'
import {
  type ConfigProblem,
  checkConfig,
  describeSchema,
  formatProblem,
  formatProblems,
  loadConfig,
} from '../kernel/config/index.js'
import {
  acquireDataDirLock,
  DataDirInUse,
  type DataDirLock,
  dataDirOwner,
  describeOwner,
} from '../kernel/host/data-dir-lock.js'
import type { Role } from '../kernel/host/index.js'
import { chooseLogLevel, createLogger } from '../kernel/log/index.js'
import { MODULE_LIST, SERVICE_MODULES, type ServiceName } from '../services/index.js'
import { type CommandLine, dataDirOf, SEE_HELP, UsageError } from './args.js'
import { cloudsYamlPath, writeCloudsYaml } from './clouds-yaml.js'
import { checkDataDir, listenError, probePort } from './preflight.js'
import { type ListeningMessage, superviseWorkers } from './workers.js'

/** Runs a checked command; resolves to the exit code, or -1 for a server that keeps running. */
export async function runCommand(line: CommandLine): Promise<number> {
  switch (line.command) {
    case 'up':
    case 'api':
      await serve(line.command, line)
      return -1
    case 'bootstrap':
      return withAdminCloud(line, 'bootstrap', async (cloud, dataDir) => {
        await bootstrap(cloud, dataDir)
        console.log(`bootstrapped; credentials in ${join(dataDir, 'credentials.json')}`)
        return 0
      })
    case 'db upgrade':
      // Building the cloud migrates every selected service's database.
      return withAdminCloud(line, 'db upgrade', async () => {
        console.log('database schemas are up to date')
        return 0
      })
    case 'token rotate':
      return rotateToken(line)
    case 'config check':
      return configCheck(line)
    case 'config sample':
      console.log(describeSchema(fullSchema()))
      return 0
    case 'conductor':
    case 'scheduler':
    case 'compute':
      await serveRole(line.command, line)
      return -1
    case 'bus status':
      return busStatus(line)
    case 'scheduler explain':
      return (await import('./scheduler-explain.js')).schedulerExplain(line.explain!)
    case 'host drain':
    case 'host evacuate':
      return (await import('./host-command.js')).hostCommand(
        line.command === 'host drain' ? 'drain' : 'evacuate',
        line.hostLine!,
      )
    case 'volume update-host':
      return (await import('./volume-update-host.js')).volumeUpdateHost(line.updateHost!)
    default:
      throw new UsageError(`unknown command "${line.command}"; ${SEE_HELP}`)
  }
}

/** The role each worker command runs of every service that has it. */
const ROLE_OF: Readonly<Record<'conductor' | 'scheduler' | 'compute', Role>> = {
  conductor: 'conductor',
  scheduler: 'scheduler',
  compute: 'agent',
}

/**
 * `cloudlet conductor|scheduler|compute`: one worker role of the services that have it,
 * no HTTP. It connects the bus and the databases, registers in the service registry
 * and heartbeats; SIGTERM or SIGINT stops consuming, lets in-flight handlers finish
 * within the close deadline, and exits.
 */
async function serveRole(command: 'conductor' | 'scheduler' | 'compute', line: CommandLine): Promise<void> {
  const role = ROLE_OF[command]
  const p = prepare(line)
  const names = MODULE_LIST.filter(
    (m) => m.roles.includes(role) && (!p.services || p.services.includes(m.name as ServiceName)),
  ).map((m) => m.name as ServiceName)
  if (names.length === 0)
    throw new UsageError(`no service ${p.services ? 'of --services ' : ''}runs the ${role} role yet`)
  checkDataDir(p.dataDir, { mustExist: false })
  const advice = 'stop it first, or give this one another --data-dir'
  refuseIfOwned(p.dataDir, advice)
  const lock = claimDataDir(p.dataDir, command, advice)
  const cloud = await startCloud({
    dataDir: p.dataDir,
    configFiles: line.configFiles,
    services: names,
    roles: [role],
    listen: false,
    logger: p.logger,
    ...(line.host ? { hostName: line.host } : {}),
  })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    p.logger.info({ signal }, 'stopping')
    await cloud.close()
    lock.release()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  console.log(`Cloudlet ${command} running ${names.join(', ')} (role ${role})`)
}

/**
 * `cloudlet bus status`: the bus this configuration names (queues, consumers, depth) and
 * the worker roles each service's registry knows, up or down.
 */
async function busStatus(line: CommandLine): Promise<number> {
  const p = prepare(line)
  const { createBus } = await import('../kernel/bus/create-bus.js')
  const bus = await createBus(p.config as unknown as BusConfigView)
  try {
    const status = await bus.status()
    console.log(
      `bus: ${status.transport}${status.broker ? ` at ${status.broker}` : ''} (${status.connected ? 'connected' : 'not connected'})`,
    )
    if (status.transport === 'in-process')
      console.log(
        '  the in-process bus lives inside each cloudlet process; set [DEFAULT] transport_url to share one',
      )
    for (const q of status.queues)
      console.log(`  queue ${q.name}: ${q.depth ?? '?'} waiting, ${q.consumers ?? '?'} consumers`)
    if (status.lastError) console.log(`  last error: ${status.lastError}`)
  } finally {
    await bus.close(1000)
  }
  const withWorkers = MODULE_LIST.filter((m) => m.workers).map((m) => m.name as ServiceName)
  if (withWorkers.length === 0) {
    console.log('roles: no service of this program records worker roles yet')
    return 0
  }
  checkDataDir(p.dataDir, { mustExist: true })
  const cloud = await startCloud({
    dataDir: p.dataDir,
    configFiles: line.configFiles,
    services: withWorkers,
    roles: [],
    listen: false,
    logger: p.logger,
  })
  try {
    const downTime = Number(p.config.DEFAULT?.service_down_time ?? 60)
    for (const m of cloud.host.modules) {
      const registry = m.registry
      if (!registry) continue
      for (const s of await registry.list())
        console.log(
          `  ${m.module.name} ${s.binary} on ${s.host}: ${registry.isUp(s, downTime) ? 'up' : 'down'}${s.disabled ? `, disabled (${s.disabled_reason ?? 'no reason'})` : ''}, last seen ${s.last_seen_up ?? 'never'}`,
        )
    }
  } finally {
    await cloud.close()
  }
  return 0
}

/** The checked pieces every command that opens the cloud starts from. */
interface Prepared {
  dataDir: string
  services?: ServiceName[]
  config: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  logger: Logger
}

/**
 * Checks services and configuration, and makes the logger. Throws `UsageError` or
 * `ConfigError`; writes nothing.
 */
function prepare(line: CommandLine): Prepared {
  const services = servicesOf(line.services)
  const warnings: ConfigProblem[] = []
  const config = loadConfig(fullSchema(), {
    files: line.configFiles,
    env: process.env,
    onWarning: (w) => warnings.push(w),
    // Misspelt and unknown options are named at start-up, as `config check` names them.
    warnUnknown: true,
  }) as unknown as Prepared['config']
  const logger = createLogger({
    level: chooseLogLevel({
      flag: line.logLevel,
      debug: config.DEFAULT?.debug === true,
      terminal: process.stderr.isTTY === true,
    }),
  })
  for (const w of warnings) logger.warn(formatProblem(w))
  // NOTE: the cloud loads the same files again and would repeat each deprecation as a
  // process warning; they were logged once above.
  process.noDeprecation = true
  return { dataDir: dataDirOf(line), ...(services ? { services } : {}), config, logger }
}

function servicesOf(names: readonly string[] | undefined): ServiceName[] | undefined {
  if (!names) return undefined
  for (const n of names) {
    if (!(n in SERVICE_MODULES))
      throw new UsageError(`unknown service "${n}"; known: ${Object.keys(SERVICE_MODULES).join(', ')}`)
  }
  return names as ServiceName[]
}

/** Refuses when a live process owns the data directory, saying what to do instead. */
function refuseIfOwned(dataDir: string, advice: string): void {
  const owner = dataDirOwner(dataDir)
  if (owner) throw new UsageError(`${new DataDirInUse(dataDir, owner).message}; ${advice}`)
}

/** Makes the data directory (if new) and takes its lock; released when the process exits. */
function claimDataDir(dataDir: string, command: string, advice: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  try {
    const lock = acquireDataDirLock(dataDir, { command })
    process.once('exit', () => lock.release())
    return lock
  } catch (error) {
    if (error instanceof DataDirInUse) throw new UsageError(`${error.message}; ${advice}`)
    throw error
  }
}

/** Whether the selected services keep their databases in the data directory. */
function usesDataDirDatabases(config: Prepared['config']): boolean {
  return config.database?.connection === undefined
}

/**
 * bootstrap and db upgrade: check, lock the data directory, build the cloud without
 * serving HTTP, run `fn`, close.
 */
async function withAdminCloud(
  line: CommandLine,
  command: 'bootstrap' | 'db upgrade',
  fn: (cloud: Cloud, dataDir: string) => Promise<number>,
): Promise<number> {
  const p = prepare(line)
  checkDataDir(p.dataDir, {
    mustExist: command === 'db upgrade' && usesDataDirDatabases(p.config),
    why: 'its databases would be made empty, not upgraded',
  })
  const advice = `stop it first: cloudlet ${command} must not run beside a running cloud`
  refuseIfOwned(p.dataDir, advice)
  const lock = claimDataDir(p.dataDir, command, advice)
  try {
    const cloud = await startCloud({
      dataDir: p.dataDir,
      configFiles: line.configFiles,
      services: command === 'bootstrap' ? undefined : p.services,
      host: line.host,
      port: line.port ?? 5000,
      listen: false,
      logger: p.logger,
    })
    try {
      return await fn(cloud, p.dataDir)
    } finally {
      await cloud.close()
    }
  } finally {
    lock.release()
  }
}

/**
 * token rotate runs beside a running cloud: it adds a key and retires the old one, which
 * running processes notice on their own within a second (identity's key ring checks
 * its signer before signing).
 */
async function rotateToken(line: CommandLine): Promise<number> {
  const p = prepare(line)
  checkDataDir(p.dataDir, { mustExist: true, why: 'the signing keys live there' })
  const owner = dataDirOwner(p.dataDir)
  const cloud = await startCloud({
    dataDir: p.dataDir,
    configFiles: line.configFiles,
    services: ['identity'],
    listen: false,
    logger: p.logger,
  })
  try {
    await cloud.identity!.rotateSigningKey()
  } finally {
    await cloud.close()
  }
  console.log(
    owner
      ? `new token signing key made; ${describeOwner(owner)} signs with it from its next token (within a second)`
      : 'new token signing key made; the next cloudlet up on this data directory signs with it',
  )
  console.log('tokens signed with older keys stay valid until they expire')
  return 0
}

function configCheck(line: CommandLine): number {
  const files = [...line.files, ...line.configFiles]
  if (files.length === 0) throw new UsageError(`cloudlet config check needs a FILE; ${SEE_HELP}`)
  const { problems } = checkConfig(fullSchema(), files)
  if (problems.length === 0) {
    console.log(`${files.join(', ')}: no problems found`)
    return 0
  }
  console.log(formatProblems(problems))
  return problems.some((p) => p.severity === 'error') ? 1 : 0
}

interface Credentials {
  adminPassword: string
  memberPassword: string
  /** The admin's password hash after the last bootstrap: a restart then skips bcrypt. */
  adminPasswordHash?: string
}

/** Passwords are made once per data directory and kept there (0600). */
function credentialsFor(dataDir: string): Credentials {
  const file = join(dataDir, 'credentials.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials
  const creds = {
    adminPassword: process.env.CLOUDLET_ADMIN_PASSWORD ?? randomBytes(12).toString('base64url'),
    memberPassword: process.env.CLOUDLET_MEMBER_PASSWORD ?? randomBytes(12).toString('base64url'),
  }
  writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 })
  return creds
}

/** Catalog names as upstream deployments register them, so tools that look services up by name find them. */
const CATALOG_NAMES: Readonly<Record<string, string>> = {
  identity: 'keystone',
  image: 'glance',
  placement: 'placement',
  compute: 'nova',
  network: 'neutron',
  'block-storage': 'cinder',
  volumev3: 'cinderv3',
  baremetal: 'ironic',
}

async function bootstrap(cloud: Cloud, dataDir: string): Promise<Credentials> {
  const creds = credentialsFor(dataDir)
  if (!cloud.identity) return creds
  const base = cloud.url
  const { adminPasswordHash } = await cloud.identity.bootstrap({
    adminUsername: 'admin',
    adminPassword: creds.adminPassword,
    adminProjectName: 'admin',
    regionId: 'RegionOne',
    services: cloud.services.flatMap((s) =>
      [s.serviceType, ...(s.extraServiceTypes ?? [])].map((type) => ({
        type,
        name: CATALOG_NAMES[type] ?? CATALOG_NAMES[s.name] ?? s.name,
        url: `${base}${s.prefix}${s.catalogPath ?? ''}`,
      })),
    ),
    member: { username: 'demo', password: creds.memberPassword, projectName: 'demo' },
    ...(creds.adminPasswordHash ? { adminPasswordHash: creds.adminPasswordHash } : {}),
  })
  if (adminPasswordHash !== creds.adminPasswordHash) {
    const kept = { ...creds, adminPasswordHash }
    writeFileSync(join(dataDir, 'credentials.json'), JSON.stringify(kept, null, 2), { mode: 0o600 })
    return kept
  }
  return creds
}

/** The port a started cloud listens on. */
function listeningPort(cloud: Cloud): number {
  return (cloud.app.server.address() as AddressInfo | null)?.port ?? 0
}

async function serve(command: 'up' | 'api', line: CommandLine): Promise<void> {
  const started = performance.now()
  const p = prepare(line)
  const host = line.host ?? '127.0.0.1'
  const port = line.port ?? 5000
  const services = p.services
  // `api` serves HTTP only; the worker roles run in their own commands (or in `up`).
  const roles: readonly Role[] | undefined = command === 'api' ? ['api'] : undefined
  let lock: DataDirLock | undefined
  // Workers are forked by a primary that made every check and holds the lock.
  if (!cluster.isWorker) {
    if (line.workers > 1 && (services ?? Object.keys(SERVICE_MODULES)).includes('image'))
      // NOTE: image's start-up recovery sweeps its data directory for orphaned temp files;
      // a sibling process starting on the same directory could remove an upload in flight.
      throw new UsageError(
        '--workers > 1 cannot serve image: its crash recovery assumes one process per data directory',
      )
    checkDataDir(p.dataDir, { mustExist: false })
    const advice = 'stop it first, or give this one another --data-dir'
    refuseIfOwned(p.dataDir, advice)
    await probePort(host, port)
    lock = claimDataDir(p.dataDir, command, advice)
  }

  if (line.workers > 1 && cluster.isPrimary) {
    // The primary brings every database up to date (and lets identity make its signing
    // key) once, then forks the workers, which share the listening port.
    const admin = await startCloud({
      dataDir: p.dataDir,
      configFiles: line.configFiles,
      services,
      ...(roles ? { roles } : {}),
      listen: false,
      logger: p.logger,
    })
    await admin.close()
    const supervisor = superviseWorkers({
      count: line.workers,
      logger: p.logger,
      onListening: (listening) => lock?.update({ port: listening }),
    })
    let stopping = false
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return
      stopping = true
      void supervisor.stop(signal).then(() => {
        lock?.release()
        process.exit(0)
      })
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
    return
  }

  let cloud: Cloud
  try {
    cloud = await startCloud({
      dataDir: p.dataDir,
      configFiles: line.configFiles,
      services,
      ...(roles ? { roles } : {}),
      host,
      port,
      logger: p.logger,
    })
  } catch (error) {
    // NOTE: the port was free a moment ago; something took it between the check and now.
    throw listenError(error, host, port) ?? error
  }
  const listening = listeningPort(cloud)
  lock?.update({ port: listening })
  if (cluster.isWorker)
    process.send?.({ type: 'cloudlet:listening', port: listening } satisfies ListeningMessage)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    p.logger.info({ signal }, 'stopping')
    await cloud.close()
    lock?.release()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  // A Ctrl-C during the first steps closes the databases under them: their failure is
  // then the stop's, not an error to report; stop() exits once the cloud is closed.
  const unlessStopping = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step
    } catch (error) {
      if (stopping) await new Promise<never>(() => {})
      throw error
    }
  }

  if (command === 'up' && cloud.identity) {
    const creds = await unlessStopping(bootstrap(cloud, p.dataDir))
    // devstack's networks (public, private, router1), once per data directory.
    await unlessStopping(Promise.resolve(cloud.host.capability('networkTopology')?.ensureDefault('admin')))
    const authUrl = `${cloud.url}/identity/v3`
    if (line.cloudsYaml) {
      const path = cloudsYamlPath()
      writeCloudsYaml(path, {
        'cloudlet-admin': {
          authUrl,
          username: 'admin',
          password: creds.adminPassword,
          projectName: 'admin',
          regionName: 'RegionOne',
        },
        cloudlet: {
          authUrl,
          username: 'demo',
          password: creds.memberPassword,
          projectName: 'demo',
          regionName: 'RegionOne',
        },
      })
      console.log(`clouds.yaml entries cloudlet-admin and cloudlet written to ${path}`)
    }
    // NOTE: process uptime runs from the moment Node started: it covers Node's own start
    // and module loading, which is what a user waits for.
    const ready = Math.round(process.uptime() * 1000)
    const own = Math.round(performance.now() - started)
    console.log(
      `Cloudlet is up at ${cloud.url} (${cloud.services.map((s) => s.prefix).join(' ')}); ready in ${ready} ms since the process started (${own} ms to open the services)`,
    )
    console.log('  openstack --os-cloud cloudlet-admin catalog list')
    // Only commands the services running here can answer (there is no compute yet).
    const served = new Set(cloud.services.map((s) => s.name))
    if (served.has('image')) console.log('  openstack --os-cloud cloudlet image list')
    if (served.has('placement')) console.log('  openstack --os-cloud cloudlet-admin resource provider list')
    if (served.has('network')) console.log('  openstack --os-cloud cloudlet network list')
    console.log('Ctrl-C stops it; the data directory keeps everything for the next start.')
  } else {
    const who = cluster.isWorker ? ` (worker ${process.pid})` : ''
    console.log(`Cloudlet API serving ${cloud.services.map((s) => s.prefix).join(' ')} at ${cloud.url}${who}`)
  }
}
