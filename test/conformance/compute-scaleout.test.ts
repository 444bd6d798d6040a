/**
 * Compute's quota cannot be raced across API processes: a `cloudlet up` and a second
 * `cloudlet api --services compute` share one database and one RabbitMQ bus (a scaled-out
 * deployment), and 500 concurrent creates split between the two APIs in a project whose
 * instance quota is 100 give exactly 100 servers; the rest are 403 quota errors in Nova's
 * format. The builds the second API accepted reach the conductor of the first over the
 * bus, so every accepted server ends ACTIVE.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createTestDatabase } from '../../src/kernel/db/testing.js'
import { adminToken, startApiProcess as startApi, startCloudProcess } from '../support/cloud-process.js'
import { createRabbitVhost } from '../support/rabbit-vhost.js'

const CREATES = 500
const QUOTA = 100
const CONCURRENCY = 25

type Json = Record<string, unknown>

for (const dialect of ['postgres', 'sqlite'] as const) {
  describe(`compute on two API processes (${dialect}, RabbitMQ)`, { timeout: 600_000 }, () => {
    it(`${CREATES} concurrent creates against an instance quota of ${QUOTA} give exactly ${QUOTA} servers`, async () => {
      const tdb = await createTestDatabase(dialect)
      const vhost = await createRabbitVhost('cloudlet-scaleout')
      const shared = {
        OS_DATABASE__CONNECTION: tdb.connection,
        OS_DEFAULT__TRANSPORT_URL: vhost.url,
        CLOUDLET_ADMIN_PASSWORD: 'admin-pw',
      }
      const first = await startCloudProcess({ env: shared })
      const secondDir = mkdtempSync(join(tmpdir(), 'cloudlet-api2-'))
      after(async () => {
        await first.stop()
        rmSync(secondDir, { recursive: true, force: true })
        await tdb.drop()
        await vhost.drop()
      })
      const second = await startApi(['--services', 'compute', '--data-dir', secondDir], {
        ...shared,
        OS_DEFAULT__HOST: 'api-2',
        OS_SERVICE_ENDPOINTS__ENDPOINTS: `placement=${first.url}/placement,image=${first.url}/image`,
      })
      after(() => second.stop())

      const token = await adminToken(first.authUrl, 'admin-pw')
      const call = async (base: string, method: string, path: string, body?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: {
            'x-auth-token': token,
            'openstack-api-version': 'compute 2.37',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        const text = await res.text()
        return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json }
      }
      const projects = (await call(first.url, 'GET', '/identity/v3/auth/projects')).body.projects as Json[]
      const project = projects.find((p) => p.name === 'admin')!.id as string
      const quota = await call(first.url, 'PUT', `/compute/v2.1/os-quota-sets/${project}`, {
        quota_set: { instances: QUOTA, cores: -1, ram: -1 },
      })
      assert.equal(quota.status, 200, JSON.stringify(quota.body))
      const image = await call(first.url, 'POST', '/image/v2/images', {
        name: 'scaleout',
        disk_format: 'raw',
        container_format: 'bare',
      })
      const put = await fetch(`${first.url}/image/v2/images/${image.body.id}/file`, {
        method: 'PUT',
        headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(512, 7),
      })
      assert.equal(put.status, 204)

      const apis = [first.url, second.url]
      const outcomes: { api: number; status: number; body: Json }[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < CREATES) {
            const n = next++
            const api = n % 2
            const r = await call(apis[api]!, 'POST', '/compute/v2.1/servers', {
              server: { name: `so-${n}`, imageRef: image.body.id, flavorRef: '1', networks: 'none' },
            })
            outcomes.push({ api, ...r })
          }
        }),
      )
      const accepted = outcomes.filter((o) => o.status === 202)
      const refused = outcomes.filter((o) => o.status === 403)
      const other = outcomes.filter((o) => o.status !== 202 && o.status !== 403)
      assert.deepEqual(
        other.map((o) => `${o.status} ${JSON.stringify(o.body)}`),
        [],
        'every create accepted or refused by quota',
      )
      assert.equal(accepted.length, QUOTA, `exactly ${QUOTA} accepted`)
      assert.equal(refused.length, CREATES - QUOTA)
      for (const o of refused) {
        const fault = o.body.forbidden as Json | undefined
        assert.equal(fault?.code, 403)
        assert.match(String(fault?.message), /Quota exceeded for instances/)
      }
      assert.ok(
        accepted.some((o) => o.api === 0) && accepted.some((o) => o.api === 1),
        'both APIs accepted some',
      )

      // Builds accepted by either API are built by the one conductor over the bus.
      let servers: Json[] = []
      const deadline = Date.now() + 240_000
      for (;;) {
        servers = (await call(first.url, 'GET', '/compute/v2.1/servers/detail?limit=1000')).body
          .servers as Json[]
        if (!servers.some((s) => s.status === 'BUILD') || Date.now() > deadline) break
        await new Promise((r) => setTimeout(r, 500))
      }
      assert.equal(servers.length, QUOTA)
      assert.deepEqual(
        servers.filter((s) => s.status !== 'ACTIVE').map((s) => `${s.id} ${s.status}`),
        [],
        'every accepted server ACTIVE',
      )
      const usage = (await call(second.url, 'GET', '/compute/v2.1/limits')).body.limits as Json
      assert.equal((usage.absolute as Json).totalInstancesUsed, QUOTA)
      console.log(
        `# ${dialect}: ${CREATES} creates over two APIs: ${accepted.length} accepted (${accepted.filter((o) => o.api === 0).length} + ${accepted.filter((o) => o.api === 1).length}), ${refused.length} refused by quota, ${servers.length} ACTIVE`,
      )
    })
  })
}
