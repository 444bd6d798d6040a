/**
 * The `cloudlet` command line: which commands exist, which options each takes, and the
 * checks on their values. Everything here runs before any service module is loaded and
 * before anything is written, so a mistyped command line costs nothing and says one
 * line. (Node's own argument parser reports in its own words, e.g. "To specify a
 * positional argument starting with a '-' ..."; operators should read ours.)
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { closest, editDistance } from '../kernel/config/suggest.js'
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../kernel/log/logger.js'

/** A mistake in how the command was called: one line on stderr and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Where a usage error points the reader. */
export const SEE_HELP = "see 'cloudlet --help'"

export const USAGE = `usage: cloudlet <command> [options]

commands:
  up                 start the whole cloud in one process
  api                start an API process serving --services
  bootstrap          create the admin user, project, roles and catalog, then exit
  db upgrade         bring every service's database schema up to date
  token rotate       make a new token signing key; older keys keep validating
  config check FILE  check a configuration file
  config sample      print an annotated sample configuration
  conductor          run the conductor role of the services that have one (no HTTP)
  scheduler          run the scheduler role
  scheduler explain  the scheduler's decision for a hypothetical request, without
                     booting: candidates, each filter's removals with per-host reasons,
                     the ranked hosts with their weights (asks a running cloud's
                     compute API as --os-cloud, default cloudlet-admin)
  compute            run the compute agent role; --host names the hypervisor host
  bus status         the message bus (queues, consumers, depth) and the worker roles
                     each service has registered, up or down
  host drain HOST    disable HOST's compute service with --reason, live-migrate its
                     servers (cold-migrate the rest), show progress and a summary;
                     run again to resume (asks a running cloud as --os-cloud)
  host evacuate HOST force HOST down and evacuate its servers to other hosts
  volume update-host --currenthost A --newhost B
                     re-home every volume (and group) of volume host A (host@backend)
                     on B, keeping pools: cinder-manage's update_host through the
                     block storage API (asks a running cloud as --os-cloud)

options:
  --port N           listen port, 0 for any free one (default 5000)
  --host ADDR        listen address (default 127.0.0.1); for conductor, scheduler
                     and compute: this process's host name ([DEFAULT] host)
  --data-dir DIR     where databases, keys and images live
                     (default $CLOUDLET_DATA_DIR or ~/.local/share/cloudlet)
  --config-file F    an oslo-style INI file; may be repeated
  --services LIST    comma-separated services (default: all)
  --no-clouds-yaml   (up) do not write clouds.yaml entries
  --workers N        (api) N processes sharing the port; a worker that dies is replaced
  --log-level LEVEL  trace, debug, info, warn, error, fatal or silent (default: warn on
                     a terminal, info to a file or pipe; debug when [DEFAULT] debug = true)
  -d, --debug        the same as --log-level debug
  --flavor F         (scheduler explain) flavor id or name; required
  --image I          (scheduler explain) image id or name
  --hint K=V         (scheduler explain) a scheduler hint; may be repeated
  --project ID       (scheduler explain) the project asking (default: the cloud's)
  --availability-zone AZ  (scheduler explain) zone, zone:host or zone:host:node
  --count N          (scheduler explain) servers in the request (default 1)
  --os-cloud NAME    (scheduler explain) the clouds.yaml entry ($OS_CLIENT_CONFIG_FILE)
  --json             (scheduler explain) the API's JSON instead of text
  --reason TEXT      (host drain, host evacuate) why the host is disabled
  --concurrency N    (host drain, host evacuate) servers moved at once (default 4)
  --currenthost A    (volume update-host) the volume host the volumes are on now
  --newhost B        (volume update-host) a registered volume host to move them to
  -h, --help         this text

One process owns a data directory: a second up, api, bootstrap or db upgrade on it is
refused until the first stops. Logs go to stderr.
`

type OptionName =
  | 'port'
  | 'host'
  | 'data-dir'
  | 'config-file'
  | 'services'
  | 'no-clouds-yaml'
  | 'workers'
  | 'log-level'
  | 'debug'
  | 'help'
  | 'flavor'
  | 'image'
  | 'hint'
  | 'project'
  | 'availability-zone'
  | 'count'
  | 'os-cloud'
  | 'json'
  | 'reason'
  | 'concurrency'
  | 'currenthost'
  | 'newhost'

