/**
 * Races: 100 concurrent boots onto three hosts with room for 60 give 60 ACTIVE and 40
 * ERROR with a "No valid host" fault, and placement's usages equal the ACTIVE servers'
 * flavors (none left once everything is deleted); 50 concurrent creates in a project
 * whose instance quota is 10 give exactly 10 servers and 40 quota refusals.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestDatabase } from '../../../kernel/db/testing.js'
import { startServersCloud, waitForAll } from './cloud-harness.js'

const S = '/compute/v2.1/servers'
const MEMBER = 'project-member'
const ADMIN = 'project-admin'

describe('server races', { timeout: 240_000 }, () => {
  for (const dialect of ['sqlite', 'postgres'] as const)
    it(`100 boots onto room for 60 (${dialect}): 60 ACTIVE, 40 ERROR with the reason, usages match`, async () => {
      const hosts = ['cmp-a', 'cmp-b', 'cmp-c'].map((name) => ({ name, memoryMb: 10_240, ramRatio: 1 }))
      // Every service on one server database, as a scaled-out cloud; SQLite files otherwise.
      const tdb = dialect === 'postgres' ? await createTestDatabase(dialect) : undefined
      const c = await startServersCloud({
        hosts,
        config: {
          quota: { instances: 500, cores: 500, ram: 1_000_000 },
          ...(tdb ? { database: { connection: tdb.connection } } : {}),
        },
      })
      try {
        const created = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            c.t.call('POST', S, {
              as: MEMBER,
              version: '2.37',
              body: { server: { name: `burst-${i}`, imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
            }),
          ),
        )
        assert.ok(created.every((r) => r.status === 202))
        const ids = created.map((r) => r.body.server.id as string)
        const final = await waitForAll(c.t, ids, ['ACTIVE', 'ERROR'], MEMBER)
        const active = final.filter((s) => s.status === 'ACTIVE')
        const errors = final.filter((s) => s.status === 'ERROR')
        const reasons = new Map<string, number>()
        for (const e of errors) {
          const m = String((e.fault as { message?: string } | undefined)?.message ?? 'no fault').slice(0, 160)
          reasons.set(m, (reasons.get(m) ?? 0) + 1)
        }
        assert.equal(active.length, 60, `ERROR reasons: ${JSON.stringify([...reasons])}`)
        assert.equal(errors.length, 40)
        for (const e of errors)
          assert.match(
            (e.fault as { message: string } | undefined)?.message ?? `no fault: ${JSON.stringify(e)}`,
            /^No valid host was found\. /,
          )
        const usages = await c.t.call('GET', '/placement/usages?project_id=p-own', {
          as: ADMIN,
          version: '1.9',
        })
        assert.deepEqual(usages.body.usages, { VCPU: 60, MEMORY_MB: 60 * 512, DISK_GB: 60 })
        for (const h of hosts) {
          const rp = await c.t.call('GET', `/placement/resource_providers?name=${h.name}`, { as: ADMIN })
          const u = await c.t.call(
            'GET',
            `/placement/resource_providers/${rp.body.resource_providers[0].uuid}/usages`,
            {
              as: ADMIN,
            },
          )
          assert.equal(u.body.usages.MEMORY_MB, 20 * 512, `${h.name} is full`)
        }
        await Promise.all(ids.map((id) => c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })))
        await waitForAll(c.t, ids, ['DELETED'], MEMBER)
        const after = await c.t.call('GET', '/placement/usages?project_id=p-own', {
          as: ADMIN,
          version: '1.9',
        })
        assert.deepEqual(after.body.usages, {})
      } finally {
        await c.close()
        await tdb?.drop()
      }
    })

  it('50 concurrent creates with an instance quota of 10: exactly 10', async () => {
    const c = await startServersCloud({ config: { quota: { instances: 10 } } })
    try {
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          c.t.call('POST', S, {
            as: MEMBER,
            version: '2.37',
            body: { server: { name: `q-${i}`, imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
          }),
        ),
      )
      const accepted = created.filter((r) => r.status === 202)
      const refused = created.filter((r) => r.status === 403)
      assert.equal(accepted.length, 10)
      assert.equal(refused.length, 40)
      assert.match(
        refused[0]!.body.forbidden.message,
        /^Quota exceeded for instances: Requested 1, but already used 10 of 10 instances/,
      )
      const listed = await c.t.call('GET', S, { as: MEMBER })
      assert.equal(listed.body.servers.length, 10)
      const detail = await c.t.call('GET', '/compute/v2.1/os-quota-sets/p-own/detail', { as: MEMBER })
      assert.equal(detail.body.quota_set.instances.in_use, 10)
    } finally {
      await c.close()
    }
  })
})
