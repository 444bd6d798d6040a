/**
 * Servers with the network service on one test host: the build flow's networking step
 * (ports created or taken for the chosen host, device owner `compute:<zone>`, the
 * create's security groups, `auto` resolved to the project's network), addresses from
 * the ports, network-vif-plugged posted by the real agents, a port the network service
 * refuses failing the build with nothing left (no port, no allocation), delete giving
 * back the user's port and deleting the created ones; os-interface; the floating IP and
 * security group actions; os-server-external-events statuses; the proxy APIs up to 2.35.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Kysely } from 'kysely'
import type { ComputeDatabase } from '../storage/schema.js'
import { settle, startServersCloud, type TestCloud, waitFor } from './cloud-harness.js'

const S = '/compute/v2.1/servers'
const N = '/network/v2.0'
const MEMBER = 'project-member'
const ADMIN = 'project-admin'

describe('servers with ports', () => {
  let c: TestCloud
  let net: { id: string; name: string }
  let subnetId: string
  before(async () => {
    c = await startServersCloud({ network: true, realAgents: 2 })
    const n = await c.t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'app' } } })
    assert.equal(n.status, 201, JSON.stringify(n.body))
    net = n.body.network
    const sub = await c.t.call('POST', `${N}/subnets`, {
      as: MEMBER,
      body: { subnet: { network_id: net.id, ip_version: 4, cidr: '10.20.0.0/24' } },
    })
    assert.equal(sub.status, 201, JSON.stringify(sub.body))
    subnetId = sub.body.subnet.id
  })
  after(() => c.close())

  const create = (server: Record<string, unknown>, as = MEMBER, version = '2.1') =>
    c.t.call('POST', S, { as, version, body: { server: { imageRef: c.imageId, flavorRef: '1', ...server } } })
  const ports = async (deviceId: string) =>
    (await c.t.call('GET', `${N}/ports?device_id=${deviceId}`, { as: ADMIN })).body.ports as Record<
      string,
      unknown
    >[]
  const boot = async (server: Record<string, unknown>) => {
    const res = await create({ name: 'srv', ...server }, MEMBER, server.networks === 'none' ? '2.37' : '2.1')
    assert.equal(res.status, 202, JSON.stringify(res.body))
    return (await waitFor(c.t, res.body.server.id, ['ACTIVE', 'ERROR'])) as Record<string, unknown> & {
      id: string
    }
  }

  it('creates a port on the requested network, bound to the host, and shows its address', async () => {
    const s = await boot({ networks: [{ uuid: net.id }] })
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s))
    const [port, ...rest] = await ports(s.id)
    assert.equal(rest.length, 0)
    assert.equal(port!.device_owner, 'compute:nova')
    const admin = await c.t.call('GET', `${S}/${s.id}`, { as: ADMIN })
    assert.equal(port!['binding:host_id'], admin.body.server['OS-EXT-SRV-ATTR:host'])
    assert.equal(port!.status, 'ACTIVE')
    const ip = (port!.fixed_ips as { ip_address: string }[])[0]!.ip_address
    assert.deepEqual((s.addresses as Record<string, unknown>).app, [
      { version: 4, addr: ip, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': port!.mac_address },
    ])
    const ips = await c.t.call('GET', `${S}/${s.id}/ips`, { as: MEMBER })
    assert.deepEqual(ips.body.addresses, s.addresses)
    const byNet = await c.t.call('GET', `${S}/${s.id}/ips/app`, { as: MEMBER })
    assert.deepEqual(byNet.body, { app: (s.addresses as Record<string, unknown>).app })
    const none = await c.t.call('GET', `${S}/${s.id}/ips/elsewhere`, { as: MEMBER })
    assert.equal(none.status, 404)
  })

  it('reports network-vif-plugged for each port through os-server-external-events', async () => {
    const s = await boot({ networks: [{ uuid: net.id }, { uuid: net.id }] })
    assert.equal(s.status, 'ACTIVE')
    const held = await ports(s.id)
    assert.equal(held.length, 2)
    const db = c.t.host.modules.find((m) => m.module.name === 'compute')!.db as Kysely<ComputeDatabase>
    const events = await db
      .selectFrom('instance_external_events')
      .selectAll()
      .where('instance_uuid', '=', s.id)
      .execute()
    const rows = events
    assert.deepEqual(
      rows.map((e) => `${e.name}:${e.tag}`).sort(),
      held.map((p) => `network-vif-plugged:${p.id}`).sort(),
    )
  })

  it('resolves auto to the project network and applies the create security groups', async () => {
    const g = await c.t.call('POST', `${N}/security-groups`, {
      as: MEMBER,
      body: { security_group: { name: 'web' } },
    })
    assert.equal(g.status, 201)
    const s = await boot({ security_groups: [{ name: 'web' }] })
    assert.equal(s.status, 'ACTIVE')
    const [port] = await ports(s.id)
    assert.equal(port!.network_id, net.id)
    assert.deepEqual(port!.security_groups, [g.body.security_group.id])
    assert.deepEqual(s.security_groups, [{ name: 'web' }])
  })

  it('takes a given port, keeps it on delete and deletes the ports it created', async () => {
    const p = await c.t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: net.id, name: 'mine' } },
    })
    const s = await boot({ networks: [{ port: p.body.port.id }, { uuid: net.id, fixed_ip: '10.20.0.77' }] })
    assert.equal(s.status, 'ACTIVE')
    const held = await ports(s.id)
    assert.equal(held.length, 2)
    const created = held.find((x) => x.id !== p.body.port.id)!
    assert.equal((created.fixed_ips as { ip_address: string }[])[0]!.ip_address, '10.20.0.77')
    // the taken port is in use: another server cannot have it (409 at the API)
    const again = await create({ name: 'thief', networks: [{ port: p.body.port.id }] })
    assert.equal(again.status, 409, JSON.stringify(again.body))
    assert.match(again.body.conflictingRequest.message, /is still in use/)
    const del = await c.t.call('DELETE', `${S}/${s.id}`, { as: MEMBER })
    assert.equal(del.status, 204)
    await waitFor(c.t, s.id, ['DELETED'])
    const kept = await c.t.call('GET', `${N}/ports/${p.body.port.id}`, { as: ADMIN })
    assert.equal(kept.status, 200)
    assert.equal(kept.body.port.device_id, '')
    assert.equal(kept.body.port['binding:host_id'], '')
    const gone = await c.t.call('GET', `${N}/ports/${created.id}`, { as: MEMBER })
    assert.equal(gone.status, 404)
  })

  it('fails a build whose port the network refuses, leaving no port and no allocation', async () => {
    const taken = await c.t.call('POST', `${N}/ports`, {
      as: MEMBER,
      body: { port: { network_id: net.id, fixed_ips: [{ subnet_id: subnetId, ip_address: '10.20.0.99' }] } },
    })
    assert.equal(taken.status, 201)
    const s = await boot({ networks: [{ uuid: net.id }, { uuid: net.id, fixed_ip: '10.20.0.99' }] })
    assert.equal(s.status, 'ERROR')
    assert.match(String((s.fault as { message: string }).message), /aborted/)
    await settle(c.compute)
    assert.deepEqual(await ports(s.id), [], 'the port created before the refusal is deleted')
    const alloc = await c.t.call('GET', `/placement/allocations/${s.id}`, { as: ADMIN })
    assert.deepEqual(alloc.body.allocations, {})
  })

  it('attaches, lists, shows and detaches interfaces', async () => {
    const s = await boot({ networks: 'none' })
    const path = `${S}/${s.id}/os-interface`
    assert.deepEqual((await c.t.call('GET', path, { as: MEMBER })).body.interfaceAttachments, [])
    const both = await c.t.call('POST', path, {
      as: MEMBER,
      body: { interfaceAttachment: { net_id: net.id, port_id: net.id } },
    })
    assert.equal(both.status, 400)
    const att = await c.t.call('POST', path, {
      as: MEMBER,
      body: { interfaceAttachment: { net_id: net.id, fixed_ips: [{ ip_address: '10.20.0.60' }] } },
    })
    assert.equal(att.status, 200, JSON.stringify(att.body))
    const a = att.body.interfaceAttachment
    assert.equal(a.net_id, net.id)
    assert.deepEqual(a.fixed_ips, [{ subnet_id: subnetId, ip_address: '10.20.0.60' }])
    const shown = await c.t.call('GET', `${path}/${a.port_id}`, { as: MEMBER })
    assert.deepEqual(shown.body.interfaceAttachment, a)
    const listed = await c.t.call('GET', path, { as: MEMBER })
    assert.equal(listed.body.interfaceAttachments.length, 1)
    const det = await c.t.call('DELETE', `${path}/${a.port_id}`, { as: MEMBER })
    assert.equal(det.status, 202)
    assert.equal((await c.t.call('GET', `${N}/ports/${a.port_id}`, { as: MEMBER })).status, 404)
    const missing = await c.t.call('DELETE', `${path}/${a.port_id}`, { as: MEMBER })
    assert.equal(missing.status, 404)
    const actions = await c.t.call('GET', `${S}/${s.id}/os-instance-actions`, { as: MEMBER })
    const names = (actions.body.instanceActions as { action: string }[]).map((x) => x.action)
    assert.ok(names.includes('attach_interface') && names.includes('detach_interface'))
  })

  it('adds and removes fixed and floating IPs through the server actions (before 2.44)', async () => {
    const s = await boot({ networks: [{ uuid: net.id }] })
    const act = (body: unknown, version = '2.43') =>
      c.t.call('POST', `${S}/${s.id}/action`, { as: MEMBER, version, body })
    const added = await act({ addFixedIp: { networkId: net.id } })
    assert.equal(added.status, 202, JSON.stringify(added.body))
    let [port] = await ports(s.id)
    const ips = (port!.fixed_ips as { ip_address: string }[]).map((x) => x.ip_address)
    assert.equal(ips.length, 2)
    assert.equal((await act({ removeFixedIp: { address: ips[1] } })).status, 202)
    ;[port] = await ports(s.id)
    assert.deepEqual(
      (port!.fixed_ips as { ip_address: string }[]).map((x) => x.ip_address),
      [ips[0]],
    )
    assert.equal((await act({ addFixedIp: { networkId: net.id } }, '2.44')).status, 400, 'gone at 2.44')

    const ext = await c.t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: { network: { name: 'ext', 'router:external': true } },
    })
    const extSub = await c.t.call('POST', `${N}/subnets`, {
      as: ADMIN,
      body: { subnet: { network_id: ext.body.network.id, ip_version: 4, cidr: '172.30.0.0/24' } },
    })
    assert.equal(extSub.status, 201, JSON.stringify(extSub.body))
    const router = await c.t.call('POST', `${N}/routers`, {
      as: MEMBER,
      body: { router: { name: 'r', external_gateway_info: { network_id: ext.body.network.id } } },
    })
    assert.equal(router.status, 201, JSON.stringify(router.body))
    const itf = await c.t.call('PUT', `${N}/routers/${router.body.router.id}/add_router_interface`, {
      as: MEMBER,
      body: { subnet_id: subnetId },
    })
    assert.equal(itf.status, 200, JSON.stringify(itf.body))
    const fip = await c.t.call('POST', '/compute/v2.1/os-floating-ips', {
      as: MEMBER,
      version: '2.1',
      body: { pool: 'ext' },
    })
    assert.equal(fip.status, 200, JSON.stringify(fip.body))
    const address = fip.body.floating_ip.ip
    assert.equal((await act({ addFloatingIp: { address } })).status, 202)
    const shown = await c.t.call('GET', `/compute/v2.1/os-floating-ips/${fip.body.floating_ip.id}`, {
      as: MEMBER,
      version: '2.1',
    })
    assert.equal(shown.body.floating_ip.instance_id, s.id)
    assert.equal(shown.body.floating_ip.fixed_ip, ips[0])
    const view = await waitFor(c.t, s.id, ['ACTIVE'])
    assert.deepEqual(
      ((view.addresses as Record<string, { addr: string; 'OS-EXT-IPS:type': string }[]>).app ?? []).map(
        (a) => `${a['OS-EXT-IPS:type']} ${a.addr}`,
      ),
      [`fixed ${ips[0]}`, `floating ${address}`],
    )
    assert.equal((await act({ removeFloatingIp: { address } })).status, 202)
    assert.equal((await act({ removeFloatingIp: { address } })).status, 409, 'no longer on the server')
    assert.equal((await act({ addFloatingIp: { address: '172.30.0.254' } })).status, 404)
  })

  it("does not attach another project's port or network (404), nor take its floating IP", async () => {
    const s = await boot({ networks: 'none' })
    const other = await c.t.call('POST', `${N}/networks`, {
      as: 'other-project-member',
      body: { network: { name: 'theirs' } },
    })
    assert.equal(other.status, 201, JSON.stringify(other.body))
    await c.t.call('POST', `${N}/subnets`, {
      as: 'other-project-member',
      body: { subnet: { network_id: other.body.network.id, ip_version: 4, cidr: '10.40.0.0/24' } },
    })
    const theirPort = await c.t.call('POST', `${N}/ports`, {
      as: 'other-project-member',
      body: { port: { network_id: other.body.network.id } },
    })
    assert.equal(theirPort.status, 201)
    const path = `${S}/${s.id}/os-interface`
    const byPort = await c.t.call('POST', path, {
      as: MEMBER,
      body: { interfaceAttachment: { port_id: theirPort.body.port.id } },
    })
    assert.equal(byPort.status, 404)
    const byNet = await c.t.call('POST', path, {
      as: MEMBER,
      body: { interfaceAttachment: { net_id: other.body.network.id } },
    })
    assert.equal(byNet.status, 404)
    const still = await c.t.call('GET', `${N}/ports/${theirPort.body.port.id}`, { as: ADMIN })
    assert.equal(still.body.port.device_id, '')
  })

  it('refuses an interface attach while the server is not in a state for it (409)', async () => {
    const s = await boot({ networks: 'none' })
    const reset = await c.t.call('POST', `${S}/${s.id}/action`, {
      as: ADMIN,
      body: { 'os-resetState': { state: 'error' } },
    })
    assert.equal(reset.status, 202)
    const att = await c.t.call('POST', `${S}/${s.id}/os-interface`, {
      as: MEMBER,
      body: { interfaceAttachment: { net_id: net.id } },
    })
    assert.equal(att.status, 409)
    assert.match(att.body.conflictingRequest.message, /Cannot 'attach_interface' instance .* vm_state error/)
  })

  it('answers external events per event: 200, 207 with 404/422/400, 404 when none is accepted', async () => {
    const s = await boot({ networks: 'none' })
    const post = (events: unknown[]) =>
      c.t.call('POST', '/compute/v2.1/os-server-external-events', {
        as: ADMIN,
        version: '2.76',
        body: { events },
      })
    const okRes = await post([{ name: 'network-changed', server_uuid: s.id }])
    assert.equal(okRes.status, 200)
    assert.deepEqual(okRes.body.events, [
      { name: 'network-changed', server_uuid: s.id, status: 'completed', code: 200 },
    ])
    const unknown = '00000000-0000-4000-8000-000000000000'
    const mixed = await post([
      { name: 'network-vif-plugged', server_uuid: s.id, tag: 'p1' },
      { name: 'network-vif-deleted', server_uuid: unknown },
      { name: 'volume-extended', server_uuid: s.id },
    ])
    assert.equal(mixed.status, 207)
    assert.deepEqual(
      mixed.body.events.map((e: { code: number }) => e.code),
      [200, 404, 400],
    )
    const none = await post([{ name: 'network-changed', server_uuid: unknown }])
    assert.equal(none.status, 404)
    assert.equal(none.body.itemNotFound.message, 'No instances found for any event')
    const power = await post([{ name: 'power-update', server_uuid: s.id, tag: 'POWER_OFF' }])
    assert.equal(power.status, 200)
    assert.equal((await waitFor(c.t, s.id, ['SHUTOFF'])).status, 'SHUTOFF')
    const old = await c.t.call('POST', '/compute/v2.1/os-server-external-events', {
      as: ADMIN,
      version: '2.75',
      body: { events: [{ name: 'power-update', server_uuid: s.id, tag: 'POWER_ON' }] },
    })
    assert.equal(old.status, 400, 'power-update needs 2.76')
  })

  it('serves the proxy APIs up to 2.35 and 404 from 2.36', async () => {
    const list = await c.t.call('GET', '/compute/v2.1/os-networks', { as: MEMBER, version: '2.35' })
    assert.equal(list.status, 200)
    assert.ok(
      list.body.networks.some((n: { id: string; label: string }) => n.id === net.id && n.label === 'app'),
    )
    const gone = await c.t.call('GET', '/compute/v2.1/os-networks', { as: MEMBER, version: '2.36' })
    assert.equal(gone.status, 404)
    const sg = await c.t.call('POST', '/compute/v2.1/os-security-groups', {
      as: MEMBER,
      version: '2.1',
      body: { security_group: { name: 'legacy', description: 'old api' } },
    })
    assert.equal(sg.status, 200, JSON.stringify(sg.body))
    const empty = await c.t.call('POST', '/compute/v2.1/os-security-groups', {
      as: MEMBER,
      version: '2.1',
      body: { security_group: { name: '', description: 'x' } },
    })
    assert.equal(empty.status, 400)
    const rule = await c.t.call('POST', '/compute/v2.1/os-security-group-rules', {
      as: MEMBER,
      version: '2.1',
      body: {
        security_group_rule: {
          parent_group_id: sg.body.security_group.id,
          ip_protocol: 'tcp',
          from_port: 22,
          to_port: 22,
          cidr: '10.0.0.0/8',
        },
      },
    })
    assert.equal(rule.status, 200, JSON.stringify(rule.body))
    assert.deepEqual(rule.body.security_group_rule.ip_range, { cidr: '10.0.0.0/8' })
    const badId = await c.t.call('GET', '/compute/v2.1/os-security-groups/not-a-uuid', {
      as: MEMBER,
      version: '2.1',
    })
    assert.equal(badId.status, 400)
  })

  it("gives an explicit auto with no network to use the project's auto-allocated topology", async () => {
    // A project no other test here gives a network.
    const OTHER = 'other-domain-member'
    const asOther = (server: Record<string, unknown>, version = '2.37') => create(server, OTHER, version)
    // Before the cloud has a default external network, nothing can be allocated: 400.
    const refused = await asOther({ name: 'auto', networks: 'auto' })
    assert.equal(refused.status, 400, JSON.stringify(refused.body))
    assert.match(refused.body.badRequest.message, /^Unable to automatically allocate a network for project /)
    // Omitted before 2.37: no network, no allocation, a server without ports.
    const plain = await asOther({ name: 'plain' }, '2.1')
    assert.equal(plain.status, 202, JSON.stringify(plain.body))
    assert.equal((await waitFor(c.t, plain.body.server.id, ['ACTIVE', 'ERROR'], OTHER)).status, 'ACTIVE')
    assert.deepEqual(await ports(plain.body.server.id), [])

    const ext = await c.t.call('POST', `${N}/networks`, {
      as: ADMIN,
      body: { network: { name: 'ext', 'router:external': true, is_default: true } },
    })
    assert.equal(ext.status, 201, JSON.stringify(ext.body))
    await c.t.call('POST', `${N}/subnets`, {
      as: ADMIN,
      body: { subnet: { network_id: ext.body.network.id, ip_version: 4, cidr: '172.24.8.0/24' } },
    })
    const pool = await c.t.call('POST', `${N}/subnetpools`, {
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
    assert.equal(pool.status, 201, JSON.stringify(pool.body))

    // Three at once share the one topology.
    const many = await asOther({ name: 'auto', networks: 'auto', min_count: 3 })
    assert.equal(many.status, 202, JSON.stringify(many.body))
    const listed = await c.t.call('GET', `${S}/detail?name=^auto`, { as: OTHER })
    const servers = listed.body.servers as { id: string }[]
    assert.equal(servers.length, 3)
    const nets = new Set<string>()
    for (const srv of servers) {
      assert.equal((await waitFor(c.t, srv.id, ['ACTIVE', 'ERROR'], OTHER)).status, 'ACTIVE')
      for (const p of await ports(srv.id)) nets.add(String(p.network_id))
    }
    assert.equal(nets.size, 1)
    const [only] = [...nets]
    const shown = await c.t.call('GET', `${N}/networks/${only}`, { as: OTHER })
    assert.equal(shown.body.network.name, 'auto_allocated_network')
  })
})

describe('ports across reschedules', () => {
  let c: TestCloud
  let netId: string
  before(async () => {
    c = await startServersCloud({
      network: true,
      hosts: [{ name: 'cmp-1', failSpawn: true }, { name: 'cmp-2', failSpawn: true }, { name: 'cmp-3' }],
      config: { scheduler: { max_attempts: 3 } },
    })
    const n = await c.t.call('POST', `${N}/networks`, { as: MEMBER, body: { network: { name: 'app' } } })
    netId = n.body.network.id
    await c.t.call('POST', `${N}/subnets`, {
      as: MEMBER,
      body: { subnet: { network_id: netId, ip_version: 4, cidr: '10.30.0.0/24' } },
    })
  })
  after(() => c.close())

  it('moves the same port to the host that builds the server', async () => {
    const res = await c.t.call('POST', S, {
      as: MEMBER,
      body: { server: { name: 'moves', imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: netId }] } },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const s = await waitFor(c.t, res.body.server.id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault))
    const ports = (await c.t.call('GET', `${N}/ports?device_id=${s.id}`, { as: ADMIN })).body.ports
    assert.equal(ports.length, 1, 'one port, rebound rather than created again')
    assert.equal(ports[0]['binding:host_id'], 'cmp-3')
  })

  it('deletes the ports of a build that failed on every host', async () => {
    const res = await c.t.call('POST', S, {
      as: ADMIN,
      version: '2.74',
      body: {
        server: {
          name: 'never',
          imageRef: c.imageId,
          flavorRef: '1',
          networks: [{ uuid: netId }],
          availability_zone: 'nova:cmp-1',
        },
      },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const s = await waitFor(c.t, res.body.server.id, ['ACTIVE', 'ERROR'], ADMIN)
    assert.equal(s.status, 'ERROR')
    await settle(c.compute)
    const ports = (await c.t.call('GET', `${N}/ports?device_id=${s.id}`, { as: ADMIN })).body.ports
    assert.deepEqual(ports, [])
    const alloc = await c.t.call('GET', `/placement/allocations/${s.id}`, { as: ADMIN })
    assert.deepEqual(alloc.body.allocations, {})
  })
})
