/**
 * A whole identity service (both halves, real storage) on one dialect, mounted in an
 * app for inject() tests, bootstrapped with an admin and a member.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions } from 'fastify'
import pino from 'pino'
import { loadConfig } from '../../../kernel/config/index.js'
import { type Dialect, migrateToLatest, openDatabase } from '../../../kernel/db/index.js'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { createApp } from '../../../kernel/http/index.js'
import { type IdentityConfig, identityConfigSchema, identityModule } from '../module.js'
import { type BootstrapInput, createIdentityResources, type IdentityDB } from '../resources.js'
import { createIdentityService } from '../service.js'

export interface ResourceHarness {
  app: FastifyInstance
  adminToken: string
  memberToken: string
  /** Calls the API with a token (admin by default); `body` becomes the JSON payload. */
  call(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<{ status: number; json: any; headers: Record<string, unknown> }>
  token(user: string, password: string, scope?: unknown, domain?: string): Promise<string>
  close(): Promise<void>
}

export async function startResourceHarness(
  options: {
    dialect?: Dialect
    security?: Partial<IdentityConfig['security_compliance']>
    /** Options merged into their sections, e.g. `{ DEFAULT: { list_limit: 2 } }`. */
    sections?: Record<string, Record<string, unknown>>
  } = {},
): Promise<ResourceHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'cloudlet-identity-'))
  const tdb = await createTestDatabase(options.dialect ?? 'sqlite')
  const { db, dialect } = await openDatabase<unknown>(tdb.connection)
  await migrateToLatest(db, 'identity', identityModule.migrations)
  const base = loadConfig(identityConfigSchema, { files: [] })
  const config = {
    ...base,
    identity: { ...base.identity, password_hash_rounds: 4 },
    security_compliance: { ...base.security_compliance, ...options.security },
    jwt_tokens: { ...base.jwt_tokens, jws_private_key_repository: join(dir, 'keys') },
    oslo_policy: { enforce_scope: true, enforce_new_defaults: true },
  } as IdentityConfig
  for (const [name, values] of Object.entries(options.sections ?? {})) {
    const c = config as unknown as Record<string, Record<string, unknown>>
    c[name] = { ...c[name], ...values }
  }
  const identity = await createIdentityService<IdentityDB, IdentityConfig, BootstrapInput>(
    {
      config,
      logger: pino({ level: 'silent' }),
      db: db as never,
      dialect,
      dataDir: dir,
    },
    createIdentityResources,
  )
  await identity.bootstrap({
    adminUsername: 'admin',
    adminPassword: 'secret-admin',
    adminProjectName: 'admin',
    regionId: 'RegionOne',
    services: [{ type: 'identity', name: 'keystone', url: 'http://cloud.test/identity' }],
    member: { username: 'demo', password: 'secret-demo', projectName: 'demo' },
  })
  const app = createApp({
    logger: process.env.IDENTITY_TEST_LOG ? { level: 'error' } : false,
    metrics: false,
  })
  await app.register(identity.plugin, { prefix: identity.prefix })
  await app.ready()

  const call: ResourceHarness['call'] = async (method, url, body, token) => {
    const opts: InjectOptions = {
      method: method as InjectOptions['method'],
      url: `/identity${url}`,
      headers: { host: 'cloud.test', ...(token === null ? {} : { 'x-auth-token': token ?? h.adminToken }) },
    }
    if (body !== undefined) {
      if (typeof body === 'string') {
        opts.payload = body
        opts.headers = { ...opts.headers, 'content-type': 'application/json' }
      } else opts.payload = body as object
    }
    const res = await app.inject(opts)
    let json: unknown
    try {
      json = res.body ? JSON.parse(res.body) : undefined
    } catch {
      json = res.body
    }
    return { status: res.statusCode, json, headers: res.headers }
  }
  const token: ResourceHarness['token'] = async (user, password, scope, domain = 'default') => {
    const res = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: user, domain: { id: domain }, password } },
          },
          ...(scope ? { scope } : {}),
        },
      },
    })
    if (res.statusCode !== 201) throw new Error(`token for ${user}: ${res.statusCode} ${res.body}`)
    return res.headers['x-subject-token'] as string
  }
  const h: ResourceHarness = {
    app,
    adminToken: '',
    memberToken: '',
    call,
    token,
    async close() {
      await app.close()
      await identity.close()
      await db.destroy()
      await tdb.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  h.adminToken = await token('admin', 'secret-admin', {
    project: { name: 'admin', domain: { id: 'default' } },
  })
  h.memberToken = await token('demo', 'secret-demo', { project: { name: 'demo', domain: { id: 'default' } } })
  return h
}
