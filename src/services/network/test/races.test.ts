/**
 * Races, on every dialect with two API hosts sharing one database (as two API processes
 * would): 200 concurrent port creates on a subnet with 100 free addresses give exactly
 * 100 ports with distinct addresses and 100 IpAddressGenerationFailure errors; with
 * `[ml2_type_vxlan] vni_ranges = 100:109`, 20 concurrent network creates give 10 networks
 * with distinct VNIs and 10 errors naming the range and the option that widens it;
 * concurrent router interface adds of one subnet book its gateway address once.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { networkModule } from '../module.js'
import { ADMIN, MEMBER, N } from './harness.js'

async function twoHosts(connection: string): Promise<[TestHost, TestHost]> {
  const config = {
    network_database: { connection },
    ml2_type_vxlan: { vni_ranges: '100:109' },
    quotas: { quota_port: -1, quota_network: -1 },
  }
  const a = await startTestHost({ modules: [networkModule], config })
  const b = await startTestHost({ modules: [networkModule], config })
  return [a, b]
}

for (const dialect of enabledDialects()) {
  describe(`network races on ${dialect}`, { timeout: 180_000 }, () => {
    it('hands out each address once: 200 creates, 100 addresses', async () => {
      const db = await createTestDatabase(dialect)
      const [a, b] = await twoHosts(db.connection)
      try {
        const net = (
          await a.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'race' } } })
        ).body.network
        const sub = await a.call('POST', `${N}/subnets`, {
          as: MEMBER,
          body: {
            subnet: {
              network_id: net.id,
              ip_version: 4,
              cidr: '10.30.0.0/24',
              allocation_pools: [{ start: '10.30.0.10', end: '10.30.0.109' }],
            },
          },
        })
        assert.equal(sub.status, 201)
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? a : b).call('POST', `${N}/ports`, {
              as: MEMBER,
              body: { port: { network_id: net.id } },
            }),
          ),
        )
        const created = results.filter((r) => r.status === 201)
        const refused = results.filter((r) => r.status !== 201)
        assert.equal(created.length, 100)
        const ips = created.map((r) => r.body.port.fixed_ips[0].ip_address)
        assert.equal(new Set(ips).size, 100, 'no address given twice')
        assert.equal(refused.length, 100)
        for (const r of refused) {
          assert.equal(r.status, 409, JSON.stringify(r.body))
          assert.equal(r.body.NeutronError.type, 'IpAddressGenerationFailure')
          assert.equal(r.body.NeutronError.message, `No more IP addresses available on network ${net.id}.`)
        }
        const listed = await b.call('GET', `${N}/ports?network_id=${net.id}`, { as: MEMBER })
        assert.equal(listed.body.ports.length, 100)
      } finally {
        await a.close()
        await b.close()
        await db.drop()
      }
    })

    it('hands out each VNI once and names the range and option when they run out', async () => {
      const db = await createTestDatabase(dialect)
      const [a, b] = await twoHosts(db.connection)
      try {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? a : b).call('POST', `${N}/networks`, {
              as: MEMBER,
              body: { network: { name: `n${i}` } },
            }),
          ),
        )
        const created = results.filter((r) => r.status === 201)
        const refused = results.filter((r) => r.status !== 201)
        assert.equal(created.length, 10)
        assert.equal(refused.length, 10)
        const vnis: number[] = []
        for (const r of created) {
          const shown = await a.call('GET', `${N}/networks/${r.body.network.id}`, { as: ADMIN })
          vnis.push(shown.body.network['provider:segmentation_id'])
        }
        assert.deepEqual(
          vnis.sort((x, y) => x - y),
          [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
        )
        for (const r of refused) {
          assert.equal(r.status, 503, JSON.stringify(r.body))
          assert.equal(r.body.NeutronError.type, 'NoNetworkAvailable')
          assert.match(r.body.NeutronError.message, /vxlan/)
          assert.match(r.body.NeutronError.message, /\[ml2_type_vxlan\] vni_ranges = 100:109/)
          assert.match(r.body.NeutronError.message, /widen vni_ranges/)
        }
      } finally {
        await a.close()
        await b.close()
        await db.drop()
      }
    })

    it('books a subnet gateway on one router interface only, whichever host adds it', async () => {
      const db = await createTestDatabase(dialect)
      const [a, b] = await twoHosts(db.connection)
      try {
        const net = (await a.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'gw' } } }))
          .body.network
        const sub = (
          await a.call('POST', `${N}/subnets`, {
            as: MEMBER,
            body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.31.0.0/24' } },
          })
        ).body.subnet
        const routers = await Promise.all(
          [a, b].map(async (h, i) => {
            const r = await h.call('POST', `${N}/routers`, {
              as: MEMBER,
              body: { router: { name: `r${i}` } },
            })
            return r.body.router.id as string
          }),
        )
        // Six concurrent adds of one subnet, to two routers through two hosts.
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).call('PUT', `${N}/routers/${routers[i % 2]}/add_router_interface`, {
              as: MEMBER,
              body: { subnet_id: sub.id },
            }),
          ),
        )
        const added = results.filter((r) => r.status === 200)
        assert.equal(added.length, 1, JSON.stringify(results.map((r) => r.status)))
        // The same router: "already has a port on subnet" (400); the other: the gateway
        // address is taken (409 IpAddressInUse).
        for (const r of results.filter((x) => x.status !== 200)) {
          const e = r.body.NeutronError
          if (r.status === 400) assert.match(e.message, /already has a port on subnet/)
          else {
            assert.equal(r.status, 409, JSON.stringify(r.body))
            assert.equal(e.type, 'IpAddressInUse')
          }
        }
        const owners = (
          await a.call('GET', `${N}/ports?network_id=${net.id}&device_owner=network:router_interface`, {
            as: MEMBER,
          })
        ).body.ports
        assert.equal(owners.length, 1, 'one interface holds the gateway address')
        assert.deepEqual(owners[0].fixed_ips, [{ subnet_id: sub.id, ip_address: '10.31.0.1' }])
      } finally {
        await a.close()
        await b.close()
        await db.drop()
      }
    })
  })
}
