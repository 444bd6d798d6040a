/**
 * Networks, subnets and ports over HTTP with the personas: version documents and
 * extensions, standard attributes and tags, If-Match, fields, filters, sorting and
 * pagination, provider attributes for admins only, subnet checks, port addresses by
 * subnet or address, MACs, bindings, address pairs and port security, and deletions
 * that name what holds a resource.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER, READER, startNetwork, type TestHost } from './harness.js'

describe('network core API', () => {
  let t: TestHost
  before(async () => {
    t = await startNetwork()
  })
  after(() => t.close())

  it('serves the version documents without a token and extensions with one', async () => {
    const root = await t.call('GET', '/network/')
    assert.equal(root.status, 200)
    assert.equal(root.body.versions[0].id, 'v2.0')
    const v2 = await t.call('GET', '/network/v2.0')
    assert.deepEqual(v2.body.resources.map((r: { collection: string }) => r.collection).sort(), [
      'networks',
      'ports',
      'subnetpools',
      'subnets',
    ])
    assert.equal((await t.call('GET', `${N}/extensions`)).status, 401)
    const ext = await t.call('GET', `${N}/extensions`, { as: MEMBER })
    assert.ok(ext.body.extensions.some((e: { alias: string }) => e.alias === 'security-group'))
    assert.equal(
      (await t.call('GET', `${N}/extensions/router`, { as: MEMBER })).body.extension.alias,
      'router',
    )
    const none = await t.call('GET', `${N}/extensions/nope`, { as: MEMBER })
    assert.equal(none.status, 404)
    assert.equal(none.body.NeutronError.type, 'ExtensionNotFound')
  })

  it('creates a network with standard attributes and hides provider attributes from members', async () => {
    const res = await t.call('POST', `${N}/networks`, {
      as: MEMBER,
      body: { network: { name: 'a', description: 'd' } },
    })
    assert.equal(res.status, 201)
    const n = res.body.network
    assert.equal(n.project_id, 'p-own')
    assert.equal(n.tenant_id, 'p-own')
    assert.equal(n.revision_number, 0)
    assert.equal(n.mtu, 1450)
    assert.equal(n.status, 'ACTIVE')
    assert.deepEqual(n.subnets, [])
    assert.match(n.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.ok(!('provider:network_type' in n))
    const asAdmin = await t.call('GET', `${N}/networks/${n.id}`, { as: ADMIN })
    assert.equal(asAdmin.body.network['provider:network_type'], 'vxlan')
    assert.ok(Number.isInteger(asAdmin.body.network['provider:segmentation_id']))
    assert.equal((await t.call('GET', `${N}/networks/${n.id}`, { as: OTHER })).status, 404)
    assert.equal((await t.call('GET', `${N}/networks/${n.id}`, { as: READER })).status, 200)
    const denied = await t.call('PUT', `${N}/networks/${n.id}`, {
      as: READER,
      body: { network: { name: 'b' } },
    })
    assert.equal(denied.status, 403)
    assert.equal(denied.body.NeutronError.type, 'PolicyNotAuthorized')
  })

  it('checks If-Match revisions and bumps them on update', async () => {
    const n = (await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'rev' } } })).body
      .network
    const stale = await t.call('PUT', `${N}/networks/${n.id}`, {
      as: MEMBER,
      headers: { 'if-match': 'revision_number=7' },
      body: { network: { name: 'x' } },
    })
    assert.equal(stale.status, 412)
    assert.equal(stale.body.NeutronError.type, 'RevisionNumberConstraintFailed')
    const ok = await t.call('PUT', `${N}/networks/${n.id}`, {
      as: MEMBER,
      headers: { 'if-match': 'revision_number=0' },
      body: { network: { name: 'x' } },
    })
    assert.equal(ok.status, 200)
    assert.equal(ok.body.network.revision_number, 1)
    assert.equal(ok.body.network.name, 'x')
    const ro = await t.call('PUT', `${N}/networks/${n.id}`, { as: MEMBER, body: { network: { id: 'x' } } })
    assert.equal(ro.status, 400)
    assert.match(ro.body.NeutronError.message, /read-only attribute id/)
  })

  it('tags resources through the tags routes and filters on them', async () => {
    const n = (await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'tagged' } } }))
      .body.network
    assert.equal((await t.call('PUT', `${N}/networks/${n.id}/tags/red`, { as: MEMBER })).status, 201)
    const put = await t.call('PUT', `${N}/networks/${n.id}/tags`, {
      as: MEMBER,
      body: { tags: ['blue', 'green'] },
    })
    assert.deepEqual(put.body.tags.sort(), ['blue', 'green'])
    assert.equal((await t.call('GET', `${N}/networks/${n.id}/tags/blue`, { as: MEMBER })).status, 204)
    assert.equal((await t.call('GET', `${N}/networks/${n.id}/tags/red`, { as: MEMBER })).status, 404)
    const byTag = await t.call('GET', `${N}/networks?tags=blue,green`, { as: MEMBER })
    assert.deepEqual(
      byTag.body.networks.map((x: { id: string }) => x.id),
      [n.id],
    )
    const notTag = await t.call('GET', `${N}/networks?not-tags-any=blue`, { as: MEMBER })
    assert.ok(!notTag.body.networks.some((x: { id: string }) => x.id === n.id))
    assert.equal((await t.call('DELETE', `${N}/networks/${n.id}/tags`, { as: MEMBER })).status, 204)
    assert.deepEqual((await t.call('GET', `${N}/networks/${n.id}/tags`, { as: MEMBER })).body.tags, [])
  })

  it('answers fields, filters, sorting and pages with links', async () => {
    for (const name of ['p1', 'p2', 'p3'])
      await t.call('POST', `${N}/networks`, { as: OTHER, body: { network: { name } } })
    const fields = await t.call('GET', `${N}/networks?fields=id&fields=name&name=p2`, { as: OTHER })
    assert.equal(fields.body.networks.length, 1)
    assert.deepEqual(Object.keys(fields.body.networks[0]).sort(), ['id', 'name'])
    const sorted = await t.call('GET', `${N}/networks?sort_key=name&sort_dir=desc&fields=name`, { as: OTHER })
    assert.deepEqual(
      sorted.body.networks.map((x: { name: string }) => x.name),
      ['p3', 'p2', 'p1'],
    )
    const page1 = await t.call('GET', `${N}/networks?sort_key=name&sort_dir=asc&limit=2`, { as: OTHER })
    assert.deepEqual(
      page1.body.networks.map((x: { name: string }) => x.name),
      ['p1', 'p2'],
    )
    const next = page1.body.networks_links.find((l: { rel: string }) => l.rel === 'next').href as string
    const page2 = await t.call('GET', `/network/v2.0/networks${next.slice(next.indexOf('?'))}`, { as: OTHER })
    assert.deepEqual(
      page2.body.networks.map((x: { name: string }) => x.name),
      ['p3'],
    )
    const bad = await t.call('GET', `${N}/networks?colour=red`, { as: OTHER })
    assert.equal(bad.status, 400)
    assert.match(bad.body.NeutronError.message, /colour/)
    const bool = await t.call('GET', `${N}/networks?admin_state_up=false`, { as: OTHER })
    assert.deepEqual(bool.body.networks, [])
  })

  it('keeps provider and shared attributes for admins, and checks provider segments', async () => {
    const member = await t.call('POST', `${N}/networks`, {
      as: MEMBER,
      body: { network: { 'provider:network_type': 'vlan' } },
    })
    assert.equal(member.status, 403)
    const flat = await t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: {
        network: {
          name: 'ext',
          'router:external': true,
          'provider:network_type': 'flat',
          'provider:physical_network': 'physnet-x',
        },
      },
    })
    assert.equal(flat.status, 201)
    assert.equal(flat.body.network.mtu, 1500)
    const again = await t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet-x' } },
    })
    assert.equal(again.status, 409)
    assert.equal(again.body.NeutronError.type, 'FlatNetworkInUse')
    const vlan = await t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: {
        network: {
          'provider:network_type': 'vlan',
          'provider:physical_network': 'physnet1',
          'provider:segmentation_id': 1234,
        },
      },
    })
    assert.equal(vlan.status, 201)
    const dup = await t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: {
        network: {
          'provider:network_type': 'vlan',
          'provider:physical_network': 'physnet1',
          'provider:segmentation_id': 1234,
        },
      },
    })
    assert.equal(dup.status, 409)
    const bad = await t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: { network: { 'provider:network_type': 'nope' } },
    })
    assert.equal(bad.status, 400)
    assert.match(bad.body.NeutronError.message, /network_type value 'nope' not supported/)
    // An external network is visible to every project, as upstream's rule:external.
    assert.equal((await t.call('GET', `${N}/networks/${flat.body.network.id}`, { as: OTHER })).status, 200)
  })

  it('checks subnets: CIDR, version, overlap, gateway and pools', async () => {
    const n = (await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: {} } })).body.network
    const post = (subnet: Record<string, unknown>) =>
      t.call('POST', `${N}/subnets`, {
        as: MEMBER,
        body: { subnet: { network_id: n.id, ip_version: 4, ...subnet } },
      })
    assert.equal((await post({ cidr: '10.9.0.1/24' })).status, 400)
    assert.equal((await post({ cidr: 'not-a-cidr' })).status, 400)
    assert.equal((await post({ cidr: '2001:db8::/64' })).status, 400)
    assert.equal((await post({ cidr: '10.9.0.0/24', gateway_ip: '10.8.0.1' })).status, 400)
    const pool = await post({
      cidr: '10.9.0.0/24',
      allocation_pools: [{ start: '10.9.0.10', end: '10.9.1.20' }],
    })
    assert.equal(pool.status, 400)
    assert.equal(pool.body.NeutronError.type, 'OutOfBoundsAllocationPool')
    const gwInPool = await post({
      cidr: '10.9.0.0/24',
      gateway_ip: '10.9.0.15',
      allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.20' }],
    })
    assert.equal(gwInPool.status, 409)
    const ok = await post({
      cidr: '10.9.0.0/24',
      dns_nameservers: ['8.8.8.8'],
      host_routes: [{ destination: '192.168.0.0/24', nexthop: '10.9.0.5' }],
      enable_dhcp: false,
    })
    assert.equal(ok.status, 201)
    assert.equal(ok.body.subnet.gateway_ip, '10.9.0.1')
    assert.deepEqual(ok.body.subnet.allocation_pools, [{ start: '10.9.0.2', end: '10.9.0.254' }])
    assert.equal(ok.body.subnet.enable_dhcp, false)
    const overlap = await post({ cidr: '10.9.0.128/25' })
    assert.equal(overlap.status, 400)
    assert.match(overlap.body.NeutronError.message, /overlaps with another subnet/)
    const noGw = await post({ cidr: '10.10.0.0/29', gateway_ip: null })
    assert.deepEqual(noGw.body.subnet.allocation_pools, [{ start: '10.10.0.1', end: '10.10.0.6' }])
    const v6 = await t.call('POST', `${N}/subnets`, {
      as: MEMBER,
      body: {
        subnet: {
          network_id: n.id,
          ip_version: 6,
          cidr: '2001:db8:1::/64',
          ipv6_ra_mode: 'slaac',
          ipv6_address_mode: 'slaac',
        },
      },
    })
    assert.equal(v6.status, 201)
    assert.equal(v6.body.subnet.gateway_ip, '2001:db8:1::1')
    assert.deepEqual(v6.body.subnet.allocation_pools, [
      { start: '2001:db8:1::2', end: '2001:db8:1:0:ffff:ffff:ffff:ffff' },
    ])
    const other = await t.call('POST', `${N}/subnets`, {
      as: OTHER,
      body: { subnet: { network_id: n.id, ip_version: 4, cidr: '10.11.0.0/24' } },
    })
    assert.equal(other.status, 404)
  })

  it('gives ports addresses by subnet, by address, and SLAAC addresses from the MAC', async () => {
    const { network, subnet } = await networkWithSubnet(t, MEMBER, '10.20.0.0/24')
    const v6 = (
      await t.call('POST', `${N}/subnets`, {
        as: MEMBER,
        body: {
          subnet: {
            network_id: network.id,
            ip_version: 6,
            cidr: '2001:db8:20::/64',
            ipv6_address_mode: 'slaac',
            ipv6_ra_mode: 'slaac',
          },
        },
      })
    ).body.subnet
    const auto = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, mac_address: 'fa:16:3e:00:00:01' } },
    })
    assert.equal(auto.status, 201)
    assert.deepEqual(auto.body.port.fixed_ips, [
      { subnet_id: subnet.id, ip_address: '10.20.0.2' },
      { subnet_id: v6.id, ip_address: '2001:db8:20:0:f816:3eff:fe00:1' },
    ])
    const byIp = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.20.0.50' }] } },
    })
    assert.deepEqual(byIp.body.port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.20.0.50' }])
    assert.match(byIp.body.port.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/)
    const taken = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: {
        port: { network_id: network.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.50' }] },
      },
    })
    assert.equal(taken.status, 409)
    assert.equal(taken.body.NeutronError.type, 'IpAddressInUse')
    const outside = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: {
        port: { network_id: network.id, fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.99.0.5' }] },
      },
    })
    assert.equal(outside.status, 400)
    const macDup = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, mac_address: 'fa:16:3e:00:00:01' } },
    })
    assert.equal(macDup.status, 409)
    assert.equal(macDup.body.NeutronError.type, 'MacAddressInUse')
    const byFilter = await t.call('GET', `${N}/ports?fixed_ips=ip_address%3D10.20.0.50`, { as: MEMBER })
    assert.deepEqual(
      byFilter.body.ports.map((p: { id: string }) => p.id),
      [byIp.body.port.id],
    )
    const moved = await t.call('PUT', `${N}/ports/${byIp.body.port.id}`, {
      as: MEMBER,
      body: { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.20.0.51' }] } },
    })
    assert.deepEqual(moved.body.port.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.20.0.51' }])
    const reuse = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.20.0.50' }] } },
    })
    assert.equal(reuse.status, 201, 'the released address is free again')
  })

  it('binds ports for admins, shows binding details to admins only', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.21.0.0/24')
    const member = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, 'binding:host_id': 'h1' } },
    })
    assert.equal(member.status, 403)
    const p = await t.call('POST', `${N}/ports`, {
      as: ADMIN,
      body: {
        port: {
          network_id: network.id,
          'binding:host_id': 'h1',
          device_owner: 'compute:nova',
          device_id: 'vm-1',
        },
      },
    })
    assert.equal(p.status, 201)
    assert.equal(p.body.port.status, 'ACTIVE')
    assert.equal(p.body.port['binding:vif_type'], 'ovs')
    const seen = await t.call('GET', `${N}/ports/${p.body.port.id}`, { as: MEMBER })
    assert.equal(seen.status, 200)
    assert.ok(!('binding:host_id' in seen.body.port))
    assert.equal(seen.body.port['binding:vnic_type'], 'normal')
    const byDevice = await t.call('GET', `${N}/ports?device_id=vm-1`, { as: MEMBER })
    assert.equal(byDevice.body.ports.length, 1)
  })

  it('needs port security for address pairs and security groups', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.22.0.0/24')
    const pairs = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, allowed_address_pairs: [{ ip_address: '10.22.0.100' }] } },
    })
    assert.equal(pairs.status, 201)
    assert.equal(pairs.body.port.allowed_address_pairs[0].mac_address, pairs.body.port.mac_address)
    const off = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: {
        port: {
          network_id: network.id,
          port_security_enabled: false,
          allowed_address_pairs: [{ ip_address: '10.22.0.9' }],
        },
      },
    })
    assert.equal(off.status, 409)
    const plain = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, port_security_enabled: false } },
    })
    assert.equal(plain.status, 201)
    assert.deepEqual(plain.body.port.security_groups, [])
    const withGroups = await t.call('PUT', `${N}/ports/${pairs.body.port.id}`, {
      as: MEMBER,
      body: { port: { port_security_enabled: false } },
    })
    assert.equal(withGroups.status, 409)
    assert.equal(withGroups.body.NeutronError.type, 'PortSecurityPortHasSecurityGroup')
  })

  it('refuses deleting a subnet or network in use, naming the ports', async () => {
    const { network, subnet } = await networkWithSubnet(t, MEMBER, '10.23.0.0/24')
    const port = (
      await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })
    ).body.port
    const sub = await t.call('DELETE', `${N}/subnets/${subnet.id}`, { as: MEMBER })
    assert.equal(sub.status, 409)
    assert.equal(sub.body.NeutronError.type, 'SubnetInUse')
    assert.match(sub.body.NeutronError.message, new RegExp(port.id))
    const net = await t.call('DELETE', `${N}/networks/${network.id}`, { as: MEMBER })
    assert.equal(net.status, 409)
    assert.match(net.body.NeutronError.message, new RegExp(port.id))
    assert.equal((await t.call('DELETE', `${N}/ports/${port.id}`, { as: MEMBER })).status, 204)
    assert.equal((await t.call('DELETE', `${N}/networks/${network.id}`, { as: MEMBER })).status, 204)
    assert.equal((await t.call('GET', `${N}/subnets/${subnet.id}`, { as: MEMBER })).status, 404)
  })

  it('answers bad bodies with Neutron 400s, never a 500', async () => {
    const cases: unknown[] = [
      {},
      { network: 'x' },
      { network: { admin_state_up: 'maybe' } },
      { network: { name: 5 } },
      { network: { mtu: 10 } },
      { networks: [] },
    ]
    for (const body of cases) {
      const res = await t.call('POST', `${N}/networks`, { as: MEMBER, body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.ok(res.body.NeutronError.message, JSON.stringify(body))
    }
    const bulk = await t.call('POST', `${N}/networks`, {
      as: MEMBER,
      body: { networks: [{ name: 'b1' }, { name: 'b2' }] },
    })
    assert.equal(bulk.status, 201)
    assert.equal(bulk.body.networks.length, 2)
    const half = await t.call('POST', `${N}/networks`, {
      as: MEMBER,
      body: { networks: [{ name: 'h1' }, { bogus: 1 }] },
    })
    assert.equal(half.status, 400)
    const left = await t.call('GET', `${N}/networks?name=h1`, { as: MEMBER })
    assert.deepEqual(left.body.networks, [], 'a failed bulk create leaves nothing behind')
  })
})

describe('network MAC generation', () => {
  it('draws a new MAC when a generated one is taken on the network', async () => {
    // One random octet: 256 MACs, so 60 ports meet collisions.
    const t = await startNetwork({ DEFAULT: { base_mac: 'fa:16:3e:4f:12:00' } })
    try {
      const { network } = await networkWithSubnet(t, MEMBER, '10.50.0.0/24')
      const macs = new Set<string>()
      for (let i = 0; i < 60; i++) {
        const r = await t.call('POST', `${N}/ports`, {
          as: MEMBER,
          body: { port: { network_id: network.id } },
        })
        assert.equal(r.status, 201, JSON.stringify(r.body))
        assert.match(r.body.port.mac_address, /^fa:16:3e:4f:12:[0-9a-f]{2}$/)
        macs.add(r.body.port.mac_address)
      }
      assert.equal(macs.size, 60)
    } finally {
      await t.close()
    }
  })
})
