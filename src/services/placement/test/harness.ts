/**
 * Test support: placement service instances over one database, each a host of its own
 * (the kernel test kit's `startTestHost`, noauth2, placement at /placement). Several
 * instances over the same database stand for several API processes: each has its own
 * connection pool and its own in-memory index.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Kysely } from 'kysely'
import { migrateToLatest, openDatabase } from '../../../kernel/db/index.js'
import type { TestDatabase } from '../../../kernel/db/testing.js'
import { startTestHost } from '../../../kernel/testing/index.js'
import { type PlacementInstance, placementModule } from '../module.js'
import { placementMigrations } from '../storage/migrations/0001-initial.js'
import type { PlacementDatabase } from '../storage/schema.js'

export const ADMIN = { 'x-auth-token': 'admin' } as const

export interface Instance {
  app: FastifyInstance
  service: PlacementInstance
  db: Kysely<PlacementDatabase>
  /** One request as the admin at `version` (default 1.39); JSON body in and out. */
  call(method: string, path: string, body?: unknown, version?: string): Promise<Reply>
  close(): Promise<void>
}

export interface Reply {
  status: number
  body: Record<string, unknown>
  raw: LightMyRequestResponse
}

/** Migrates the database at `connection` (idempotent). */
export async function migrate(connection: string): Promise<void> {
  const { db } = await openDatabase<PlacementDatabase>(connection)
  try {
    await migrateToLatest(db as Kysely<unknown>, 'placement', placementMigrations)
  } finally {
    await db.destroy()
  }
}

/** One API process: its own pool, its own index, its own Fastify app. */
export async function startInstance(
  connection: string,
  options: { maxConnections?: number } = {},
): Promise<Instance> {
  const t = await startTestHost({
    modules: [placementModule],
    config: {
      api: { auth_strategy: 'noauth2' },
      placement_database: { connection },
      database: { max_pool_size: options.maxConnections ?? 10 },
    },
  })
  const running = t.host.modules.find((m) => m.module.name === 'placement')!
  const app = t.host.app
  return {
    app,
    service: running.instance as PlacementInstance,
    db: running.db as Kysely<PlacementDatabase>,
    call: (method, path, body, version = '1.39') => request(app, method, path, body, version),
    close: () => t.close(),
  }
}

export async function request(
  app: FastifyInstance,
  method: string,
  path: string,
  body?: unknown,
  version = '1.39',
): Promise<Reply> {
  const raw = await app.inject({
    method: method as 'GET',
    url: `/placement${path}`,
    headers: {
      ...ADMIN,
      'openstack-api-version': `placement ${version}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  })
  let parsed: Record<string, unknown> = {}
  if (raw.body && raw.headers['content-type']?.toString().startsWith('application/json'))
    parsed = JSON.parse(raw.body) as Record<string, unknown>
  return { status: raw.statusCode, body: parsed, raw }
}

/** The `code` of an API-WG error body. */
export function errorCode(r: Reply): string | undefined {
  const errors = r.body.errors as { code?: string }[] | undefined
  return errors?.[0]?.code
}

/** Creates a provider with the given inventory; returns its uuid. */
export async function providerWith(
  inst: Instance,
  inventories: Record<string, Record<string, number>>,
  extra: { name?: string; parent_provider_uuid?: string } = {},
): Promise<string> {
  const uuid = randomUUID()
  const created = await inst.call('POST', '/resource_providers', {
    uuid,
    name: extra.name ?? `rp-${uuid}`,
    ...(extra.parent_provider_uuid ? { parent_provider_uuid: extra.parent_provider_uuid } : {}),
  })
  if (created.status !== 200) throw new Error(`create provider: ${created.status} ${created.raw.body}`)
  if (Object.keys(inventories).length) {
    const inv = await inst.call('PUT', `/resource_providers/${uuid}/inventories`, {
      resource_provider_generation: created.body.generation,
      inventories,
    })
    if (inv.status !== 200) throw new Error(`set inventory: ${inv.status} ${inv.raw.body}`)
  }
  return uuid
}

/** A 1.28+ allocation body for a new consumer. */
export function claimBody(rp: string, resources: Record<string, number>, project = 'p1', user = 'u1') {
  return {
    allocations: { [rp]: { resources } },
    project_id: project,
    user_id: user,
    consumer_generation: null,
    consumer_type: 'INSTANCE',
  }
}

/** Drops a test database (the kernel's drop waits for its sessions to be gone first). */
export async function dropWhenIdle(tdb: TestDatabase): Promise<void> {
  await tdb.drop()
}
