/**
 * The network service through the real openstack CLI against `cloudlet up`: the default
 * topology devstack makes (public, private, router1), networks, subnets, ports with
 * fixed IPs, allowed address pairs and port security off, routers with an external
 * gateway and interfaces by subnet and by port, floating IPs set on a port, security
 * groups and rules, quotas, and deletions refused with the reason.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

type Row = Record<string, unknown>

describe('network with the openstack CLI', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = demo) => openstackJson<T>(env, args)
  const ok = (args: string[], env = demo) => openstackOk(env, args)

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('finds network in the catalog and the default topology in place', async () => {
    const services = await json<Row[]>(['catalog', 'list'], admin)
    const network = services.find((s) => s.Type === 'network')
    assert.equal(network?.Name, 'neutron')
    assert.match(JSON.stringify(network?.Endpoints), /\/network/)
    const nets = await json<Row[]>(['network', 'list'])
    assert.deepEqual(nets.map((n) => n.Name).sort(), ['private', 'public'])
    const pub = await json(['network', 'show', 'public'])
    assert.equal(pub['router:external'], true)
    const priv = await json(['network', 'show', 'private'])
    assert.equal(priv.shared, true)
    const sub = await json(['subnet', 'show', 'private-subnet'])
    assert.equal(sub.cidr, '10.0.0.0/26')
    const router = await json(['router', 'show', 'router1'], admin)
    assert.equal((router.external_gateway_info as Row).network_id, pub.id)
    const ext = await json<Row[]>(['extension', 'list', '--network'])
    assert.ok(ext.some((e) => e.Alias === 'router'))
  })

  it('creates networks, subnets and ports with fixed IPs, address pairs and port security off', async () => {
    const net = await json(['network', 'create', 'cli-net'])
    assert.equal(net.status, 'ACTIVE')
    const sub = await json([
      'subnet',
      'create',
      '--network',
      'cli-net',
      '--subnet-range',
      '192.168.50.0/24',
      '--allocation-pool',
      'start=192.168.50.10,end=192.168.50.20',
      '--dns-nameserver',
      '8.8.8.8',
      '--host-route',
      'destination=10.9.0.0/16,gateway=192.168.50.1',
      'cli-sub',
    ])
    assert.equal(sub.gateway_ip, '192.168.50.1')
    assert.deepEqual(sub.allocation_pools, [{ start: '192.168.50.10', end: '192.168.50.20' }])
    const v6 = await json([
      'subnet',
      'create',
      '--network',
      'cli-net',
      '--ip-version',
      '6',
      '--subnet-range',
      'fd00:50::/64',
      '--ipv6-ra-mode',
      'slaac',
      '--ipv6-address-mode',
      'slaac',
      'cli-sub6',
    ])
    assert.equal(v6.ipv6_address_mode, 'slaac')
    const port = await json([
      'port',
      'create',
      '--network',
      'cli-net',
      '--fixed-ip',
      'subnet=cli-sub,ip-address=192.168.50.15',
      '--allowed-address',
      'ip-address=192.168.50.100',
      'cli-port',
    ])
    const fixed = port.fixed_ips as Row[]
    assert.ok(fixed.some((f) => f.ip_address === '192.168.50.15'))
    assert.deepEqual(
      (port.allowed_address_pairs as Row[]).map((p) => p.ip_address),
      ['192.168.50.100'],
    )
    const open = await json([
      'port',
      'create',
      '--network',
      'cli-net',
      '--disable-port-security',
      '--no-security-group',
      'cli-open',
    ])
    assert.equal(open.port_security_enabled, false)
    const taken = await openstack(demo, [
      'port',
      'create',
      '--network',
      'cli-net',
      '--fixed-ip',
      'ip-address=192.168.50.15',
      'dup',
    ])
    assert.notEqual(taken.code, 0)
    assert.match(taken.stderr, /192\.168\.50\.15 is in use/)
    const listed = await json<Row[]>(['port', 'list', '--network', 'cli-net'])
    assert.equal(listed.length, 2)
    await ok(['port', 'set', '--name', 'renamed', 'cli-port'])
    assert.equal((await json(['port', 'show', 'renamed'])).name, 'renamed')
    const inUse = await openstack(demo, ['network', 'delete', 'cli-net'])
    assert.notEqual(inUse.code, 0)
    assert.match(inUse.stderr, new RegExp(String(port.id)))
  })

  it('routes a project network out through a router and a floating IP', async () => {
    const router = await json(['router', 'create', 'cli-router'])
    await ok(['router', 'set', '--external-gateway', 'public', 'cli-router'])
    await ok(['router', 'add', 'subnet', 'cli-router', 'cli-sub'])
    await json(['network', 'create', 'cli-net2'])
    await ok(['subnet', 'create', '--network', 'cli-net2', '--subnet-range', '192.168.51.0/24', 'cli-sub2'])
    await json(['port', 'create', '--network', 'cli-net2', 'cli-rport'])
    await ok(['router', 'add', 'port', 'cli-router', 'cli-rport'])
    const shown = await json(['router', 'show', 'cli-router'])
    assert.equal(
      (shown.external_gateway_info as Row).network_id,
      (await json(['network', 'show', 'public'])).id,
    )
    assert.equal((shown.interfaces_info as Row[]).length, 2)
    const fip = await json(['floating', 'ip', 'create', 'public'])
    assert.match(String(fip.floating_ip_address), /^172\.24\.4\./)
    await ok(['floating', 'ip', 'set', '--port', 'renamed', String(fip.floating_ip_address)])
    const set = await json(['floating', 'ip', 'show', String(fip.id)])
    assert.equal(set.fixed_ip_address, '192.168.50.15')
    assert.equal(set.router_id, router.id)
    const held = await openstack(demo, ['router', 'remove', 'subnet', 'cli-router', 'cli-sub'])
    assert.notEqual(held.code, 0)
    assert.match(held.stderr, /required by one or more floating IPs/)
    await ok(['floating', 'ip', 'unset', '--port', String(fip.id)])
    await ok(['floating', 'ip', 'delete', String(fip.id)])
    await ok(['router', 'remove', 'subnet', 'cli-router', 'cli-sub'])
    await ok(['router', 'remove', 'port', 'cli-router', 'cli-rport'])
    await ok(['router', 'unset', '--external-gateway', 'cli-router'])
    await ok(['router', 'delete', 'cli-router'])
  })

  it('manages security groups and rules, refusing to delete one in use', async () => {
    const groups = await json<Row[]>(['security', 'group', 'list'])
    assert.ok(groups.some((g) => g.Name === 'default'))
    const sg = await json(['security', 'group', 'create', '--description', 'web', 'cli-web'])
    const rule = await json([
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'tcp',
      '--dst-port',
      '22',
      '--remote-ip',
      '0.0.0.0/0',
      'cli-web',
    ])
    assert.equal(rule.port_range_min, 22)
    const dup = await openstack(demo, [
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'tcp',
      '--dst-port',
      '22',
      '--remote-ip',
      '0.0.0.0/0',
      'cli-web',
    ])
    assert.notEqual(dup.code, 0)
    assert.match(dup.stderr, /already exists/)
    const bad = await openstack(demo, [
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'tcp',
      '--dst-port',
      '30:20',
      'cli-web',
    ])
    assert.notEqual(bad.code, 0)
    const rules = await json<Row[]>(['security', 'group', 'rule', 'list', 'cli-web'])
    assert.equal(rules.length, 3)
    await ok(['port', 'set', '--security-group', 'cli-web', 'renamed'])
    const inUse = await openstack(demo, ['security', 'group', 'delete', 'cli-web'])
    assert.notEqual(inUse.code, 0)
    assert.match(inUse.stderr, /in use/)
    await ok(['port', 'delete', 'renamed', 'cli-open'])
    await ok(['security', 'group', 'delete', String(sg.id)])
  })

  it('sets and shows network quotas', async () => {
    await ok(['quota', 'set', '--networks', '3', '--ports', '40', 'demo'], admin)
    const q = await json(['quota', 'show', 'demo'], admin)
    assert.equal(q.networks, 3)
    assert.equal(q.ports, 40)
    await ok(['network', 'create', 'q-1'])
    const over = await openstack(demo, ['network', 'create', 'q-2'])
    assert.notEqual(over.code, 0)
    assert.match(over.stderr, /Quota exceeded for resources: \['network'\]/)
    await ok(['network', 'delete', 'q-1', 'cli-net2', 'cli-net'])
  })
})
