/**
 * The service registry on SQLite, PostgreSQL and MariaDB: register (idempotent per host
 * and binary), heartbeats, up/down by `service_down_time`, disable with a reason,
 * forced down, delete; and the host registering a module's worker roles.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import { defineSections } from '../config/index.js'
import { migrateToLatest, openDatabase } from '../db/index.js'
import { createTestDatabase, enabledDialects } from '../db/testing.js'
import type { AnyServiceModule } from '../host/index.js'
import { startTestHost } from '../testing/index.js'
import { registryMigrations, registryTable, ServiceRegistry } from './service-registry.js'

for (const dialect of enabledDialects()) {
  describe(`service registry on ${dialect}`, async () => {
    const tdb = await createTestDatabase(dialect)
    const { db } = await openDatabase<unknown>(tdb.connection)
    after(async () => {
      await db.destroy()
      await tdb.drop()
    })
    await migrateToLatest(db as Kysely<unknown>, 'compute_registry', registryMigrations('compute'))
    let clock = new Date('2026-12-07T10:00:00Z')
    const registry = new ServiceRegistry(db as Kysely<unknown>, registryTable('compute'), () => clock)

    it('registers once per host and binary and counts heartbeats', async () => {
      const a = await registry.register({ host: 'h1', binary: 'nova-compute', topic: 'compute' })
      const again = await registry.register({
        host: 'h1',
        binary: 'nova-compute',
        topic: 'compute',
        version: 2,
      })
      assert.equal(again.id, a.id)
      assert.equal(again.version, 2)
      await registry.heartbeat(a.id)
      await registry.heartbeat(a.id)
      assert.equal((await registry.get(a.id))!.report_count, 2)
      await registry.register({ host: 'h2', binary: 'nova-compute', topic: 'compute' })
      await registry.register({ host: 'h1', binary: 'nova-conductor', topic: 'conductor' })
      assert.deepEqual(
        (await registry.list({ binary: 'nova-compute' })).map((s) => s.host),
        ['h1', 'h2'],
      )
      assert.equal((await registry.list({ host: 'h1' })).length, 2)
    })

    it('is down after service_down_time without a heartbeat, or when forced down', async () => {
      const s = (await registry.find('h2', 'nova-compute'))!
      assert.ok(registry.isUp(s, 60))
      clock = new Date(clock.getTime() + 61_000)
      assert.ok(!registry.isUp((await registry.get(s.id))!, 60))
      await registry.heartbeat(s.id)
      assert.ok(registry.isUp((await registry.get(s.id))!, 60))
      const forced = (await registry.setForcedDown(s.id, true))!
      assert.ok(forced.forced_down)
      assert.ok(!registry.isUp(forced, 60))
      assert.ok(registry.isUp((await registry.setForcedDown(s.id, false))!, 60))
    })

    it('keeps a disable reason until enabled, and deletes', async () => {
      const s = (await registry.find('h1', 'nova-conductor'))!
      const off = (await registry.setDisabled(s.id, true, 'maintenance: disk swap'))!
      assert.equal(off.disabled, true)
      assert.equal(off.disabled_reason, 'maintenance: disk swap')
      const on = (await registry.setDisabled(s.id, false))!
      assert.equal(on.disabled, false)
      assert.equal(on.disabled_reason, null)
      assert.equal(await registry.delete(s.id), true)
      assert.equal(await registry.get(s.id), undefined)
      assert.equal(await registry.delete(s.id), false)
    })
  })
}

describe('the host and worker roles', () => {
  const worker: AnyServiceModule = {
    name: 'widget',
    serviceType: 'widget',
    prefix: '/widget',
    configSchema: defineSections({}),
    migrations: [],
    roles: ['api', 'conductor', 'agent'],
    workers: {
      conductor: { binary: 'widget-conductor', topic: 'conductor' },
      agent: { binary: 'widget-agent', topic: 'widget' },
    },
    create: async (ctx) => ({ provides: {}, registryForTest: ctx.registry }),
  }

  it('registers each worker role it runs under its host name and heartbeats', async () => {
    const t = await startTestHost({
      modules: [worker],
      config: { DEFAULT: { host: 'node-7', report_interval: 1 } },
    })
    after(() => t.close())
    const m = t.host.modules.find((x) => x.module.name === 'widget')!
    const registry = (m.instance as unknown as { registryForTest: ServiceRegistry }).registryForTest
    const rows = await registry.list()
    assert.deepEqual(rows.map((r) => [r.host, r.binary, r.topic]).sort(), [
      ['node-7', 'widget-agent', 'widget'],
      ['node-7', 'widget-conductor', 'conductor'],
    ])
    await new Promise((r) => setTimeout(r, 2300))
    const beats = (await registry.list()).map((r) => r.report_count)
    assert.ok(
      beats.every((n) => n >= 1),
      `heartbeats: ${beats}`,
    )
  })
})