interface OptionSpec {
  /** Takes a value (`--port 5000` or `--port=5000`); otherwise a switch. */
  value?: string
  short?: string
}

const OPTIONS: Readonly<Record<OptionName, OptionSpec>> = {
  port: { value: 'N' },
  host: { value: 'ADDR' },
  'data-dir': { value: 'DIR' },
  'config-file': { value: 'FILE' },
  services: { value: 'LIST' },
  'no-clouds-yaml': {},
  workers: { value: 'N' },
  'log-level': { value: 'LEVEL' },
  debug: { short: 'd' },
  help: { short: 'h' },
  flavor: { value: 'F' },
  image: { value: 'I' },
  hint: { value: 'K=V' },
  project: { value: 'ID' },
  'availability-zone': { value: 'AZ' },
  count: { value: 'N' },
  'os-cloud': { value: 'NAME' },
  json: {},
  reason: { value: 'TEXT' },
  concurrency: { value: 'N' },
  currenthost: { value: 'HOST' },
  newhost: { value: 'HOST' },
}

const LOGGING: readonly OptionName[] = ['log-level', 'debug']
const DATA: readonly OptionName[] = ['data-dir', 'config-file', ...LOGGING]

/** Each command (with its sub-command) and the options it takes besides --help. */
const COMMANDS: Readonly<Record<string, readonly OptionName[]>> = {
  up: [...DATA, 'port', 'host', 'services', 'no-clouds-yaml', 'workers'],
  api: [...DATA, 'port', 'host', 'services', 'workers'],
  bootstrap: [...DATA, 'port', 'host'],
  'db upgrade': [...DATA, 'services'],
  'token rotate': DATA,
  'config check': ['config-file'],
  'config sample': [],
  conductor: [...DATA, 'host', 'services'],
  scheduler: [...DATA, 'host', 'services'],
  compute: [...DATA, 'host', 'services'],
  'bus status': DATA,
  'scheduler explain': [
    'flavor',
    'image',
    'hint',
    'project',
    'availability-zone',
    'count',
    'os-cloud',
    'json',
  ],
  'host drain': ['reason', 'concurrency', 'os-cloud'],
  'host evacuate': ['reason', 'concurrency', 'os-cloud'],
  'volume update-host': ['currenthost', 'newhost', 'os-cloud'],
}

/** `cloudlet host drain|evacuate HOST`'s options. */
export interface HostLine {
  host: string
  reason?: string
  concurrency: number
  cloud?: string
}

/** `cloudlet scheduler explain`'s request. */
export interface ExplainLine {
  flavor: string
  image?: string
  hints: Record<string, string | string[]>
  project?: string
  availabilityZone?: string
  count: number
  cloud?: string
  json: boolean
}

/** The command line, parsed and checked. */
export interface CommandLine {
  /** e.g. `up`, `db upgrade`; undefined for a bare `cloudlet` or `cloudlet --help`. */
  command?: string
  /** Positional arguments after the command (config check's files). */
  files: string[]
  help: boolean
  port?: number
  host?: string
  dataDir?: string
  configFiles: string[]
  services?: string[]
  cloudsYaml: boolean
  workers: number
  logLevel?: LogLevel
  /** `scheduler explain`'s options. */
  explain?: ExplainLine
  /** `host drain` / `host evacuate`'s options. */
  hostLine?: HostLine
  /** `volume update-host`'s options. */
  updateHost?: { currentHost: string; newHost: string; cloud?: string }
}

