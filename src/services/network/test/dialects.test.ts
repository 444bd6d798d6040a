/**
 * The service's storage on every dialect: one pass over each resource (networks with
 * provider segments, subnets, ports, security groups, routers, floating IPs, trunks,
 * RBAC, subnet pools, quotas, tags and revisions) through the API, on SQLite,
 * PostgreSQL and MariaDB.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { startTestHost } from '../../../kernel/testing/index.js'
import { networkModule } from '../module.js'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER } from './harness.js'

for (const dialect of enabledDialects()) {
  describe(`network storage on ${dialect}`, { timeout: 120_000 }, () => {
    it('creates, lists, updates and deletes every resource', async () => {
      const db = await createTestDatabase(dialect)
      const t = await startTestHost({
        modules: [networkModule],
        config: { network_database: { connection: db.connection } },
      })
      try {
        const ext = (
          await t.call('POST', `${N}/networks`, {
            as: ADMIN,
            body: {
              network: {
                'router:external': true,
                'provider:network_type': 'flat',
                'provider:physical_network': 'ext',
              },
            },
          })
        ).body.network
        await t.call('POST', `${N}/subnets`, {
          as: ADMIN,
          body: { subnet: { network_id: ext.id, ip_version: 4, cidr: '172.30.0.0/24' } },
        })
        const { network, subnet } = await networkWithSubnet(t, MEMBER, '10.70.0.0/24')
        // The subnet bumped the network's revision (as upstream's); the update bumps it again.
        const before = (await t.call('GET', `${N}/networks/${network.id}`, { as: MEMBER })).body.network
        assert.equal(before.revision_number, 1)
        const upd = await t.call('PUT', `${N}/networks/${network.id}`, {
          as: MEMBER,
          body: { network: { name: 'renamed', mtu: 1400 } },
        })
        assert.equal(upd.body.network.revision_number, 2)
        assert.equal(upd.body.network.mtu, 1400)
        await t.call('PUT', `${N}/networks/${network.id}/tags/x`, { as: MEMBER })
        assert.deepEqual(
          (await t.call('GET', `${N}/networks?tags=x`, { as: MEMBER })).body.networks.map(
            (n: { id: string }) => n.id,
          ),
          [network.id],
        )
        const port = (
          await t.call('POST', `${N}/ports`, {
            as: MEMBER,
            body: { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.70.0.9' }] } },
          })
        ).body.port
        assert.equal(port.fixed_ips[0].ip_address, '10.70.0.9')
        const sg = (
          await t.call('POST', `${N}/security-groups`, {
            as: MEMBER,
            body: { security_group: { name: 'web' } },
          })
        ).body.security_group
        const rule = await t.call('POST', `${N}/security-group-rules`, {
          as: MEMBER,
          body: {
            security_group_rule: {
              security_group_id: sg.id,
              direction: 'ingress',
              protocol: 'tcp',
              port_range_min: 80,
              port_range_max: 80,
            },
          },
        })
        assert.equal(rule.status, 201)
        assert.equal(
          (
            await t.call('PUT', `${N}/ports/${port.id}`, {
              as: MEMBER,
              body: { port: { security_groups: [sg.id] } },
            })
          ).status,
          200,
        )
        assert.equal((await t.call('DELETE', `${N}/security-groups/${sg.id}`, { as: MEMBER })).status, 409)
        const router = (
          await t.call('POST', `${N}/routers`, {
            as: MEMBER,
            body: { router: { external_gateway_info: { network_id: ext.id } } },
          })
        ).body.router
        assert.equal(
          (
            await t.call('PUT', `${N}/routers/${router.id}/add_router_interface`, {
              as: MEMBER,
              body: { subnet_id: subnet.id },
            })
          ).status,
          200,
        )
        const fip = await t.call('POST', `${N}/floatingips`, {
          as: MEMBER,
          body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
        })
        assert.equal(fip.status, 201)
        assert.equal(fip.body.floatingip.router_id, router.id)
        const child = (
          await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })
        ).body.port
        const trunk = await t.call('POST', `${N}/trunks`, {
          as: MEMBER,
          body: {
            trunk: {
              port_id: port.id,
              sub_ports: [{ port_id: child.id, segmentation_type: 'vlan', segmentation_id: 10 }],
            },
          },
        })
        assert.equal(trunk.status, 201)
        assert.equal((await t.call('DELETE', `${N}/ports/${port.id}`, { as: MEMBER })).status, 409)
        const grant = await t.call('POST', `${N}/rbac-policies`, {
          as: MEMBER,
          body: {
            rbac_policy: {
              object_type: 'network',
              object_id: network.id,
              action: 'access_as_shared',
              target_tenant: 'p-other',
            },
          },
        })
        assert.equal(grant.status, 201)
        assert.equal((await t.call('GET', `${N}/networks/${network.id}`, { as: OTHER })).status, 200)
        const pool = (
          await t.call('POST', `${N}/subnetpools`, {
            as: MEMBER,
            body: { subnetpool: { name: 'p', prefixes: ['10.90.0.0/16'], default_prefixlen: 24 } },
          })
        ).body.subnetpool
        const pooled = await t.call('POST', `${N}/subnets`, {
          as: MEMBER,
          body: { subnet: { network_id: network.id, ip_version: 4, subnetpool_id: pool.id } },
        })
        assert.equal(pooled.body.subnet.cidr, '10.90.0.0/24')
        assert.equal(
          (await t.call('PUT', `${N}/quotas/p-own`, { as: ADMIN, body: { quota: { network: 3 } } })).body
            .quota.network,
          3,
        )
        const details = await t.call('GET', `${N}/quotas/p-own/details`, { as: MEMBER })
        assert.equal(
          details.body.quota.network.used,
          2,
          'the external network is the admin one, in the same project',
        )
        assert.equal(details.body.quota.port.used, 3, 'two ports and the router interface')
        // Tear down in dependency order.
        assert.equal(
          (await t.call('DELETE', `${N}/trunks/${trunk.body.trunk.id}`, { as: MEMBER })).status,
          204,
        )
        assert.equal(
          (await t.call('DELETE', `${N}/floatingips/${fip.body.floatingip.id}`, { as: MEMBER })).status,
          204,
        )
        assert.equal(
          (
            await t.call('PUT', `${N}/routers/${router.id}/remove_router_interface`, {
              as: MEMBER,
              body: { subnet_id: subnet.id },
            })
          ).status,
          200,
        )
        assert.equal((await t.call('DELETE', `${N}/routers/${router.id}`, { as: MEMBER })).status, 204)
        assert.equal(
          (await t.call('DELETE', `${N}/rbac-policies/${grant.body.rbac_policy.id}`, { as: MEMBER })).status,
          204,
        )
        for (const id of [port.id, child.id])
          assert.equal((await t.call('DELETE', `${N}/ports/${id}`, { as: MEMBER })).status, 204)
        assert.equal((await t.call('DELETE', `${N}/networks/${network.id}`, { as: MEMBER })).status, 204)
        assert.equal((await t.call('DELETE', `${N}/subnetpools/${pool.id}`, { as: MEMBER })).status, 204)
        assert.equal((await t.call('DELETE', `${N}/networks/${ext.id}`, { as: ADMIN })).status, 204)
      } finally {
        await t.close()
        await db.drop()
      }
    })
  })
}
