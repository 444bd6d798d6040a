/**
 * Shared by this folder's tests: a small schema in the shape services will write, and
 * temporary configuration files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineSections, mergeSchemas, opt } from './schema.js'

export const kernelConfig = defineSections({
  DEFAULT: {
    debug: opt.bool({ default: false, help: 'Log at debug level.' }),
    transport_url: opt.str({ default: undefined, secret: true, help: 'Message bus URL.' }),
    my_ip: opt.str({ default: '127.0.0.1', help: 'This host address.' }),
  },
  database: {
    connection: opt.str({
      default: undefined,
      secret: true,
      help: 'Database URL.',
      deprecatedNames: [{ section: 'DEFAULT', name: 'sql_connection' }, { name: 'sql_url' }],
    }),
    max_retries: opt.int({ default: 10, min: -1, help: 'Retries on connect; -1 forever.' }),
    retry_interval: opt.float({ default: 10, min: 0, help: 'Seconds between retries.' }),
  },
  api: {
    bind_port: opt.port({ default: 5000, help: 'API port.' }),
    workers: opt.int({ default: undefined, min: 1, help: 'API worker processes.' }),
    enabled_apis: opt.list({ default: ['identity', 'compute'], help: 'APIs to serve.' }),
    legacy_mode: opt.bool({
      default: false,
      help: 'Old behaviour.',
      deprecatedForRemoval: true,
      deprecatedReason: 'No client needs it any more.',
    }),
    pci_alias: opt.multiStr({ help: 'One PCI alias per line.' }),
  },
})

export const identityConfig = defineSections({
  token: {
    expiration: opt.int({ default: 3600, min: 0, help: 'Token lifetime in seconds.' }),
    provider: opt.enum({ choices: ['jws', 'fernet'] as const, default: 'jws', help: 'Token format.' }),
  },
  identity: {
    password_hash_algorithm: opt.enum({ choices: ['bcrypt', 'scrypt'], default: 'bcrypt', help: 'Hash.' }),
    password_hash_rounds: opt.int({ default: undefined, min: 4, max: 31, help: 'Hash rounds.' }),
  },
  api: {
    max_body_size: opt.int({ default: 114688, min: 1, help: 'Largest request body in bytes.' }),
  },
})

export const schema = mergeSchemas(kernelConfig, identityConfig)

/** Writes each text to its own file in a fresh temporary directory; returns the paths. */
export function writeFiles(...texts: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-config-'))
  return texts.map((text, i) => {
    const path = join(dir, `file${i + 1}.conf`)
    writeFileSync(path, text)
    return path
  })
}