/** Parses and checks `argv` (without node and the script). @throws UsageError */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const given = new Map<OptionName, string[]>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const written = eq < 0 ? arg : arg.slice(0, eq)
    const name = optionNamed(written)
    const spec = OPTIONS[name]
    let value: string
    if (spec.value === undefined) {
      if (eq >= 0) throw new UsageError(`${written} takes no value; ${SEE_HELP}`)
      value = ''
    } else if (eq >= 0) {
      value = arg.slice(eq + 1)
    } else {
      // NOTE: the next word is the value even if it starts with one dash, so `--port -5`
      // is reported as a bad port; another `--option` means the value was left out.
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${written} needs a value (${spec.value}); ${SEE_HELP}`)
      value = next
      i++
    }
    given.set(name, [...(given.get(name) ?? []), value])
  }

  const help = given.has('help')
  const [first, second] = positionals
  const command = commandOf(first, second, help)
  const files = positionals.slice(command?.includes(' ') ? 2 : 1)
  if (command) {
    const allowed = COMMANDS[command]!
    for (const name of given.keys()) {
      if (name !== 'help' && !allowed.includes(name))
        throw new UsageError(`cloudlet ${command} does not take --${name}; ${SEE_HELP}`)
    }
    const positional = command === 'config check' || command.startsWith('host ')
    if (command.startsWith('host ') && files.length !== 1)
      throw new UsageError(`cloudlet ${command} needs one host name; ${SEE_HELP}`)
    if (files.length > 0 && !positional)
      throw new UsageError(`unexpected argument "${files[0]}" after cloudlet ${command}; ${SEE_HELP}`)
  }

  const one = (name: OptionName): string | undefined => {
    const values = given.get(name)
    if (values && values.length > 1 && name !== 'config-file' && name !== 'hint')
      throw new UsageError(`--${name} is given ${values.length} times; give it once`)
    return values?.[0]
  }
  const nonEmpty = (name: OptionName): string | undefined => {
    const value = one(name)
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${name} needs a value, not ""`)
    return value
  }

  const line: CommandLine = {
    command,
    files,
    help,
    configFiles: given.get('config-file') ?? [],
    cloudsYaml: !given.has('no-clouds-yaml'),
    workers: 1,
  }
  const port = one('port')
  if (port !== undefined) line.port = portNumber(port)
  const host = nonEmpty('host')
  if (host !== undefined) line.host = host
  const dataDir = nonEmpty('data-dir')
  if (dataDir !== undefined) line.dataDir = dataDir
  if (line.configFiles.some((f) => f.trim() === ''))
    throw new UsageError('--config-file needs a file name, not ""')
  const services = nonEmpty('services')
  if (services !== undefined) {
    line.services = services
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    if (line.services.length === 0) throw new UsageError(`--services needs at least one service name`)
  }
  const workers = one('workers')
  if (workers !== undefined) {
    if (!/^\d+$/.test(workers) || Number(workers) < 1 || Number(workers) > 256)
      throw new UsageError(`--workers takes a whole number from 1 to 256, not "${workers}"`)
    line.workers = Number(workers)
    if (line.workers > 1 && command !== 'api') throw new UsageError('--workers is for `cloudlet api`')
  }
  const level = one('log-level')
  if (level !== undefined) {
    if (!isLogLevel(level)) {
      const near = closest(level, LOG_LEVELS)
      throw new UsageError(
        `--log-level takes one of ${LOG_LEVELS.join(', ')}, not "${level}"${near ? ` (did you mean ${near}?)` : ''}`,
      )
    }
    line.logLevel = level
  } else if (given.has('debug')) line.logLevel = 'debug'
  if (command === 'scheduler explain') line.explain = explainLine(given, nonEmpty)
  if (command?.startsWith('host ')) {
    const concurrency = nonEmpty('concurrency')
    if (
      concurrency !== undefined &&
      (!/^\d+$/.test(concurrency) || Number(concurrency) < 1 || Number(concurrency) > 64)
    )
      throw new UsageError(`--concurrency takes a whole number from 1 to 64, not "${concurrency}"`)
    const reason = nonEmpty('reason')
    const cloud = nonEmpty('os-cloud')
    line.hostLine = {
      host: files[0]!,
      concurrency: concurrency === undefined ? 4 : Number(concurrency),
      ...(reason !== undefined ? { reason } : {}),
      ...(cloud !== undefined ? { cloud } : {}),
    }
  }
  if (command === 'volume update-host') {
    const currentHost = nonEmpty('currenthost')
    const newHost = nonEmpty('newhost')
    if (currentHost === undefined || newHost === undefined)
      throw new UsageError(`cloudlet volume update-host needs --currenthost and --newhost; ${SEE_HELP}`)
    const cloud = nonEmpty('os-cloud')
    line.updateHost = { currentHost, newHost, ...(cloud !== undefined ? { cloud } : {}) }
  }
  return line
}

