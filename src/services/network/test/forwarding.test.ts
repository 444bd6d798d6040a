/**
 * Floating IP port forwardings (a socket mapped once, a floating IP either forwards or is
 * associated, deletion held) and the auto-allocated topology (built once per project even
 * under concurrent calls, dry-run, deleted whole) over HTTP.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER, startNetwork, type TestHost } from './harness.js'

describe('network port forwardings and auto-allocated topology', () => {
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
    await t.call('POST', `${N}/subnets`, {
      as: ADMIN,
      body: { subnet: { network_id: ext.id, ip_version: 4, cidr: '172.24.4.0/24', enable_dhcp: false } },
    })
  })
  after(() => t.close())

  it('forwards a floating IP port to a fixed address once, and holds the floating IP', async () => {
    const { network, subnet } = await networkWithSubnet(t, MEMBER, '10.70.0.0/24')
    const router = (
      await t.call('POST', `${N}/routers`, {
        as: MEMBER,
        body: { router: { name: 'r', external_gateway_info: { network_id: ext.id } } },
      })
    ).body.router
    await t.call('PUT', `${N}/routers/${router.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: subnet.id },
    })
    const port = async () =>
      (await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })).body
        .port
    const [p1, p2] = [await port(), await port()]
    const fip = (
      await t.call('POST', `${N}/floatingips`, {
        as: MEMBER,
        body: { floatingip: { floating_network_id: ext.id } },
      })
    ).body.floatingip
    const pfs = `${N}/floatingips/${fip.id}/port_forwardings`
    const pf = (
      to: { id: string; fixed_ips: { ip_address: string }[] },
      internal: number,
      external: number,
    ) =>
      t.call('POST', pfs, {
        as: MEMBER,
        body: {
          port_forwarding: {
            internal_port_id: to.id,
            internal_ip_address: to.fixed_ips[0]!.ip_address,
            internal_port: internal,
            external_port: external,
            protocol: 'tcp',
          },
        },
      })
    const first = await pf(p1, 22, 2222)
    assert.equal(first.status, 201, JSON.stringify(first.body))
    assert.equal(first.body.port_forwarding.external_port, 2222)
    const sameExternal = await pf(p2, 22, 2222)
    assert.equal(sameExternal.status, 400)
    const sameInternal = await pf(p1, 22, 2223)
    assert.equal(sameInternal.status, 400)
    assert.equal((await pf(p2, 22, 2223)).status, 201)
    const shown = (await t.call('GET', `${N}/floatingips/${fip.id}`, { as: MEMBER })).body.floatingip
    assert.equal(shown.port_forwardings.length, 2)
    assert.equal(shown.router_id, router.id)
    const assoc = await t.call('PUT', `${N}/floatingips/${fip.id}`, {
      as: MEMBER,
      body: { floatingip: { port_id: p1.id } },
    })
    assert.equal(assoc.status, 409)
    assert.equal(assoc.body.NeutronError.type, 'FipInUseByPortForwarding')
    const del = await t.call('DELETE', `${N}/floatingips/${fip.id}`, { as: MEMBER })
    assert.equal(del.status, 409)
    const upd = await t.call('PUT', `${pfs}/${first.body.port_forwarding.id}`, {
      as: MEMBER,
      body: { port_forwarding: { internal_port: 2022 } },
    })
    assert.equal(upd.body.port_forwarding.internal_port, 2022)
    assert.equal((await t.call('GET', pfs, { as: OTHER })).status, 404)
    const list = (await t.call('GET', pfs, { as: MEMBER })).body.port_forwardings
    for (const x of list) assert.equal((await t.call('DELETE', `${pfs}/${x.id}`, { as: MEMBER })).status, 204)
    assert.equal((await t.call('DELETE', `${N}/floatingips/${fip.id}`, { as: MEMBER })).status, 204)
  })

  it('builds one auto-allocated topology per project, even for concurrent calls, and deletes it', async () => {
    const me = (await t.call('POST', `${N}/networks`, { as: OTHER, body: { network: { name: 'x' } } })).body
      .network.project_id as string
    const url = `${N}/auto-allocated-topology/${me}`
    const noDefault = await t.call('GET', `${url}?fields=dry-run`, { as: OTHER })
    assert.equal(noDefault.status, 409)
    assert.match(noDefault.body.NeutronError.message, /No default router:external network/)
    await t.call('PUT', `${N}/networks/${ext.id}`, { as: ADMIN, body: { network: { is_default: true } } })
    const noPool = await t.call('GET', `${url}?fields=dry-run`, { as: OTHER })
    assert.match(noPool.body.NeutronError.message, /No default subnetpools/)
    await t.call('POST', `${N}/subnetpools`, {
      as: ADMIN,
      body: {
        subnetpool: {
          name: 'default-v4',
          prefixes: ['10.128.0.0/16'],
          default_prefixlen: 26,
          shared: true,
          is_default: true,
        },
      },
    })
    const dry = await t.call('GET', `${url}?fields=dry-run`, { as: OTHER })
    assert.deepEqual(dry.body, { auto_allocated_topology: { 'dry-run': 'pass' } })
    const calls = await Promise.all([1, 2, 3].map(() => t.call('GET', url, { as: OTHER })))
    for (const c of calls) assert.equal(c.status, 200, JSON.stringify(c.body))
    const ids = new Set(calls.map((c) => c.body.auto_allocated_topology.id))
    assert.equal(ids.size, 1, 'one network for every concurrent call')
    const nets = (await t.call('GET', `${N}/networks?name=auto_allocated_network`, { as: OTHER })).body
      .networks
    assert.equal(nets.length, 1)
    const subnets = (await t.call('GET', `${N}/subnets?name=auto_allocated_subnet_v4`, { as: OTHER })).body
      .subnets
    assert.equal(subnets.length, 1)
    assert.match(subnets[0].cidr, /^10\.128\.\d+\.\d+\/26$/)
    const routers = (await t.call('GET', `${N}/routers?name=auto_allocated_router`, { as: OTHER })).body
      .routers
    assert.equal(routers[0].external_gateway_info.network_id, ext.id)
    assert.equal((await t.call('DELETE', url, { as: OTHER })).status, 204)
    assert.equal(
      (await t.call('GET', `${N}/networks?name=auto_allocated_network`, { as: OTHER })).body.networks.length,
      0,
    )
    assert.equal(
      (await t.call('GET', `${N}/routers?name=auto_allocated_router`, { as: OTHER })).body.routers.length,
      0,
    )
  })
})
