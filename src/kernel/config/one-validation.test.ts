/**
 * The loader and `config check` read files through one path: whatever the check calls
 * an error, the loader refuses with the same words, and a file the check passes loads.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConfig } from './check-config.js'
import { ConfigError, formatProblem } from './config-error.js'
import { loadConfig } from './load-config.js'
import { defineSections, mergeSchemas, opt } from './schema.js'
import { schema as base, writeFiles } from './test-support.js'

const sized = defineSections({
  store: {
    quota: opt.str({
      default: '0',
      validate: (v) => (/^\d+\s*(KB|MB|GB)?$/i.test(v.trim()) ? undefined : 'must be a size such as 10GB'),
      help: 'A size.',
    }),
  },
})
const schema = mergeSchemas(base, sized)

/** The error lines the loader throws for `files`, or [] when it loads them. */
function loaderErrors(files: string[]): string[] {
  try {
    loadConfig(schema, { files, onWarning: () => {} })
    return []
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.problems.map(formatProblem)
  }
}

function checkErrors(files: string[]): string[] {
  return checkConfig(schema, files)
    .problems.filter((p) => p.severity === 'error')
    .map(formatProblem)
}

describe('one validation for the loader and config check', () => {
  const cases: Record<string, string> = {
    'a rule of a string option (a size written in words)': '[store]\nquota = 10 gigs\n',
    'a good size': '[store]\nquota = 10GB\n',
    'a bad line that a later line overrides': '[token]\nexpiration = soon\nexpiration = 60\n',
    'a bad value under a deprecated name': '[DEFAULT]\nsql_connection = x\n[database]\nmax_retries = -5\n',
    'a syntax error and an unknown option': '[token]\nnot a setting\nexpiraton = 5\n',
    'a clean file with unknown sections': '[databse]\nconnection = x\n[token]\nexpiration = 5\n',
    'an enum, a port and a bool':
      '[token]\nprovider = Fernet\n[api]\nbind_port = 99999\n[DEFAULT]\ndebug = si\n',
  }
  for (const [name, text] of Object.entries(cases)) {
    it(`agrees on ${name}`, () => {
      const files = writeFiles(text)
      assert.deepEqual(loaderErrors(files), checkErrors(files))
    })
  }

  it('refuses a size written in words in both, naming the file, line and rule', () => {
    const files = writeFiles('[store]\nquota = 10 gigs\n')
    const expected = [
      `${files[0]}:2: error: [store] quota: invalid value "10 gigs": must be a size such as 10GB`,
    ]
    assert.deepEqual(checkErrors(files), expected)
    assert.deepEqual(loaderErrors(files), expected)
  })

  it('refuses a bad line even when a later line overrides it, in both', () => {
    const files = writeFiles('[token]\nexpiration = soon\nexpiration = 60\n')
    assert.equal(loaderErrors(files).length, 1)
    assert.match(loaderErrors(files)[0]!, /:2: error: \[token\] expiration: invalid value "soon"/)
  })
})