function explainLine(
  given: ReadonlyMap<OptionName, string[]>,
  nonEmpty: (name: OptionName) => string | undefined,
): ExplainLine {
  const flavor = nonEmpty('flavor')
  if (flavor === undefined) throw new UsageError(`cloudlet scheduler explain needs --flavor; ${SEE_HELP}`)
  const hints: Record<string, string | string[]> = {}
  for (const h of given.get('hint') ?? []) {
    const eq = h.indexOf('=')
    if (eq <= 0) throw new UsageError(`--hint takes KEY=VALUE, not "${h}"`)
    const [k, v] = [h.slice(0, eq), h.slice(eq + 1)]
    const had = hints[k]
    hints[k] = had === undefined ? v : [...(typeof had === 'string' ? [had] : had), v]
  }
  const count = nonEmpty('count')
  if (count !== undefined && (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 1000))
    throw new UsageError(`--count takes a whole number from 1 to 1000, not "${count}"`)
  const out: ExplainLine = {
    flavor,
    hints,
    count: count === undefined ? 1 : Number(count),
    json: given.has('json'),
  }
  const image = nonEmpty('image')
  if (image !== undefined) out.image = image
  const project = nonEmpty('project')
  if (project !== undefined) out.project = project
  const zone = nonEmpty('availability-zone')
  if (zone !== undefined) out.availabilityZone = zone
  const cloud = nonEmpty('os-cloud')
  if (cloud !== undefined) out.cloud = cloud
  return out
}

function optionNamed(written: string): OptionName {
  if (/^-[^-]$/.test(written)) {
    const found = (Object.entries(OPTIONS) as [OptionName, OptionSpec][]).find(
      ([, spec]) => spec.short === written[1],
    )
    if (found) return found[0]
    throw new UsageError(`unknown option ${written}; ${SEE_HELP}`)
  }
  const bare = written.replace(/^--?/, '')
  if (written.startsWith('--') && bare in OPTIONS) return bare as OptionName
  // Option names are short: two edits (a swapped pair of letters) still say what was meant.
  const near = Object.keys(OPTIONS)
    .map((name) => ({ name, d: editDistance(bare, name) }))
    .filter(({ name, d }) => d <= Math.min(2, name.length - 2))
    .sort((a, b) => a.d - b.d)[0]?.name
  throw new UsageError(`unknown option ${written}${near ? ` (did you mean --${near}?)` : ''}; ${SEE_HELP}`)
}

function commandOf(first: string | undefined, second: string | undefined, help: boolean): string | undefined {
  if (first === undefined) {
    if (help) return undefined
    throw new UsageError(`no command given; ${SEE_HELP}`)
  }
  if (second !== undefined && `${first} ${second}` in COMMANDS) return `${first} ${second}`
  if (first in COMMANDS) return first
  const groups = new Set(
    Object.keys(COMMANDS)
      .filter((c) => c.includes(' '))
      .map((c) => c.split(' ')[0]!),
  )
  if (groups.has(first)) {
    const subs = Object.keys(COMMANDS)
      .filter((c) => c.startsWith(`${first} `))
      .map((c) => c.split(' ')[1]!)
    if (second !== undefined && subs.includes(second)) return `${first} ${second}`
    if (help && second === undefined) return undefined
    const what = second === undefined ? 'needs' : `has no "${second}"; it takes`
    throw new UsageError(`cloudlet ${first} ${what} one of: ${subs.join(', ')}; ${SEE_HELP}`)
  }
  const near = closest(first, [...Object.keys(COMMANDS).filter((c) => !c.includes(' ')), ...groups])
  throw new UsageError(`unknown command "${first}"${near ? ` (did you mean ${near}?)` : ''}; ${SEE_HELP}`)
}

function portNumber(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535)
    throw new UsageError(`--port takes a port number from 0 to 65535, not "${text}"`)
  return n
}

/** The data directory: --data-dir, else $CLOUDLET_DATA_DIR, else ~/.local/share/cloudlet. */
export function dataDirOf(line: Pick<CommandLine, 'dataDir'>): string {
  return resolve(
    line.dataDir ?? process.env.CLOUDLET_DATA_DIR ?? join(homedir(), '.local', 'share', 'cloudlet'),
  )
}
