/**
 * A whole cloud in this process on one database dialect, bootstrapped, with an admin
 * token: SQLite files in a temporary data directory, or a fresh PostgreSQL or MariaDB
 * database shared by every service through `[database] connection`. Requests go through
 * `app.inject()`; nothing listens unless asked.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Cloud, startCloud } from '../../src/cloud.js'
import type { Dialect } from '../../src/kernel/db/index.js'
import { createTestDatabase } from '../../src/kernel/db/testing.js'

export interface TestCloud {
  cloud: Cloud
  dialect: Dialect
  /** A project-scoped token of the bootstrapped admin. */
  adminToken: string
  adminUserId: string
  close(): Promise<void>
}

export interface TestCloudOptions {
  /** Extra configuration as OS_<SECTION>__<OPTION> variables. */
  env?: Record<string, string>
  /** Told about every route as it is registered. */
  onRoute?: (route: { method: string; url: string }) => void
  /** Listen on a free port of 127.0.0.1 (and start the metrics listener, if configured). @default false */
  listen?: boolean
}

export async function startTestCloud(dialect: Dialect, options: TestCloudOptions = {}): Promise<TestCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), `cloudlet-${dialect}-`))
  const tdb = dialect === 'sqlite' ? undefined : await createTestDatabase(dialect)
  let cloud: Cloud | undefined
  try {
    cloud = await startCloud({
      dataDir,
      listen: options.listen ?? false,
      port: 0,
      logger: false,
      env: {
        OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4',
        ...(tdb ? { OS_DATABASE__CONNECTION: tdb.connection } : {}),
        ...options.env,
      },
      onRoute: options.onRoute,
    })
    const started = cloud
    await started.identity!.bootstrap({
      adminUsername: 'admin',
      adminPassword: 'pw',
      adminProjectName: 'admin',
      regionId: 'RegionOne',
      services: started.services.map((s) => ({
        type: s.serviceType,
        name: s.name,
        url: `${started.url}${s.prefix}`,
      })),
    })
    const res = await started.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: 'pw' } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    })
    assert.equal(res.statusCode, 201, res.body)
    return {
      cloud: started,
      dialect,
      adminToken: String(res.headers['x-subject-token']),
      adminUserId: (res.json() as { token: { user: { id: string } } }).token.user.id,
      async close() {
        await started.close()
        await tdb?.drop()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await cloud?.close().catch(() => {})
    await tdb?.drop().catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}
