/**
 * Test support: an image service on a fresh database and data directory, built from a
 * module context as the host builds it (every option at its default unless a test sets
 * it) and mounted on the kernel app, with a fake token validator. Tokens name personas:
 *
 *   admin        admin (+member, reader) of project p-admin
 *   alice, bob   member (+reader) of p-alice / p-bob
 *   reader       reader of p-alice
 *   other        member of p-other
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import pino from 'pino'
import type { AuthenticatedIdentity } from '../../../kernel/auth/index.js'
import { mergeSchemas } from '../../../kernel/config/index.js'
import { type Dialect, migrateToLatest, openDatabase } from '../../../kernel/db/index.js'
import { hostConfig, type ModuleContext, TaskGroup } from '../../../kernel/host/index.js'
import { createApp } from '../../../kernel/http/index.js'
import { Enforcer } from '../../../kernel/policy/index.js'
import { FakeTokens } from '../../../kernel/testing/index.js'
import { type ImageServiceConfig, imageConfig } from '../config.js'
import type { LimitsReader } from '../domain/quotas.js'
import { imageModule } from '../module.js'
import { createImageService, type ImageInstance, type ImageTestHooks } from '../service.js'
import type { ImageDatabase } from '../storage/schema.js'

/** Options a test sets, by section; every other option keeps its default. */
export type ConfigOverrides = Readonly<Record<string, Readonly<Record<string, unknown>>>>

/** The loaded configuration: every option's default, then the overrides. */
export function testConfig(overrides: ConfigOverrides = {}): ImageServiceConfig {
  const schema = mergeSchemas(hostConfig, imageConfig) as Record<string, Record<string, { default: unknown }>>
  const config: Record<string, Record<string, unknown>> = {}
  for (const [section, opts] of Object.entries(schema)) {
    config[section] = Object.fromEntries(Object.entries(opts).map(([k, o]) => [k, o.default]))
    Object.assign(config[section], overrides[section] ?? {})
  }
  // A store's own section ([fast]) is named by the operator: taken as the test gives it.
  for (const [section, values] of Object.entries(overrides)) config[section] ??= { ...values }
  // Tests use the built-in defaults, never a policy file of the working directory.
  config.oslo_policy!.policy_file = undefined
  return config as unknown as ImageServiceConfig
}

export const PERSONAS: Record<string, AuthenticatedIdentity> = {
  admin: { user_id: 'u-admin', project_id: 'p-admin', roles: ['admin', 'member', 'reader'] },
  alice: { user_id: 'u-alice', project_id: 'p-alice', roles: ['member', 'reader'] },
  bob: { user_id: 'u-bob', project_id: 'p-bob', roles: ['member', 'reader'] },
  reader: { user_id: 'u-reader', project_id: 'p-alice', roles: ['reader'] },
  other: { user_id: 'u-other', project_id: 'p-other', roles: ['member', 'reader'] },
}

/**
 * The kernel's fake token validator with the image personas registered. NOTE: the
 * harness builds the service itself rather than through the kernel's test host: tests
 * restart it on the same database and data, give it a file-opening hook (a full disk),
 * and look inside the instance (its files, recovery, the cache's fills).
 */
export const fakeTokens = new FakeTokens()
for (const [token, who] of Object.entries(PERSONAS)) fakeTokens.add(token, who)

export interface Harness {
  app: FastifyInstance
  image: ImageInstance
  db: Kysely<ImageDatabase>
  dataDir: string
  connection: string
  /** Starts a second service instance on the same database and data (a restart). */
  restart(hooks?: ImageTestHooks): Promise<ImageInstance>
  repo(): ImageInstance['repos']['images']
  close(): Promise<void>
}

export async function startHarness(
  options: {
    config?: ConfigOverrides
    hooks?: ImageTestHooks
    connection?: string
    dialect?: Dialect
    dataDir?: string
    /** Identity's unified limits, as the host's `unifiedLimits` capability (a fake). */
    limits?: LimitsReader
  } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cloudlet-image-'))
  const connection = options.connection ?? `sqlite:///${join(dataDir, 'image.db')}`
  const { db, dialect } = await openDatabase<ImageDatabase>(connection)
  await migrateToLatest(db as Kysely<unknown>, 'image', imageModule.migrations)
  const config = testConfig(options.config)
  const logger = pino({ level: 'silent' })
  const taskGroups: TaskGroup[] = []
  const make = (hooks?: ImageTestHooks) => {
    const tasks = new TaskGroup('image', logger)
    taskGroups.push(tasks)
    const ctx: ModuleContext<ImageServiceConfig, ImageDatabase> = {
      config,
      logger,
      db,
      dialect,
      dataDir,
      roles: new Set(['api']),
      hostName: 'test-host',
      need: ((name) => {
        if (name === 'unifiedLimits' && options.limits) return options.limits
        throw new Error(`the image harness provides no ${name}`)
      }) as ModuleContext['need'],
      tasks,
      client: () => {
        throw new Error('the image harness has no service clients')
      },
      enforcer: (defaults, opts) =>
        new Enforcer(defaults, {
          enforceScope: config.oslo_policy.enforce_scope,
          enforceNewDefaults: config.oslo_policy.enforce_new_defaults,
          ...(opts?.forbiddenMessage ? { forbiddenMessage: opts.forbiddenMessage } : {}),
        }),
      auth: { tokens: fakeTokens, cors: config.cors },
    }
    return createImageService(ctx, hooks ?? options.hooks)
  }
  const image = await make()
  const app = createApp({ logger: false, metrics: false })
  await app.register(image.plugin, { prefix: imageModule.prefix })
  await app.ready()
  return {
    app,
    image,
    db,
    dataDir,
    connection,
    restart: (hooks) => make(hooks),
    repo: () => image.repos.images,
    async close() {
      await app.close()
      await image.close()
      for (const tasks of taskGroups) await tasks.close()
      await db.destroy()
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A JSON request as persona `as`. */
export async function call(
  h: Harness,
  as: string | undefined,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await h.app.inject({
    method,
    url: `/image${url}`,
    headers: {
      accept: 'application/json',
      ...(as ? { 'x-auth-token': as } : {}),
      ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    payload: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON paths freely
  let json: any
  try {
    json = res.body ? JSON.parse(res.body) : undefined
  } catch {
    json = undefined
  }
  return { status: res.statusCode, headers: res.headers, json, raw: res.rawPayload }
}

export const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' }
export const OCTET = { 'content-type': 'application/octet-stream' }

/** Creates an image as `as` and returns its id. */
export async function createImage(
  h: Harness,
  as: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const r = await call(h, as, 'POST', '/v2/images', { disk_format: 'raw', container_format: 'bare', ...body })
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json.id
}

export async function upload(h: Harness, as: string, id: string, data: Buffer) {
  return call(h, as, 'PUT', `/v2/images/${id}/file`, data, OCTET)
}
