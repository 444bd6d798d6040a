/**
 * An inject harness for a set of modules: starts them on a real host (SQLite files in a
 * temporary data directory, no socket) with a fake token provider in place of identity,
 * and calls their APIs as personas.
 *
 *   const t = await startTestHost({ modules: [placementModule] })
 *   const res = await t.call('GET', '/placement/resource_providers', { as: 'system-reader' })
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { defineSections } from '../config/index.js'
import { type AnyServiceModule, type Host, startHost } from '../host/index.js'
import { FakeTokens } from './fake-tokens.js'
import type { PersonaName } from './personas.js'

export interface TestHostOptions {
  /** The modules under test (a module providing `tokens` replaces the fake one). */
  modules: readonly AnyServiceModule[]
  /** Config sections as an INI file would give them, e.g. `{ api: { auth_strategy: 'noauth2' } }`. */
  config?: Record<string, Record<string, string | number | boolean>>
  /** Use this data directory (kept); default a temporary one, removed by close(). */
  dataDir?: string
}

export interface CallOptions {
  /** A persona name or a token string. */
  as?: PersonaName | (string & {})
  body?: unknown
  /** `OpenStack-API-Version: <service> <version>` */
  version?: string
  headers?: Record<string, string>
}

export interface TestReply {
  status: number
  headers: LightMyRequestResponse['headers']
  /** Parsed JSON, or the text. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read reply bodies by path
  body: any
}

export interface TestHost {
  host: Host
  tokens: FakeTokens
  dataDir: string
  call(method: string, url: string, options?: CallOptions): Promise<TestReply>
  close(): Promise<void>
}

/** A module that provides only `tokens`, validating them with `FakeTokens`. */
export function fakeIdentityModule(tokens: FakeTokens): AnyServiceModule {
  return {
    name: 'fake-identity',
    serviceType: 'fake-identity',
    prefix: '/fake-identity',
    configSchema: defineSections({}),
    migrations: [],
    roles: [],
    provides: ['tokens'],
    create: async () => ({ provides: { tokens } }),
  }
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const tokens = new FakeTokens()
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cloudlet-test-host-'))
  const env: Record<string, string> = {}
  for (const [section, values] of Object.entries(options.config ?? {}))
    for (const [name, value] of Object.entries(values))
      env[`OS_${section.toUpperCase()}__${name.toUpperCase()}`] = String(value)
  const hasTokens = options.modules.some((m) => m.provides?.includes('tokens'))
  const modules = hasTokens ? options.modules : [fakeIdentityModule(tokens), ...options.modules]
  const host = await startHost({
    modules,
    services: options.modules.map((m) => m.name),
    dataDir,
    env,
    listen: false,
    logger: false,
    closeDeadlineMs: 2000,
  })
  return {
    host,
    tokens,
    dataDir,
    async call(method, url, opts = {}) {
      const service = url.split('/')[1] ?? ''
      const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
      if (opts.as) headers['x-auth-token'] = opts.as
      if (opts.version) headers['openstack-api-version'] = `${service} ${opts.version}`
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json'
      const res = await host.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(opts.body === undefined
          ? {}
          : { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
      })
      let body: unknown = res.body
      if (String(res.headers['content-type'] ?? '').includes('json') && res.body) body = JSON.parse(res.body)
      return { status: res.statusCode, headers: res.headers, body }
    },
    async close() {
      await host.close()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
