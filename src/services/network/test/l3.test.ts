/**
 * Routers and floating IPs over HTTP: the external gateway, interfaces by subnet and by
 * port (never twice on a subnet, never overlapping, the gateway address never booked
 * twice even by concurrent adds), extra routes, floating IP association through the
 * router and what deletion refuses while something depends on it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER, startNetwork, type TestHost } from './harness.js'

describe('network routers and floating IPs', () => {
  let t: TestHost
  let ext: { id: string }
  before(async () => {
    t = await startNetwork()
    ext = (
      await t.call('POST', `${N}/networks`, {
        as: ADMIN,
        body: {
          network: {
            name: 'public',
            'router:external': true,
            'provider:network_type': 'flat',
            'provider:physical_network': 'public',
          },
        },
      })
    ).body.network
    const sub = await t.call('POST', `${N}/subnets`, {
      as: ADMIN,
      body: { subnet: { network_id: ext.id, ip_version: 4, cidr: '172.24.4.0/24', enable_dhcp: false } },
    })
    assert.equal(sub.status, 201)
  })
  after(() => t.close())

  it('sets an external gateway and refuses internal networks as gateways', async () => {
    const r = await t.call('POST', `${N}/routers`, {
      as: MEMBER,
      body: { router: { name: 'r1', external_gateway_info: { network_id: ext.id } } },
    })
    assert.equal(r.status, 201)
    const gw = r.body.router.external_gateway_info
    assert.equal(gw.network_id, ext.id)
    assert.equal(gw.enable_snat, true)
    assert.match(gw.external_fixed_ips[0].ip_address, /^172\.24\.4\./)
    const snat = await t.call('PUT', `${N}/routers/${r.body.router.id}`, {
      as: MEMBER,
      body: { router: { external_gateway_info: { network_id: ext.id, enable_snat: false } } },
    })
    assert.equal(snat.status, 403, 'enable_snat is an admin attribute')
    const { network } = await networkWithSubnet(t, MEMBER, '10.40.0.0/24')
    const bad = await t.call('PUT', `${N}/routers/${r.body.router.id}`, {
      as: MEMBER,
      body: { router: { external_gateway_info: { network_id: network.id } } },
    })
    assert.equal(bad.status, 400)
    assert.match(bad.body.NeutronError.message, /not a valid external network/)
  })

  it('adds interfaces by subnet and by port, refusing duplicates and overlaps, and names them on delete', async () => {
    const r = (await t.call('POST', `${N}/routers`, { as: MEMBER, body: { router: { name: 'r2' } } })).body
      .router
    const a = await networkWithSubnet(t, MEMBER, '10.41.0.0/24')
    const add = await t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: a.subnet.id },
    })
    assert.equal(add.status, 200)
    assert.equal(add.body.subnet_id, a.subnet.id)
    const port = (await t.call('GET', `${N}/ports/${add.body.port_id}`, { as: MEMBER })).body.port
    assert.equal(port.device_owner, 'network:router_interface')
    assert.deepEqual(port.fixed_ips, [{ subnet_id: a.subnet.id, ip_address: '10.41.0.1' }])
    const again = await t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: a.subnet.id },
    })
    assert.equal(again.status, 400)
    const b = await networkWithSubnet(t, MEMBER, '10.41.0.0/25')
    const overlap = await t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: b.subnet.id },
    })
    assert.equal(overlap.status, 400)
    assert.match(overlap.body.NeutronError.message, /overlaps/)
    const c = await networkWithSubnet(t, MEMBER, '10.42.0.0/24')
    const p = (
      await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: c.network.id } } })
    ).body.port
    const byPort = await t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
      as: MEMBER,
      body: { port_id: p.id },
    })
    assert.equal(byPort.status, 200)
    const direct = await t.call('DELETE', `${N}/ports/${p.id}`, { as: MEMBER })
    assert.equal(direct.status, 409)
    assert.equal(direct.body.NeutronError.type, 'L3PortInUse')
    const del = await t.call('DELETE', `${N}/routers/${r.id}`, { as: MEMBER })
    assert.equal(del.status, 409)
    assert.equal(del.body.NeutronError.type, 'RouterInUse')
    assert.match(del.body.NeutronError.message, new RegExp(p.id))
    const routes = await t.call('PUT', `${N}/routers/${r.id}`, {
      as: MEMBER,
      body: { router: { routes: [{ destination: '192.168.9.0/24', nexthop: '10.41.0.9' }] } },
    })
    assert.equal(routes.status, 200)
    const far = await t.call('PUT', `${N}/routers/${r.id}`, {
      as: MEMBER,
      body: { router: { routes: [{ destination: '192.168.9.0/24', nexthop: '10.99.0.9' }] } },
    })
    assert.equal(far.status, 400)
    const held = await t.call('PUT', `${N}/routers/${r.id}/remove_router_interface`, {
      as: MEMBER,
      body: { subnet_id: a.subnet.id },
    })
    assert.equal(held.status, 409, 'a route still needs the interface')
    await t.call('PUT', `${N}/routers/${r.id}`, { as: MEMBER, body: { router: { routes: [] } } })
    for (const body of [{ subnet_id: a.subnet.id }, { port_id: p.id }])
      assert.equal(
        (await t.call('PUT', `${N}/routers/${r.id}/remove_router_interface`, { as: MEMBER, body })).status,
        200,
      )
    assert.equal((await t.call('DELETE', `${N}/routers/${r.id}`, { as: MEMBER })).status, 204)
  })

  it('never books a subnet gateway twice under concurrent interface adds', async () => {
    const { subnet } = await networkWithSubnet(t, MEMBER, '10.43.0.0/24')
    const routers = await Promise.all(
      [1, 2, 3, 4].map(
        async (i) =>
          (await t.call('POST', `${N}/routers`, { as: MEMBER, body: { router: { name: `c${i}` } } })).body
            .router,
      ),
    )
    const results = await Promise.all(
      routers.map((r) =>
        t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
          as: MEMBER,
          body: { subnet_id: subnet.id },
        }),
      ),
    )
    assert.equal(results.filter((r) => r.status === 200).length, 1)
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 409)
      assert.equal(r.body.NeutronError.type, 'IpAddressInUse')
    }
  })

  it('associates floating IPs through the router and lets go when the port goes', async () => {
    const r = (
      await t.call('POST', `${N}/routers`, {
        as: MEMBER,
        body: { router: { external_gateway_info: { network_id: ext.id } } },
      })
    ).body.router
    const { network, subnet } = await networkWithSubnet(t, MEMBER, '10.44.0.0/24')
    const port = (
      await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })
    ).body.port
    const early = await t.call('POST', `${N}/floatingips`, {
      as: MEMBER,
      body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
    })
    assert.equal(early.status, 404)
    assert.equal(early.body.NeutronError.type, 'ExternalGatewayForFloatingIPNotFound')
    await t.call('PUT', `${N}/routers/${r.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: subnet.id },
    })
    const fip = await t.call('POST', `${N}/floatingips`, {
      as: MEMBER,
      body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
    })
    assert.equal(fip.status, 201)
    const f = fip.body.floatingip
    assert.equal(f.router_id, r.id)
    assert.equal(f.fixed_ip_address, port.fixed_ips[0].ip_address)
    assert.equal(f.status, 'ACTIVE')
    assert.equal(f.port_details.mac_address, port.mac_address)
    assert.match(f.floating_ip_address, /^172\.24\.4\./)
    const chosen = await t.call('POST', `${N}/floatingips`, {
      as: MEMBER,
      body: { floatingip: { floating_network_id: ext.id, floating_ip_address: '172.24.4.200' } },
    })
    assert.equal(chosen.status, 403, 'choosing the address is for admins')
    const second = await t.call('POST', `${N}/floatingips`, {
      as: MEMBER,
      body: { floatingip: { floating_network_id: ext.id, port_id: port.id } },
    })
    assert.equal(second.status, 409)
    const gwOff = await t.call('PUT', `${N}/routers/${r.id}`, {
      as: MEMBER,
      body: { router: { external_gateway_info: {} } },
    })
    assert.equal(gwOff.status, 409)
    const ifOff = await t.call('PUT', `${N}/routers/${r.id}/remove_router_interface`, {
      as: MEMBER,
      body: { subnet_id: subnet.id },
    })
    assert.equal(ifOff.status, 409)
    assert.equal(ifOff.body.NeutronError.type, 'RouterInterfaceInUseByFloatingIP')
    assert.equal((await t.call('GET', `${N}/floatingips/${f.id}`, { as: OTHER })).status, 404)
    assert.equal((await t.call('DELETE', `${N}/ports/${port.id}`, { as: MEMBER })).status, 204)
    const loose = (await t.call('GET', `${N}/floatingips/${f.id}`, { as: MEMBER })).body.floatingip
    assert.equal(loose.port_id, null)
    assert.equal(loose.router_id, null)
    assert.equal(loose.status, 'DOWN')
    const extDelete = await t.call('DELETE', `${N}/networks/${ext.id}`, { as: ADMIN })
    assert.equal(extDelete.status, 409, 'the floating IP and gateway ports hold the external network')
    assert.equal((await t.call('DELETE', `${N}/floatingips/${f.id}`, { as: MEMBER })).status, 204)
  })

  it('gives a project one HA network for its HA routers, kept until the last goes', async () => {
    const make = async (name: string) =>
      (await t.call('POST', `${N}/routers`, { as: ADMIN, body: { router: { name, ha: true } } })).body.router
    const [r1, r2] = [await make('ha1'), await make('ha2')]
    const name = encodeURIComponent(`HA network tenant ${r1.tenant_id}`)
    const nets = (await t.call('GET', `${N}/networks?name=${name}`, { as: ADMIN })).body.networks
    assert.equal(nets.length, 1)
    const vni = nets[0]['provider:segmentation_id']
    await t.call('DELETE', `${N}/routers/${r1.id}`, { as: ADMIN })
    const kept = (await t.call('GET', `${N}/networks/${nets[0].id}`, { as: ADMIN })).body.network
    assert.equal(kept['provider:segmentation_id'], vni)
    await t.call('DELETE', `${N}/routers/${r2.id}`, { as: ADMIN })
    assert.equal((await t.call('GET', `${N}/networks/${nets[0].id}`, { as: ADMIN })).status, 404)
  })
})
