#!/usr/bin/env node
/**
 * The `cloudlet` command.
 *
 *   cloudlet up            the whole cloud in one process (bootstraps on first start,
 *                          writes clouds.yaml entries)
 *   cloudlet api           API process(es) for scale-out: --services identity,placement,...
 *   cloudlet bootstrap     create the admin user, project, roles and catalog
 *   cloudlet db upgrade    migrate every service's database
 *   cloudlet token rotate  new signing key for tokens (old keys still validate)
 *   cloudlet config check  report unknown, deprecated and invalid options
 *   cloudlet config sample print an annotated sample configuration
 */
import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type Cloud, fullSchema, startCloud } from '../cloud.js'
import { checkConfig, describeSchema, formatProblems } from '../kernel/config/index.js'
import { SERVICE_MODULES, type ServiceName } from '../services/index.js'
import { cloudsYamlPath, writeCloudsYaml } from './clouds-yaml.js'

const USAGE = `usage: cloudlet <command> [options]

commands:
  up                 start the whole cloud in one process
  api                start an API process serving --services
  bootstrap          create the admin user, project, roles and catalog, then exit
  db upgrade         bring every service's database schema up to date
  token rotate       make a new token signing key; older keys keep validating
  config check FILE  check a configuration file
  config sample      print an annotated sample configuration

options (up, api, bootstrap, db upgrade):
  --port N           listen port (default 5000)
  --host ADDR        listen address (default 127.0.0.1)
  --data-dir DIR     where databases, keys and images live
                     (default $CLOUDLET_DATA_DIR or ~/.local/share/cloudlet)
  --config-file F    an oslo-style INI file; may be repeated
  --services LIST    comma-separated services (default: all)
  --no-clouds-yaml   (up) do not write clouds.yaml entries
  --workers N        (api) N processes sharing the port, one per core (default 1)
`

