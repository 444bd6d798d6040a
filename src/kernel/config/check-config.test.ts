import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConfig } from './check-config.js'
import { formatProblems } from './config-error.js'
import { defineSections, opt } from './schema.js'
import { editDistance } from './suggest.js'
import { schema, writeFiles } from './test-support.js'

/** Runs the checker on one file's text; returns `line severity [section] option: message` strings. */
function check(text: string): string[] {
  const [file] = writeFiles(text)
  return checkConfig(schema, [file!]).problems.map(
    (p) => `${p.line} ${p.severity} [${p.section}] ${p.option}: ${p.message}`,
  )
}

describe('checkConfig', () => {
  it('finds nothing in a clean file', () => {
    assert.deepEqual(check('[DEFAULT]\ndebug = true\n[token]\nexpiration = 60\n'), [])
  })

  it('suggests the closest option in the same section', () => {
    assert.deepEqual(check('[token]\nexpiraton = 60\nProvider = jws\n'), [
      '2 warning [token] expiraton: unknown option; did you mean [token] expiration?',
      '3 warning [token] Provider: unknown option; did you mean [token] provider?',
    ])
  })

  it('suggests the same option name in another section', () => {
    assert.deepEqual(check('[DEFAULT]\nconnection = sqlite://\n[api]\nexpiration = 5\n'), [
      '2 warning [DEFAULT] connection: unknown option; did you mean [database] connection?',
      '4 warning [api] expiration: unknown option; did you mean [token] expiration?',
    ])
  })

  it('falls back to a close name in another section, or no suggestion at all', () => {
    assert.deepEqual(check('[DEFAULT]\nconection = x\nfrobnicate = 1\n'), [
      '2 warning [DEFAULT] conection: unknown option; did you mean [database] connection?',
      '3 warning [DEFAULT] frobnicate: unknown option',
    ])
  })

  it('reports an unknown section once, at its header, with a suggestion', () => {
    assert.deepEqual(
      check(
        '[databse]\nconnection = x\nmax_retries = 1\n[default]\ndebug = 1\n[oslo_messaging_rabbit]\nx = 1\n',
      ),
      [
        '1 warning [databse] : unknown section; did you mean [database]?',
        '4 warning [default] : unknown section; did you mean [DEFAULT]?',
        '6 warning [oslo_messaging_rabbit] : unknown section',
      ],
    )
  })

  it('names the new name for a deprecated one, and gives the removal reason', () => {
    assert.deepEqual(check('[DEFAULT]\nsql_connection = x\n[api]\nlegacy_mode = false\n'), [
      '2 warning [DEFAULT] sql_connection: deprecated name; use [database] connection instead',
      '4 warning [api] legacy_mode: deprecated for removal (No client needs it any more.); its value may be ignored in a future release',
    ])
  })

  it('reports every invalid value as an error', () => {
    const text = [
      '[DEFAULT]',
      'debug = perhaps',
      '[database]',
      'max_retries = many',
      'retry_interval = -1',
      '[api]',
      'bind_port = 99999',
      'workers = 0',
      '[token]',
      'provider = Fernet',
      '[identity]',
      'password_hash_rounds = 3.5',
    ].join('\n')
    assert.deepEqual(check(text), [
      '2 error [DEFAULT] debug: invalid value "perhaps": must be a boolean (true/false, yes/no, on/off, 1/0)',
      '4 error [database] max_retries: invalid value "many": must be an integer',
      '5 error [database] retry_interval: invalid value "-1": must be at least 0',
      '7 error [api] bind_port: invalid value "99999": must be between 0 and 65535',
      '8 error [api] workers: invalid value "0": must be at least 1',
      '10 error [token] provider: invalid value "Fernet": must be one of: jws, fernet (did you mean fernet?)',
      '12 error [identity] password_hash_rounds: invalid value "3.5": must be an integer',
    ])
  })

  it('checks every line, even one a later line overrides, and says which line wins', () => {
    assert.deepEqual(
      check('[token]\nexpiration = x\nexpiration = 5\n[api]\npci_alias = a\npci_alias = b\n'),
      [
        '2 error [token] expiration: invalid value "x": must be an integer',
        '2 warning [token] expiration: ignored: also set on line 3, which wins',
      ],
    )
  })

  it('says a deprecated name is ignored when the current one is also set', () => {
    assert.deepEqual(check('[database]\nsql_url = a\nconnection = b\n'), [
      '2 warning [database] sql_url: deprecated name; use [database] connection instead',
      '2 warning [database] sql_url: ignored: also set on line 3, which wins',
    ])
  })

  it('never quotes a secret value', () => {
    const secret = defineSections({ vault: { pin: opt.int({ default: 0, secret: true, help: 'PIN.' }) } })
    const [file] = writeFiles('[vault]\npin = hunter2\n')
    const [problem] = checkConfig(secret, [file!]).problems
    assert.equal(problem?.message, 'invalid value (secret value): must be an integer')
  })

  it('reports a missing file and syntax errors as errors', () => {
    const [bad] = writeFiles('[DEFAULT]\n  stray\nbroken line\n')
    const { problems } = checkConfig(schema, ['/nonexistent.conf', bad!])
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.severity, p.message]),
      [
        ['/nonexistent.conf', 0, 'error', 'file not found'],
        [bad, 2, 'error', 'unexpected continuation line'],
        [bad, 3, 'error', 'expected "key = value"'],
      ],
    )
  })

  it('checks each file on its own', () => {
    const files = writeFiles('[token]\nexpiration = 1\n', '[token]\nexpiration = 2\nbogus = 1\n')
    const { problems } = checkConfig(schema, files)
    assert.deepEqual(
      problems.map((p) => [p.file, p.line, p.option]),
      [[files[1], 3, 'bogus']],
    )
  })
})

describe('formatProblems', () => {
  it('sorts by file and line and counts errors and warnings', () => {
    const [file] = writeFiles('[token]\nexpiraton = 1\n[DEFAULT]\ndebug = x\n')
    const text = formatProblems([
      ...checkConfig(schema, [file!]).problems,
      ...checkConfig(schema, ['/nonexistent.conf']).problems,
    ])
    assert.equal(
      text,
      [
        '/nonexistent.conf: error: file not found',
        `${file}:2: warning: [token] expiraton: unknown option; did you mean [token] expiration?`,
        `${file}:4: error: [DEFAULT] debug: invalid value "x": must be a boolean (true/false, yes/no, on/off, 1/0)`,
        '2 errors, 1 warning',
      ].join('\n'),
    )
  })

  it('says so when there is nothing to report', () => {
    assert.equal(formatProblems([]), 'No problems found.')
  })
})

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions, ignoring case', () => {
    assert.equal(editDistance('connection', 'conection'), 1)
    assert.equal(editDistance('kitten', 'sitting'), 3)
    assert.equal(editDistance('DEFAULT', 'default'), 0)
    assert.equal(editDistance('', 'abc'), 3)
  })
})
