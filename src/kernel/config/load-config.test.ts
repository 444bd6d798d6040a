import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConfigError, type ConfigProblem } from './config-error.js'
import { envName, loadConfig } from './load-config.js'
import { defineSections, opt } from './schema.js'
import { schema, writeFiles } from './test-support.js'

const quiet = { onWarning: () => {} }

function loadError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err
  }
  assert.fail('expected a ConfigError')
}

describe('loadConfig', () => {
  it('gives the defaults with no files and no environment', () => {
    const cfg = loadConfig(schema)
    assert.equal(cfg.DEFAULT.debug, false)
    assert.equal(cfg.DEFAULT.transport_url, undefined)
    assert.equal(cfg.token.expiration, 3600)
    assert.equal(cfg.token.provider, 'jws')
    assert.equal(cfg.identity.password_hash_rounds, undefined)
    assert.deepEqual(cfg.api.enabled_apis, ['identity', 'compute'])
    assert.deepEqual(cfg.api.pci_alias, [])
    assert.equal(cfg.api.max_body_size, 114688)
  })

  it('coerces every kind from a file', () => {
    const [file] = writeFiles(
      [
        '[DEFAULT]',
        'debug = Yes',
        'transport_url = rabbit://u:p@mq:5672/',
        '[database]',
        'connection = mysql+pymysql://u:p@db/keystone?charset=utf8',
        'max_retries = -1',
        'retry_interval = 0.5',
        '[api]',
        'bind_port = 8774',
        'workers = 4',
        'enabled_apis = compute,',
        '  placement, image',
        '[token]',
        'provider: fernet',
        '[identity]',
        'password_hash_rounds = 12',
      ].join('\n'),
    )
    const cfg = loadConfig(schema, { files: [file!] })
    assert.equal(cfg.DEFAULT.debug, true)
    assert.equal(cfg.DEFAULT.transport_url, 'rabbit://u:p@mq:5672/')
    assert.equal(cfg.database.connection, 'mysql+pymysql://u:p@db/keystone?charset=utf8')
    assert.equal(cfg.database.max_retries, -1)
    assert.equal(cfg.database.retry_interval, 0.5)
    assert.equal(cfg.api.bind_port, 8774)
    assert.equal(cfg.api.workers, 4)
    assert.deepEqual(cfg.api.enabled_apis, ['compute', 'placement', 'image'])
    assert.equal(cfg.token.provider, 'fernet')
    assert.equal(cfg.identity.password_hash_rounds, 12)
  })

  it('layers defaults < earlier files < later files < environment', () => {
    const files = writeFiles(
      '[token]\nexpiration = 100\nprovider = fernet\n[api]\nworkers = 2\n',
      '[token]\nexpiration = 200\n',
    )
    const cfg = loadConfig(schema, { files, env: { OS_TOKEN__EXPIRATION: '300' } })
    assert.equal(cfg.token.expiration, 300)
    assert.equal(cfg.token.provider, 'fernet')
    assert.equal(cfg.api.workers, 2)
    assert.equal(loadConfig(schema, { files }).token.expiration, 200)
    assert.equal(loadConfig(schema, { files: [...files].reverse() }).token.expiration, 100)
  })

  it('reads OS_<SECTION>__<OPTION> variables, DEFAULT included, and ignores others', () => {
    assert.equal(envName('DEFAULT', 'debug'), 'OS_DEFAULT__DEBUG')
    assert.equal(envName('database', 'connection'), 'OS_DATABASE__CONNECTION')
    const cfg = loadConfig(schema, {
      env: {
        OS_DEFAULT__DEBUG: 'on',
        OS_DATABASE__CONNECTION: 'sqlite:///x.db',
        OS_API__ENABLED_APIS: 'a,b',
        OS_TOKEN__NOPE: '1',
        OS_PASSWORD: 'x',
        OS_IDENTITY__PASSWORD_HASH_ROUNDS: undefined,
      },
    })
    assert.equal(cfg.DEFAULT.debug, true)
    assert.equal(cfg.database.connection, 'sqlite:///x.db')
    assert.deepEqual(cfg.api.enabled_apis, ['a', 'b'])
    assert.equal(cfg.identity.password_hash_rounds, undefined)
  })

  it('lets the last line win within a file, and an empty value restore the default', () => {
    const files = writeFiles('[token]\nexpiration = 1\nexpiration = 2\n', '[token]\nexpiration =\n')
    assert.equal(loadConfig(schema, { files: files.slice(0, 1) }).token.expiration, 2)
    assert.equal(loadConfig(schema, { files }).token.expiration, 3600)
  })

  it('accumulates a multi-valued option across lines and files; the environment replaces it', () => {
    const files = writeFiles('[api]\npci_alias = a\npci_alias = b\n', '[api]\npci_alias = c\n')
    assert.deepEqual(loadConfig(schema, { files }).api.pci_alias, ['a', 'b', 'c'])
    assert.deepEqual(loadConfig(schema, { files, env: { OS_API__PCI_ALIAS: 'd' } }).api.pci_alias, ['d'])
  })

  it('ignores unknown sections and options: other services share the files', () => {
    const [file] = writeFiles(
      '[keystone_authtoken]\nwww_authenticate_uri = x\n[token]\nnot_ours = 1\ncaching = ?\n',
    )
    assert.equal(loadConfig(schema, { files: [file!] }).token.expiration, 3600)
  })

  it('accepts deprecated names, with a warning naming the new one', () => {
    const [file] = writeFiles('[DEFAULT]\nsql_connection = sqlite:///old.db\n')
    const warnings: ConfigProblem[] = []
    const cfg = loadConfig(schema, { files: [file!], onWarning: (w) => warnings.push(w) })
    assert.equal(cfg.database.connection, 'sqlite:///old.db')
    assert.deepEqual(warnings, [
      {
        severity: 'warning',
        file,
        line: 2,
        section: 'DEFAULT',
        option: 'sql_connection',
        message: 'deprecated name; use [database] connection instead',
      },
    ])
  })

  it('prefers the current name over a deprecated one in the same file, but a later file wins', () => {
    const files = writeFiles(
      '[database]\nconnection = sqlite:///new.db\nsql_url = sqlite:///alias.db\n',
      '[DEFAULT]\nsql_connection = sqlite:///later.db\n',
    )
    assert.equal(
      loadConfig(schema, { files: files.slice(0, 1), ...quiet }).database.connection,
      'sqlite:///new.db',
    )
    assert.equal(loadConfig(schema, { files, ...quiet }).database.connection, 'sqlite:///later.db')
  })

  it('warns when an option deprecated for removal is set, with the reason', () => {
    const [file] = writeFiles('[api]\nlegacy_mode = true\n')
    const warnings: ConfigProblem[] = []
    const cfg = loadConfig(schema, { files: [file!], onWarning: (w) => warnings.push(w) })
    assert.equal(cfg.api.legacy_mode, true)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!.message, /deprecated for removal \(No client needs it any more\.\)/)
    const silent: ConfigProblem[] = []
    loadConfig(schema, { onWarning: (w) => silent.push(w) })
    assert.deepEqual(silent, [])
  })

  it('reports every invalid value at once, with file:line, and never shows a secret', () => {
    const [a, b] = writeFiles(
      '[DEFAULT]\ndebug = maybe\n[token]\nexpiration = soon\nprovider = uuid\n',
      '[identity]\npassword_hash_rounds = 99\n[api]\nbind_port = 70000\n[database]\nconnection =\n',
    )
    const err = loadError(() =>
      loadConfig(schema, {
        files: [a!, b!],
        env: { OS_DATABASE__MAX_RETRIES: 'x', OS_DEFAULT__TRANSPORT_URL: '' },
      }),
    )
    assert.deepEqual(
      err.problems.map((p) => [p.file, p.line, p.section, p.option]),
      [
        [a, 2, 'DEFAULT', 'debug'],
        [a, 4, 'token', 'expiration'],
        [a, 5, 'token', 'provider'],
        [b, 2, 'identity', 'password_hash_rounds'],
        [b, 4, 'api', 'bind_port'],
        ['env:OS_DATABASE__MAX_RETRIES', 0, 'database', 'max_retries'],
      ],
    )
    assert.ok(err.problems.every((p) => p.severity === 'error'))
    assert.match(err.message, /^Invalid configuration \(6 problems\):/)
    assert.ok(
      err.message.includes(`${a}:2: error: [DEFAULT] debug: invalid value "maybe": must be a boolean`),
    )
    assert.ok(
      err.message.includes(
        `${a}:5: error: [token] provider: invalid value "uuid": must be one of: jws, fernet`,
      ),
    )
    assert.ok(
      err.message.includes('env:OS_DATABASE__MAX_RETRIES: error: [database] max_retries: invalid value "x"'),
    )
    assert.ok(
      err.message.includes(
        `${b}:2: error: [identity] password_hash_rounds: invalid value "99": must be between 4 and 31`,
      ),
    )
  })

  it('masks secret values in errors', () => {
    const [file] = writeFiles('[DEFAULT]\nsecret_port = hunter2\n')
    const s = defineSections({ DEFAULT: { secret_port: opt.port({ default: 1, secret: true, help: 'x' }) } })
    const err = loadError(() => loadConfig(s, { files: [file!] }))
    assert.ok(!err.message.includes('hunter2'))
    assert.match(err.message, /invalid value \(secret value\): must be an integer/)
  })

  it('fails on a missing file and on syntax errors, listing them all', () => {
    const [bad] = writeFiles('[DEFAULT]\ndebug = true\nno separator here\n')
    const err = loadError(() => loadConfig(schema, { files: ['/nonexistent/cloudlet.conf', bad!] }))
    assert.deepEqual(
      err.problems.map((p) => [p.file, p.line, p.message]),
      [
        ['/nonexistent/cloudlet.conf', 0, 'file not found'],
        [bad, 3, 'expected "key = value"'],
      ],
    )
  })

  it('returns a deeply frozen object: assignment throws', () => {
    const cfg = loadConfig(schema)
    assert.ok(Object.isFrozen(cfg) && Object.isFrozen(cfg.token) && Object.isFrozen(cfg.api.enabled_apis))
    assert.throws(() => {
      ;(cfg.token as { expiration: number }).expiration = 1
    }, TypeError)
    assert.throws(() => {
      ;(cfg as unknown as Record<string, unknown>).token = {}
    }, TypeError)
    assert.throws(() => (cfg.api.enabled_apis as string[]).push('x'), TypeError)
    // @ts-expect-error: the type is read-only too
    const assign = () => (cfg.token.expiration = 2)
    assert.throws(assign, TypeError)
  })

  it('gives each load its own object', () => {
    const a = loadConfig(schema, { env: { OS_TOKEN__EXPIRATION: '1' } })
    const b = loadConfig(schema)
    assert.notEqual(a, b)
    assert.equal(b.token.expiration, 3600)
  })
})