interface Credentials {
  adminPassword: string
  memberPassword: string
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'config-file': { type: 'string', multiple: true },
      services: { type: 'string' },
      'no-clouds-yaml': { type: 'boolean' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function servicesOption(value: string | undefined): ServiceName[] | undefined {
  if (!value) return undefined
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const n of names) {
    if (!(n in SERVICE_MODULES))
      throw new UsageError(`unknown service "${n}"; known: ${Object.keys(SERVICE_MODULES).join(', ')}`)
  }
  return names as ServiceName[]
}

class UsageError extends Error {}

/** Catalog names as upstream deployments register them, so tools that look services up by name find them. */
const CATALOG_NAMES: Readonly<Record<string, string>> = {
  identity: 'keystone',
  image: 'glance',
  placement: 'placement',
  compute: 'nova',
  network: 'neutron',
  'block-storage': 'cinderv3',
  baremetal: 'ironic',
}

async function bootstrap(cloud: Cloud, dataDir: string): Promise<Credentials> {
  const creds = credentialsFor(dataDir)
  if (!cloud.identity) return creds
  const base = cloud.url
  await cloud.identity.bootstrap({
    adminUsername: 'admin',
    adminPassword: creds.adminPassword,
    adminProjectName: 'admin',
    regionId: 'RegionOne',
    services: cloud.services.map((s) => ({
      type: s.serviceType,
      name: CATALOG_NAMES[s.name] ?? s.name,
      url: `${base}${s.prefix}`,
    })),
    member: { username: 'demo', password: creds.memberPassword, projectName: 'demo' },
  })
  return creds
}

type Values = ReturnType<typeof parse>['values']

function dataDirOf(values: Values): string {
  return resolve(
    values['data-dir'] ?? process.env.CLOUDLET_DATA_DIR ?? join(homedir(), '.local', 'share', 'cloudlet'),
  )
}

/** Builds the cloud without serving HTTP (so it works beside a running one), runs `fn`, closes. */
async function withAdminCloud(
  values: Values,
  services: ServiceName[] | undefined,
  fn: (cloud: Cloud, dataDir: string) => Promise<number>,
): Promise<number> {
  const dataDir = dataDirOf(values)
  const cloud = await startCloud({
    dataDir,
    configFiles: values['config-file'] ?? [],
    services,
    host: values.host,
    port: values.port === undefined ? 5000 : Number(values.port),
    listen: false,
    logger: false,
  })
  try {
    return await fn(cloud, dataDir)
  } finally {
    await cloud.close()
  }
}

/**
 * `cloudlet api --workers N`: the primary brings every database up to date (and lets
 * identity create its signing key) once, then forks N API processes that share the
 * listening port. They stay consistent through the database as separate hosts would.
 */
async function serveWorkers(values: Values, workers: number): Promise<void> {
  const services = servicesOption(values.services) ?? (Object.keys(SERVICE_MODULES) as ServiceName[])
  // NOTE: image's start-up recovery sweeps its data directory for orphaned temp files;
  // a sibling process starting on the same directory could remove an upload in flight.
  if (services.includes('image'))
    throw new UsageError(
      '--workers > 1 cannot serve image: its crash recovery assumes one process per data directory',
    )
  await withAdminCloud(values, services, async () => 0)
  let exiting = false
  const forward = (signal: NodeJS.Signals) => {
    exiting = true
    for (const w of Object.values(cluster.workers ?? {})) w?.kill(signal)
  }
  process.on('SIGINT', () => forward('SIGINT'))
  process.on('SIGTERM', () => forward('SIGTERM'))
  let alive = workers
  cluster.on('exit', (worker, code) => {
    alive--
    if (!exiting) console.error(`cloudlet: API worker ${worker.process.pid} exited with ${code}`)
    if (alive === 0) process.exit(exiting ? 0 : 1)
  })
  for (let i = 0; i < workers; i++) cluster.fork()
}

async function serve(command: 'up' | 'api', values: Values) {
  const workers = values.workers === undefined ? 1 : Number(values.workers)
  if (!Number.isInteger(workers) || workers < 1)
    throw new UsageError('--workers takes a whole number of at least 1')
  if (workers > 1 && command !== 'api') throw new UsageError('--workers is for `cloudlet api`')
  if (workers > 1 && cluster.isPrimary) return serveWorkers(values, workers)
  const started = performance.now()
  const dataDir = dataDirOf(values)
  const cloud = await startCloud({
    dataDir,
    configFiles: values['config-file'] ?? [],
    services: servicesOption(values.services),
    host: values.host,
    port: values.port === undefined ? 5000 : Number(values.port),
  })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    cloud.app.log.info({ signal }, 'stopping')
    await cloud.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  if (command === 'up' && cloud.identity) {
    const creds = await bootstrap(cloud, dataDir)
    const authUrl = `${cloud.url}/identity/v3`
    if (!values['no-clouds-yaml']) {
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
    // Process uptime covers Node's own start and module loading, what a user waits for.
    const ready = Math.round(process.uptime() * 1000)
    const own = Math.round(performance.now() - started)
    console.log(
      `Cloudlet is up at ${cloud.url} (${cloud.services.map((s) => s.prefix).join(' ')}); ready in ${ready} ms (${own} ms after modules loaded)`,
    )
    console.log('  openstack --os-cloud cloudlet-admin catalog list')
    // Only commands the services running here can answer (there is no compute yet).
    const served = new Set(cloud.services.map((s) => s.name))
    if (served.has('image')) console.log('  openstack --os-cloud cloudlet image list')
    if (served.has('placement')) console.log('  openstack --os-cloud cloudlet-admin resource provider list')
    console.log('Ctrl-C stops it; the data directory keeps everything for the next start.')
  } else {
    const who = cluster.isWorker ? ` (worker ${process.pid})` : ''
    console.log(`Cloudlet API serving ${cloud.services.map((s) => s.prefix).join(' ')} at ${cloud.url}${who}`)
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv)
  const [command, sub, ...rest] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return command ? 0 : 2
  }
  switch (command) {
    case 'up':
    case 'api':
      await serve(command, values)
      return -1 // keep running
    case 'bootstrap':
      return withAdminCloud(values, undefined, async (cloud, dataDir) => {
        await bootstrap(cloud, dataDir)
        console.log(`bootstrapped; credentials in ${join(dataDir, 'credentials.json')}`)
        return 0
      })
    case 'db':
      if (sub !== 'upgrade')
        throw new UsageError('usage: cloudlet db upgrade [--config-file F] [--data-dir D]')
      // Building the cloud migrates every selected service's database.
      return withAdminCloud(values, servicesOption(values.services), async () => {
        console.log('database schemas are up to date')
        return 0
      })
    case 'token':
      if (sub !== 'rotate')
        throw new UsageError('usage: cloudlet token rotate [--config-file F] [--data-dir D]')
      return withAdminCloud(values, ['identity'], async (cloud) => {
        await cloud.identity!.rotateSigningKey()
        console.log(
          'new token signing key in use; tokens signed with older keys stay valid until they expire',
        )
        return 0
      })
    case 'config': {
      if (sub === 'check') {
        const files = [...rest, ...(values['config-file'] ?? [])]
        if (files.length === 0) throw new UsageError('usage: cloudlet config check FILE [FILE...]')
        const { problems } = checkConfig(fullSchema(), files)
        if (problems.length === 0) {
          console.log(`${files.join(', ')}: no problems found`)
          return 0
        }
        console.log(formatProblems(problems))
        return problems.some((p) => p.severity === 'error') ? 1 : 0
      }
      if (sub === 'sample') {
        console.log(describeSchema(fullSchema()))
        return 0
      }
      throw new UsageError('usage: cloudlet config check FILE | cloudlet config sample')
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    ) {
      console.error(`cloudlet: ${(error as Error).message}`)
      process.exit(2)
    }
    console.error(`cloudlet: ${(error as Error).stack ?? error}`)
    process.exit(1)
  },
)
