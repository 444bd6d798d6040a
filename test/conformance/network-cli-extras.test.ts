/**
 * The rest of the network API through the real openstack CLI against `cloudlet up`: QoS
 * policies with their four rule types, floating IP port forwarding, network meters and
 * rules, the agent list (an L2 agent per compute host the registry knows), the
 * auto-allocated topology, trunks and subports, segments, RBAC on networks and QoS
 * policies, and IP availability.
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

describe('network extras with the openstack CLI', { timeout: 600_000 }, () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  let demo: NodeJS.ProcessEnv
  const json = <T = Row>(args: string[], env = admin) => openstackJson<T>(env, args)
  const ok = (args: string[], env = admin) => openstackOk(env, args)

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
    demo = { ...cloud.env, OS_CLOUD: 'cloudlet' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('creates QoS policies with bandwidth-limit, DSCP, minimum bandwidth and packet rate rules', async () => {
    const policy = await json([
      'network',
      'qos',
      'policy',
      'create',
      '--share',
      '--description',
      'gold',
      'gold',
    ])
    assert.equal(policy.shared, true)
    const limit = await json([
      'network',
      'qos',
      'rule',
      'create',
      '--type',
      'bandwidth-limit',
      '--max-kbps',
      '10000',
      '--max-burst-kbits',
      '1000',
      '--egress',
      'gold',
    ])
    assert.equal(limit.max_kbps, 10000)
    await ok(['network', 'qos', 'rule', 'create', '--type', 'dscp-marking', '--dscp-mark', '26', 'gold'])
    await ok([
      'network',
      'qos',
      'rule',
      'create',
      '--type',
      'minimum-bandwidth',
      '--min-kbps',
      '1000',
      '--egress',
      'gold',
    ])
    await ok([
      'network',
      'qos',
      'rule',
      'create',
      '--type',
      'minimum-packet-rate',
      '--min-kpps',
      '500',
      '--any',
      'gold',
    ])
    const twice = await openstack(admin, [
      'network',
      'qos',
      'rule',
      'create',
      '--type',
      'bandwidth-limit',
      '--max-kbps',
      '5',
      '--egress',
      'gold',
    ])
    assert.notEqual(twice.code, 0)
    assert.match(twice.stderr, /conflicts with rule/)
    const rules = await json<Row[]>(['network', 'qos', 'rule', 'list', 'gold'])
    assert.deepEqual(rules.map((r) => r.Type).sort(), [
      'bandwidth_limit',
      'dscp_marking',
      'minimum_bandwidth',
      'minimum_packet_rate',
    ])
    await ok(['network', 'qos', 'rule', 'set', '--max-kbps', '20000', 'gold', String(limit.id)])
    const shown = await json(['network', 'qos', 'rule', 'show', 'gold', String(limit.id)])
    assert.equal(shown.max_kbps, 20000)
    const types = await json<Row[]>(['network', 'qos', 'rule', 'type', 'list'])
    assert.equal(types.length, 4)
    // A project attaches the shared policy to its port; the policy is then held.
    await ok(['network', 'create', 'qos-net'], demo)
    await ok(
      ['subnet', 'create', '--network', 'qos-net', '--subnet-range', '192.168.60.0/24', 'qos-sub'],
      demo,
    )
    const port = await json(
      ['port', 'create', '--network', 'qos-net', '--qos-policy', 'gold', 'qos-port'],
      demo,
    )
    assert.equal(port.qos_policy_id, policy.id)
    const held = await openstack(admin, ['network', 'qos', 'policy', 'delete', 'gold'])
    assert.notEqual(held.code, 0)
    await ok(['port', 'delete', 'qos-port'], demo)
    await ok(['network', 'qos', 'policy', 'delete', 'gold'])
    await ok(['network', 'delete', 'qos-net'], demo)
  })

  it('forwards a floating IP port to a server port, once per socket', async () => {
    const port = await json(['port', 'create', '--network', 'private', 'pf-port'])
    const ip = (port.fixed_ips as { ip_address: string }[])[0]!.ip_address
    const fip = await json(['floating', 'ip', 'create', 'public'])
    const args = (internal: string, external: string) => [
      'floating',
      'ip',
      'port',
      'forwarding',
      'create',
      '--internal-ip-address',
      ip,
      '--port',
      String(port.id),
      '--internal-protocol-port',
      internal,
      '--external-protocol-port',
      external,
      '--protocol',
      'tcp',
      String(fip.id),
    ]
    const pf = await json(args('22', '2222'))
    assert.equal(pf.external_port, 2222)
    const dup = await openstack(admin, args('23', '2222'))
    assert.notEqual(dup.code, 0)
    assert.match(dup.stderr, /duplicate port forwarding/)
    const list = await json<Row[]>(['floating', 'ip', 'port', 'forwarding', 'list', String(fip.id)])
    assert.equal(list.length, 1)
    const inUse = await openstack(admin, ['floating', 'ip', 'delete', String(fip.id)])
    assert.notEqual(inUse.code, 0)
    await ok(['floating', 'ip', 'port', 'forwarding', 'delete', String(fip.id), String(pf.id)])
    await ok(['floating', 'ip', 'delete', String(fip.id)])
    await ok(['port', 'delete', 'pf-port'])
  })

  it('meters traffic with labels and rules', async () => {
    const meter = await json(['network', 'meter', 'create', '--description', 'egress to the world', 'world'])
    const rule = await json([
      'network',
      'meter',
      'rule',
      'create',
      '--remote-ip-prefix',
      '0.0.0.0/0',
      '--egress',
      'world',
    ])
    assert.equal(rule.metering_label_id, meter.id)
    const overlap = await openstack(admin, [
      'network',
      'meter',
      'rule',
      'create',
      '--remote-ip-prefix',
      '10.0.0.0/8',
      '--egress',
      'world',
    ])
    assert.notEqual(overlap.code, 0)
    const rules = await json<Row[]>(['network', 'meter', 'rule', 'list'])
    assert.ok(rules.some((r) => r.ID === rule.id))
    await ok(['network', 'meter', 'rule', 'delete', String(rule.id)])
    await ok(['network', 'meter', 'delete', 'world'])
  })

  it('lists an L2 agent for every compute host the registry knows', async () => {
    const agents = await json<Row[]>(['network', 'agent', 'list'])
    const hosts = await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute'])
    assert.ok(hosts.length > 0)
    for (const h of hosts)
      assert.ok(
        agents.some((a) => a['Agent Type'] === 'Open vSwitch agent' && a.Host === h.Host),
        `an L2 agent on ${String(h.Host)}`,
      )
    assert.ok(agents.some((a) => a['Agent Type'] === 'DHCP agent'))
    assert.ok(agents.some((a) => a['Agent Type'] === 'L3 agent'))
  })

  it('creates and deletes an auto-allocated topology', async () => {
    await ok(['network', 'set', '--default', 'public'])
    await ok(['network', 'auto', 'allocated', 'topology', 'create', '--check-resources'], demo)
    const topo = await json(['network', 'auto', 'allocated', 'topology', 'create'], demo)
    const again = await json(['network', 'auto', 'allocated', 'topology', 'create'], demo)
    assert.equal(again.id, topo.id)
    const net = await json(['network', 'show', String(topo.id)], demo)
    assert.equal(net.name, 'auto_allocated_network')
    const router = await json(['router', 'show', 'auto_allocated_router'], demo)
    assert.equal(
      (router.external_gateway_info as Row).network_id,
      (await json(['network', 'show', 'public'])).id,
    )
    await ok(['network', 'auto', 'allocated', 'topology', 'delete'], demo)
    const gone = await openstack(demo, ['network', 'show', String(topo.id)])
    assert.notEqual(gone.code, 0)
  })

  it('trunks, segments, RBAC and IP availability', async () => {
    await ok(['network', 'create', 'tnet'], demo)
    await ok(['subnet', 'create', '--network', 'tnet', '--subnet-range', '192.168.77.0/24', 'tsub'], demo)
    await ok(['port', 'create', '--network', 'tnet', 'parent'], demo)
    await ok(['port', 'create', '--network', 'tnet', 'child'], demo)
    const trunk = await json(
      [
        'network',
        'trunk',
        'create',
        '--parent-port',
        'parent',
        '--subport',
        'port=child,segmentation-type=vlan,segmentation-id=100',
        'trunk1',
      ],
      demo,
    )
    const subs = await json<Row[]>(['network', 'subport', 'list', '--trunk', 'trunk1'], demo)
    assert.deepEqual(
      subs.map((x) => x['Segmentation ID']),
      [100],
    )
    const parentDel = await openstack(demo, ['port', 'delete', 'parent'])
    assert.notEqual(parentDel.code, 0)
    await ok(['network', 'trunk', 'unset', '--subport', 'child', 'trunk1'], demo)
    await ok(['network', 'trunk', 'delete', String(trunk.id)], demo)
    const seg = await json([
      'network',
      'segment',
      'create',
      '--network',
      'tnet',
      '--network-type',
      'vlan',
      '--physical-network',
      'physnet1',
      '--segment',
      '1500',
      'seg2',
    ])
    assert.equal(seg.segmentation_id, 1500)
    const segs = await json<Row[]>(['network', 'segment', 'list', '--network', 'tnet'])
    assert.equal(segs.length, 2)
    await ok(['network', 'segment', 'delete', 'seg2'])
    const rbac = await json([
      'network',
      'rbac',
      'create',
      '--target-project',
      'admin',
      '--target-project-domain',
      'Default',
      '--action',
      'access_as_shared',
      '--type',
      'network',
      'tnet',
    ])
    assert.equal(rbac.object_type, 'network')
    assert.ok((await json<Row[]>(['network', 'rbac', 'list'])).some((r) => r.ID === rbac.id))
    await ok(['network', 'rbac', 'delete', String(rbac.id)])
    const avail = await json(['ip', 'availability', 'show', 'tnet'])
    const sub = (avail.subnet_ip_availability as Row[])[0]!
    assert.equal(sub.total_ips, 253)
    assert.equal(sub.used_ips, 2)
    await ok(['port', 'delete', 'parent', 'child'], demo)
    await ok(['network', 'delete', 'tnet'], demo)
  })
})
