import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkConfig } from './check-config.js'
import { describeSchema, formatConfig } from './describe-schema.js'
import { loadConfig } from './load-config.js'
import { parseIni } from './parse-ini.js'
import { defineSections, opt } from './schema.js'
import { schema, writeFiles } from './test-support.js'

describe('describeSchema', () => {
  const sample = describeSchema(schema)

  it('lists DEFAULT first, then sections alphabetically', () => {
    const headers = sample.split('\n').filter((l) => l.startsWith('['))
    assert.deepEqual(headers, ['[DEFAULT]', '[api]', '[database]', '[identity]', '[token]'])
  })

  it('annotates each option with help, type, bounds, choices, environment and default', () => {
    assert.ok(
      sample.includes(
        [
          '# Token lifetime in seconds. (integer value)',
          '# Minimum value: 0',
          '# Environment variable: OS_TOKEN__EXPIRATION',
          '#expiration = 3600',
        ].join('\n'),
      ),
    )
    assert.ok(
      sample.includes(
        '# Allowed values: jws, fernet\n# Environment variable: OS_TOKEN__PROVIDER\n#provider = jws',
      ),
    )
    assert.ok(sample.includes('# Minimum value: 4\n# Maximum value: 31\n'))
    assert.ok(sample.includes('#password_hash_rounds = <None>'))
    assert.ok(
      sample.includes(
        '# API port. (port value)\n# Environment variable: OS_API__BIND_PORT\n#bind_port = 5000',
      ),
    )
    assert.ok(sample.includes('#enabled_apis = identity,compute'))
    assert.ok(sample.includes('#pci_alias =\n'))
  })

  it('shows deprecated names and removal reasons, and marks secrets', () => {
    assert.ok(sample.includes('# Database URL. (string value, secret)'))
    assert.ok(
      sample.includes('# Deprecated name: [DEFAULT] sql_connection\n# Deprecated name: [database] sql_url'),
    )
    assert.ok(
      sample.includes(
        '# Deprecated for removal; its value may be ignored in a future release.\n# Reason: No client needs it any more.',
      ),
    )
  })

  it('masks secret defaults and wraps long help', () => {
    const s = defineSections({
      DEFAULT: {
        admin_token: opt.str({ default: 'letmein', secret: true, help: 'word '.repeat(40) }),
      },
    })
    const text = describeSchema(s)
    assert.ok(text.includes('#admin_token = ****'))
    assert.ok(!text.includes('letmein'))
    assert.ok(text.split('\n').every((l) => l.length <= 79))
  })

  it('is itself a valid file with no problems: every option is commented out', () => {
    const [file] = writeFiles(sample)
    assert.deepEqual(checkConfig(schema, [file!]).problems, [])
    assert.deepEqual(parseIni(sample).entries, [])
  })

  it('uncommented, gives back the defaults', () => {
    // Options without a default, or with an empty multi default, stay commented out.
    const uncommented = sample.replace(/^#(\w+ = (?!<None>).+)$/gm, '$1')
    const [file] = writeFiles(uncommented)
    const cfg = loadConfig(schema, { files: [file!], onWarning: () => {} })
    assert.deepEqual(cfg, loadConfig(schema))
  })
})

describe('formatConfig', () => {
  it('prints one line per option and masks secrets', () => {
    const cfg = loadConfig(schema, {
      env: { OS_DATABASE__CONNECTION: 'mysql://root:hunter2@db/x', OS_API__PCI_ALIAS: 'gpu' },
    })
    const text = formatConfig(schema, cfg)
    assert.ok(!text.includes('hunter2'))
    const lines = text.split('\n')
    assert.ok(lines.includes('[database] connection = ****'))
    assert.ok(lines.includes('[DEFAULT] transport_url = <None>'))
    assert.ok(lines.includes('[token] provider = jws'))
    assert.ok(lines.includes('[api] enabled_apis = identity,compute'))
    assert.ok(lines.includes('[api] pci_alias = ["gpu"]'))
  })
})
