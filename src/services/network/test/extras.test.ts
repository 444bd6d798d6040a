/**
 * Trunks (a parent port refuses deletion naming its trunk), RBAC sharing, segments,
 * network IP availability, metering and availability zones over HTTP.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, N, networkWithSubnet, OTHER, startNetwork, type TestHost } from './harness.js'

describe('network trunks, RBAC, segments, availability, metering', () => {
  let t: TestHost
  before(async () => {
    t = await startNetwork()
  })
  after(() => t.close())

  it('keeps a trunk parent port until the trunk goes, and says which trunk holds it', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.60.0.0/24')
    const port = async () =>
      (await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })).body
        .port
    const parent = await port()
    const child = await port()
    const trunk = await t.call('POST', `${N}/trunks`, {
      as: MEMBER,
      body: {
        trunk: {
          port_id: parent.id,
          name: 'tr',
          sub_ports: [{ port_id: child.id, segmentation_type: 'vlan', segmentation_id: 100 }],
        },
      },
    })
    assert.equal(trunk.status, 201)
    assert.deepEqual(trunk.body.trunk.sub_ports, [
      { port_id: child.id, segmentation_type: 'vlan', segmentation_id: 100 },
    ])
    const del = await t.call('DELETE', `${N}/ports/${parent.id}`, { as: MEMBER })
    assert.equal(del.status, 409)
    assert.equal(del.body.NeutronError.type, 'PortInUseAsTrunkParent')
    assert.match(del.body.NeutronError.message, new RegExp(trunk.body.trunk.id))
    const subDel = await t.call('DELETE', `${N}/ports/${child.id}`, { as: MEMBER })
    assert.equal(subDel.status, 409)
    const details = (await t.call('GET', `${N}/ports/${parent.id}`, { as: MEMBER })).body.port.trunk_details
    assert.equal(details.trunk_id, trunk.body.trunk.id)
    const third = await port()
    const dupVlan = await t.call('PUT', `${N}/trunks/${trunk.body.trunk.id}/add_subports`, {
      as: MEMBER,
      body: { sub_ports: [{ port_id: third.id, segmentation_type: 'vlan', segmentation_id: 100 }] },
    })
    assert.equal(dupVlan.status, 409)
    const added = await t.call('PUT', `${N}/trunks/${trunk.body.trunk.id}/add_subports`, {
      as: MEMBER,
      body: { sub_ports: [{ port_id: third.id, segmentation_type: 'vlan', segmentation_id: 101 }] },
    })
    assert.equal(added.body.sub_ports.length, 2)
    const subs = await t.call('GET', `${N}/trunks/${trunk.body.trunk.id}/get_subports`, { as: MEMBER })
    assert.equal(subs.body.sub_ports.length, 2)
    const removed = await t.call('PUT', `${N}/trunks/${trunk.body.trunk.id}/remove_subports`, {
      as: MEMBER,
      body: { sub_ports: [{ port_id: third.id }] },
    })
    assert.equal(removed.body.sub_ports.length, 1)
    assert.equal((await t.call('DELETE', `${N}/trunks/${trunk.body.trunk.id}`, { as: MEMBER })).status, 204)
    assert.equal((await t.call('DELETE', `${N}/ports/${parent.id}`, { as: MEMBER })).status, 204)
  })

  it("binds a trunk's subports to its parent's host and moves them with it", async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.62.0.0/24')
    const port = async () =>
      (await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })).body
        .port
    const [parent, child, late] = [await port(), await port(), await port()]
    const trunk = await t.call('POST', `${N}/trunks`, {
      as: MEMBER,
      body: {
        trunk: {
          port_id: parent.id,
          sub_ports: [{ port_id: child.id, segmentation_type: 'vlan', segmentation_id: 42 }],
        },
      },
    })
    assert.equal(trunk.status, 201)
    const id = trunk.body.trunk.id
    const seen = async (portId: string) =>
      (await t.call('GET', `${N}/ports/${portId}`, { as: ADMIN })).body.port as Record<string, unknown>
    const bindParent = (host: string) =>
      t.call('PUT', `${N}/ports/${parent.id}`, { as: ADMIN, body: { port: { 'binding:host_id': host } } })
    assert.equal((await seen(child.id)).status, 'DOWN')

    assert.equal((await bindParent('cmp-1')).status, 200)
    const bound = await seen(child.id)
    assert.equal(bound['binding:host_id'], 'cmp-1')
    assert.equal(bound.status, 'ACTIVE')
    assert.equal(bound.device_owner, 'trunk:subport')
    assert.equal(bound.device_id, id)
    assert.equal((await t.call('GET', `${N}/trunks/${id}`, { as: MEMBER })).body.trunk.status, 'ACTIVE')

    // Added to a bound trunk: bound at once. The parent moves: they follow.
    await t.call('PUT', `${N}/trunks/${id}/add_subports`, {
      as: MEMBER,
      body: { sub_ports: [{ port_id: late.id, segmentation_type: 'vlan', segmentation_id: 43 }] },
    })
    assert.equal((await seen(late.id))['binding:host_id'], 'cmp-1')
    await bindParent('cmp-2')
    for (const p of [child.id, late.id]) {
      assert.equal((await seen(p))['binding:host_id'], 'cmp-2')
      assert.equal((await seen(p)).status, 'ACTIVE')
    }

    // Removed: unbound, no longer the trunk's. The parent unbound: the rest with it.
    await t.call('PUT', `${N}/trunks/${id}/remove_subports`, {
      as: MEMBER,
      body: { sub_ports: [{ port_id: late.id }] },
    })
    const gone = await seen(late.id)
    assert.equal(gone['binding:host_id'], '')
    assert.equal(gone.status, 'DOWN')
    assert.equal(gone.device_owner, '')
    await bindParent('')
    assert.equal((await seen(child.id)).status, 'DOWN')
    assert.equal((await seen(child.id))['binding:host_id'], '')
  })

  it('shares a network with one project through RBAC and keeps the grant while it is used', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.61.0.0/24')
    assert.equal((await t.call('GET', `${N}/networks/${network.id}`, { as: OTHER })).status, 404)
    const wildcard = await t.call('POST', `${N}/rbac-policies`, {
      as: MEMBER,
      body: {
        rbac_policy: {
          object_type: 'network',
          object_id: network.id,
          action: 'access_as_shared',
          target_tenant: '*',
        },
      },
    })
    assert.equal(wildcard.status, 403, 'sharing with everyone is for admins')
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
    const seen = await t.call('GET', `${N}/networks/${network.id}`, { as: OTHER })
    assert.equal(seen.status, 200)
    assert.equal(seen.body.network.shared, true)
    const port = await t.call('POST', `${N}/ports`, { as: OTHER, body: { port: { network_id: network.id } } })
    assert.equal(port.status, 201)
    const withdraw = await t.call('DELETE', `${N}/rbac-policies/${grant.body.rbac_policy.id}`, { as: MEMBER })
    assert.equal(withdraw.status, 409)
    assert.match(withdraw.body.NeutronError.message, new RegExp(port.body.port.id))
  })

  it('lists segments and adds one to a network, for admins', async () => {
    const n = (await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: {} } })).body.network
    assert.equal(
      (await t.call('GET', `${N}/segments?network_id=${n.id}`, { as: MEMBER })).body.segments.length,
      0,
    )
    const segs = await t.call('GET', `${N}/segments?network_id=${n.id}`, { as: ADMIN })
    assert.equal(segs.body.segments.length, 1)
    assert.equal(segs.body.segments[0].network_type, 'vxlan')
    const added = await t.call('POST', `${N}/segments`, {
      as: ADMIN,
      body: {
        segment: {
          network_id: n.id,
          network_type: 'vlan',
          physical_network: 'physnet1',
          segmentation_id: 1500,
        },
      },
    })
    assert.equal(added.status, 201)
    assert.equal(
      (await t.call('DELETE', `${N}/segments/${added.body.segment.id}`, { as: ADMIN })).status,
      204,
    )
    const last = await t.call('DELETE', `${N}/segments/${segs.body.segments[0].id}`, { as: ADMIN })
    assert.equal(last.status, 409)
  })

  it('answers network IP availability to admins', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.62.0.0/28')
    await t.call('POST', `${N}/ports`, { as: MEMBER, body: { port: { network_id: network.id } } })
    assert.equal(
      (await t.call('GET', `${N}/network-ip-availabilities/${network.id}`, { as: MEMBER })).status,
      403,
    )
    const a = await t.call('GET', `${N}/network-ip-availabilities/${network.id}`, { as: ADMIN })
    assert.equal(a.body.network_ip_availability.total_ips, 13)
    assert.equal(a.body.network_ip_availability.used_ips, 1)
    const list = await t.call('GET', `${N}/network-ip-availabilities?network_id=${network.id}`, { as: ADMIN })
    assert.equal(list.body.network_ip_availabilities.length, 1)
  })

  it('keeps metering labels and rules for admins, refusing overlaps', async () => {
    assert.equal(
      (
        await t.call('POST', `${N}/metering/metering-labels`, {
          as: MEMBER,
          body: { metering_label: { name: 'x' } },
        })
      ).status,
      403,
    )
    const label = await t.call('POST', `${N}/metering/metering-labels`, {
      as: ADMIN,
      body: { metering_label: { name: 'web' } },
    })
    assert.equal(label.status, 201)
    const id = label.body.metering_label.id
    const rule = await t.call('POST', `${N}/metering/metering-label-rules`, {
      as: ADMIN,
      body: {
        metering_label_rule: { metering_label_id: id, remote_ip_prefix: '10.0.0.0/24', direction: 'ingress' },
      },
    })
    assert.equal(rule.status, 201)
    assert.equal(rule.body.metering_label_rule.excluded, false)
    const overlap = await t.call('POST', `${N}/metering/metering-label-rules`, {
      as: ADMIN,
      body: {
        metering_label_rule: {
          metering_label_id: id,
          remote_ip_prefix: '10.0.0.128/25',
          direction: 'ingress',
        },
      },
    })
    assert.equal(overlap.status, 409)
    assert.equal((await t.call('DELETE', `${N}/metering/metering-labels/${id}`, { as: ADMIN })).status, 204)
    assert.equal(
      (
        await t.call('GET', `${N}/metering/metering-label-rules/${rule.body.metering_label_rule.id}`, {
          as: ADMIN,
        })
      ).status,
      404,
    )
  })

  it('allocates subnets from subnet pools, never overlapping, and keeps a pool in use', async () => {
    const pool = await t.call('POST', `${N}/subnetpools`, {
      as: MEMBER,
      body: { subnetpool: { name: 'pool', prefixes: ['10.80.0.0/16'], default_prefixlen: 24 } },
    })
    assert.equal(pool.status, 201)
    assert.equal(pool.body.subnetpool.ip_version, 4)
    const net = (await t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: {} } })).body.network
    const sub = (prefixlen?: number) =>
      t.call('POST', `${N}/subnets`, {
        as: MEMBER,
        body: {
          subnet: {
            network_id: net.id,
            ip_version: 4,
            subnetpool_id: pool.body.subnetpool.id,
            ...(prefixlen ? { prefixlen } : {}),
          },
        },
      })
    const a = await sub()
    assert.equal(a.body.subnet.cidr, '10.80.0.0/24')
    const b = await sub(26)
    assert.equal(b.body.subnet.cidr, '10.80.1.0/26')
    const c = await sub()
    assert.equal(c.body.subnet.cidr, '10.80.2.0/24')
    const shrink = await t.call('PUT', `${N}/subnetpools/${pool.body.subnetpool.id}`, {
      as: MEMBER,
      body: { subnetpool: { prefixes: ['10.81.0.0/16'] } },
    })
    assert.equal(shrink.status, 400)
    const del = await t.call('DELETE', `${N}/subnetpools/${pool.body.subnetpool.id}`, { as: MEMBER })
    assert.equal(del.status, 409)
  })

  it('schedules DHCP networks on the simulated DHCP agent, and lets admins move them', async () => {
    const agents = (await t.call('GET', `${N}/agents`, { as: ADMIN })).body.agents
    assert.deepEqual(agents.map((a: { agent_type: string }) => a.agent_type).sort(), [
      'DHCP agent',
      'L3 agent',
      'Metadata agent',
      'Open vSwitch agent',
    ])
    assert.ok(agents.every((a: { alive: boolean }) => a.alive))
    assert.deepEqual((await t.call('GET', `${N}/agents`, { as: MEMBER })).body.agents, [])
    const dhcp = agents.find((a: { agent_type: string }) => a.agent_type === 'DHCP agent')
    const { network } = await networkWithSubnet(t, MEMBER, '10.63.0.0/24')
    const hosting = await t.call('GET', `${N}/networks/${network.id}/dhcp-agents`, { as: ADMIN })
    assert.deepEqual(
      hosting.body.agents.map((a: { id: string }) => a.id),
      [dhcp.id],
    )
    assert.equal(
      (await t.call('DELETE', `${N}/agents/${dhcp.id}/dhcp-networks/${network.id}`, { as: ADMIN })).status,
      204,
    )
    const hosted = await t.call('GET', `${N}/agents/${dhcp.id}/dhcp-networks`, { as: ADMIN })
    assert.ok(!hosted.body.networks.some((n: { id: string }) => n.id === network.id))
    assert.equal(
      (
        await t.call('POST', `${N}/agents/${dhcp.id}/dhcp-networks`, {
          as: ADMIN,
          body: { network_id: network.id },
        })
      ).status,
      201,
    )
    assert.equal(
      (
        await t.call('POST', `${N}/agents/${dhcp.id}/dhcp-networks`, {
          as: ADMIN,
          body: { network_id: network.id },
        })
      ).status,
      409,
    )
  })

  it('upgrades a router to distributed only while it is down, and hides the flag from members', async () => {
    const up = (await t.call('POST', `${N}/routers`, { as: ADMIN, body: { router: { distributed: false } } }))
      .body.router
    assert.equal(
      (await t.call('PUT', `${N}/routers/${up.id}`, { as: ADMIN, body: { router: { distributed: true } } }))
        .status,
      400,
    )
    const down = await t.call('PUT', `${N}/routers/${up.id}`, {
      as: ADMIN,
      body: { router: { admin_state_up: false, distributed: true } },
    })
    assert.equal(down.body.router.distributed, true)
    const own = (await t.call('POST', `${N}/routers`, { as: MEMBER, body: { router: {} } })).body.router
    assert.ok(!('distributed' in own))
    assert.equal(
      (await t.call('POST', `${N}/routers`, { as: MEMBER, body: { router: { distributed: true } } })).status,
      403,
    )
  })

  it('filters ports by an address substring', async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.64.0.0/24')
    const p = (
      await t.call('POST', `${N}/ports`, {
        as: MEMBER,
        body: { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.64.0.77' }] } },
      })
    ).body.port
    const found = await t.call('GET', `${N}/ports?fixed_ips=ip_address_substr%3D64.0.7`, { as: MEMBER })
    assert.deepEqual(
      found.body.ports.map((x: { id: string }) => x.id),
      [p.id],
    )
  })

  it("lets a project member set a subnet's service types, as upstream's neutron-server does", async () => {
    const { network } = await networkWithSubnet(t, MEMBER, '10.71.0.0/24')
    const made = await t.call('POST', `${N}/subnets`, {
      as: MEMBER,
      body: {
        subnet: {
          network_id: network.id,
          ip_version: 4,
          cidr: '10.72.0.0/24',
          service_types: ['test:type_1', 'network:distributed'],
        },
      },
    })
    assert.equal(made.status, 201, JSON.stringify(made.body))
    assert.deepEqual([...made.body.subnet.service_types].sort(), ['network:distributed', 'test:type_1'])
    const changed = await t.call('PUT', `${N}/subnets/${made.body.subnet.id}`, {
      as: MEMBER,
      body: { subnet: { service_types: ['test:type_2'] } },
    })
    assert.equal(changed.status, 200, JSON.stringify(changed.body))
    assert.deepEqual(changed.body.subnet.service_types, ['test:type_2'])
    // a port of that device owner takes its address from the subnet that serves it
    const port = await t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: network.id, device_owner: 'test:type_2' } },
    })
    assert.equal(port.status, 201, JSON.stringify(port.body))
    assert.equal(port.body.port.fixed_ips[0].subnet_id, made.body.subnet.id)
    // and one of another owner from the subnet with no service types, never the typed one
    for (const owner of ['compute:nova', '']) {
      const other = await t.call('POST', `${N}/ports`, {
        as: MEMBER,
        body: { port: { network_id: network.id, device_owner: owner } },
      })
      assert.equal(other.status, 201, JSON.stringify(other.body))
      assert.notEqual(other.body.port.fixed_ips[0].subnet_id, made.body.subnet.id, owner)
    }
  })

  it('lists the availability zone of networks and routers', async () => {
    const z = await t.call('GET', `${N}/availability_zones`, { as: MEMBER })
    assert.deepEqual(z.body.availability_zones, [
      { name: 'nova', resource: 'network', state: 'available' },
      { name: 'nova', resource: 'router', state: 'available' },
    ])
  })
})
