/**
 * Booting servers end to end on the in-process bus with simulated hosts: a create is
 * accepted in BUILD, the conductor schedules it through placement and the agent builds
 * it to ACTIVE with allocations equal to the flavor; a failing host reschedules to an
 * alternate; a flavor no host fits ends in ERROR with a "No valid host" fault in cell0;
 * delete leaves no allocation; the instance action records each step.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startServersCloud, type TestCloud, waitFor } from './cloud-harness.js'

const S = '/compute/v2.1/servers'
const MEMBER = 'project-member'
const ADMIN = 'project-admin'

describe('booting servers', () => {
  let c: TestCloud
  before(async () => {
    c = await startServersCloud({
      hosts: [
        { name: 'cmp-1', memoryMb: 8192 },
        { name: 'cmp-2', memoryMb: 8192, failSpawn: true },
      ],
    })
  })
  after(() => c.close())

  const create = (server: Record<string, unknown>, as = MEMBER, version = '2.74') =>
    c.t.call('POST', S, {
      as,
      version,
      body: { server: { imageRef: c.imageId, flavorRef: '1', networks: 'none', ...server } },
    })

  it('boots a server to ACTIVE with allocations equal to its flavor, and deletes it', async () => {
    const res = await create({ name: 'demo', metadata: { role: 'web' } })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const id = res.body.server.id as string
    assert.ok(res.body.server.adminPass)
    const building = await c.t.call('GET', `${S}/${id}`, { as: MEMBER })
    assert.ok(['BUILD', 'ACTIVE'].includes(building.body.server.status))
    const server = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(server.status, 'ACTIVE', JSON.stringify(server))
    assert.equal(server['OS-EXT-STS:power_state'], 1)
    assert.equal(server['OS-EXT-STS:vm_state'], 'active')
    assert.equal(server['OS-EXT-STS:task_state'], null)
    assert.deepEqual(server.metadata, { role: 'web' })
    const admin = await c.t.call('GET', `${S}/${id}`, { as: ADMIN, version: '2.74' })
    // cmp-2 fails every spawn: the server is on cmp-1 whichever the scheduler chose first
    assert.equal(admin.body.server['OS-EXT-SRV-ATTR:host'], 'cmp-1')
    const alloc = await c.t.call('GET', `/placement/allocations/${id}`, { as: ADMIN })
    const resources = Object.values(alloc.body.allocations as Record<string, { resources: object }>)
    assert.equal(resources.length, 1)
    assert.deepEqual(resources[0]!.resources, { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 })
    const actions = await c.t.call('GET', `${S}/${id}/os-instance-actions`, { as: MEMBER })
    assert.equal(actions.body.instanceActions[0].action, 'create')
    const del = await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    assert.equal(del.status, 204)
    await waitFor(c.t, id, ['DELETED'])
    const gone = await c.t.call('GET', `/placement/allocations/${id}`, { as: ADMIN })
    assert.deepEqual(gone.body.allocations, {})
  })

  it('reschedules a failed spawn to an alternate and records both attempts', async () => {
    // Ask for the failing host's neighbour to be tried first by filling nothing: repeat
    // until one landed first on cmp-2 (the scheduler weighs both hosts equally).
    for (let i = 0; i < 6; i++) {
      const res = await create({ name: `retry-${i}` })
      const id = res.body.server.id as string
      const server = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
      assert.equal(server.status, 'ACTIVE')
      const action = await c.t.call(
        'GET',
        `${S}/${id}/os-instance-actions/${res.headers['x-openstack-request-id']}`,
        {
          as: ADMIN,
          version: '2.84',
        },
      )
      const builds = (
        action.body.instanceAction.events as { event: string; result: string; host: string }[]
      ).filter((e) => e.event === 'compute__do_build_and_run_instance')
      if (builds.length === 2) {
        assert.deepEqual(
          builds.map((b) => [b.host, b.result]),
          [
            ['cmp-2', 'Error'],
            ['cmp-1', 'Success'],
          ],
        )
        return
      }
    }
    assert.fail('no build was tried on the failing host first in six boots')
  })

  it('puts a server no host fits in ERROR with a fault that says why, in cell0, with no allocation', async () => {
    const flavor = await c.t.call('POST', '/compute/v2.1/flavors', {
      as: ADMIN,
      body: { flavor: { name: 'huge', ram: 20480, vcpus: 1, disk: 1, id: 'huge' } },
    })
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body))
    const res = await create({ name: 'too-big', flavorRef: 'huge' })
    assert.equal(res.status, 202)
    const id = res.body.server.id as string
    const server = await waitFor(c.t, id, ['ERROR', 'ACTIVE'])
    assert.equal(server.status, 'ERROR')
    const fault = server.fault as { code: number; message: string }
    assert.equal(fault.code, 500)
    assert.match(fault.message, /^No valid host was found\. Placement returned no candidates/)
    const gone = await c.t.call('GET', `/placement/allocations/${id}`, { as: ADMIN })
    assert.deepEqual(gone.body.allocations, {})
    const del = await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    assert.equal(del.status, 204)
    await waitFor(c.t, id, ['DELETED'])
  })

  it('refuses bad input with Nova faults and creates nothing', async () => {
    const before = (await c.t.call('GET', `${S}?all_tenants=1`, { as: ADMIN })).body.servers.length
    const badImage = await create({ name: 'x', imageRef: '8c4bd7bb-1d4c-4d8c-9a0c-2e7b3b0b6a11' })
    assert.equal(badImage.status, 400)
    assert.match(
      badImage.body.badRequest.message,
      /Image 8c4bd7bb-1d4c-4d8c-9a0c-2e7b3b0b6a11 could not be found/,
    )
    const badFlavor = await create({ name: 'x', flavorRef: 'nope' })
    assert.equal(badFlavor.body.badRequest.message, 'Invalid flavorRef provided.')
    const badZone = await create({ name: 'x', availability_zone: 'mars' })
    assert.equal(badZone.body.badRequest.message, 'The requested availability zone is not available')
    const badKey = await create({ name: 'x', key_name: 'missing' })
    assert.equal(badKey.body.badRequest.message, 'Invalid key_name provided.')
    const noNetworks = await c.t.call('POST', S, {
      as: MEMBER,
      version: '2.37',
      body: { server: { name: 'x', imageRef: c.imageId, flavorRef: '1' } },
    })
    assert.equal(noNetworks.status, 400)
    assert.match(noNetworks.body.badRequest.message, /'networks' is a required property/)
    const forcedHost = await create({ name: 'x', host: 'cmp-1' })
    assert.equal(forcedHost.status, 403)
    const after = (await c.t.call('GET', `${S}?all_tenants=1`, { as: ADMIN })).body.servers.length
    assert.equal(after, before)
  })

  it('lists with filters, updates, and keeps metadata and tags', async () => {
    const res = await create({ name: 'tagged', tags: ['a', 'b'], description: 'first' })
    const id = res.body.server.id as string
    await waitFor(c.t, id, ['ACTIVE'])
    const byTag = await c.t.call('GET', `${S}?tags=a,b`, { as: MEMBER })
    assert.deepEqual(
      byTag.body.servers.map((s: { id: string }) => s.id),
      [id],
    )
    const byName = await c.t.call('GET', `${S}/detail?name=^tag&status=ACTIVE`, {
      as: MEMBER,
      version: '2.26',
    })
    assert.deepEqual(byName.body.servers[0].tags, ['a', 'b'])
    assert.equal(
      (await c.t.call('GET', `${S}?name=tagged`, { as: 'other-project-member' })).body.servers.length,
      0,
    )
    const other = await c.t.call('GET', `${S}/${id}`, { as: 'other-project-member' })
    assert.equal(other.status, 404)
    const upd = await c.t.call('PUT', `${S}/${id}`, {
      as: MEMBER,
      version: '2.19',
      body: { server: { name: 'renamed', description: 'second' } },
    })
    assert.equal(upd.body.server.name, 'renamed')
    assert.equal(upd.body.server.description, 'second')
    const meta = await c.t.call('POST', `${S}/${id}/metadata`, { as: MEMBER, body: { metadata: { k: 'v' } } })
    assert.deepEqual(meta.body.metadata, { k: 'v' })
    const item = await c.t.call('GET', `${S}/${id}/metadata/k`, { as: MEMBER })
    assert.deepEqual(item.body.meta, { k: 'v' })
    assert.equal((await c.t.call('DELETE', `${S}/${id}/metadata/k`, { as: MEMBER })).status, 204)
    assert.equal((await c.t.call('GET', `${S}/${id}/metadata/k`, { as: MEMBER })).status, 404)
    assert.equal((await c.t.call('PUT', `${S}/${id}/tags/c`, { as: MEMBER, version: '2.26' })).status, 201)
    assert.equal((await c.t.call('GET', `${S}/${id}/tags/c`, { as: MEMBER, version: '2.26' })).status, 204)
    const tags = await c.t.call('GET', `${S}/${id}/tags`, { as: MEMBER, version: '2.26' })
    assert.deepEqual(tags.body.tags, ['a', 'b', 'c'])
    assert.deepEqual((await c.t.call('GET', `${S}/${id}/ips`, { as: MEMBER })).body, { addresses: {} })
    const paged = await c.t.call('GET', `${S}?limit=1`, { as: MEMBER })
    assert.equal(paged.body.servers.length, 1)
    assert.ok(paged.body.servers_links[0].href.includes('marker='))
  })

  it('answers an update before 2.75 without the extension fields, and with them from 2.75', async () => {
    const res = await create({ name: 'upd' })
    const id = res.body.server.id as string
    await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    const old = await c.t.call('PUT', `${S}/${id}`, {
      as: MEMBER,
      version: '2.1',
      body: { server: { name: 'upd-2' } },
    })
    assert.equal(old.status, 200, JSON.stringify(old.body))
    assert.equal(old.body.server.name, 'upd-2')
    for (const k of Object.keys(old.body.server))
      assert.doesNotMatch(k, /^(OS-EXT-|OS-SRV-USG|os-extended-volumes|config_drive$|key_name$)/)
    const v275 = await c.t.call('PUT', `${S}/${id}`, {
      as: MEMBER,
      version: '2.75',
      body: { server: { name: 'upd-3' } },
    })
    assert.equal(v275.body.server['OS-EXT-STS:vm_state'], 'active')
    assert.ok('key_name' in v275.body.server)
    await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitFor(c.t, id, ['DELETED'])
  })

  it('lists nothing for an unknown status before 2.38 and refuses it from 2.38', async () => {
    const old = await c.t.call('GET', `${S}?status=no_such_status`, { as: MEMBER, version: '2.37' })
    assert.equal(old.status, 200)
    assert.deepEqual(old.body.servers, [])
    for (const as of [MEMBER, ADMIN]) {
      const res = await c.t.call('GET', `${S}?status=no_such_status`, { as, version: '2.38' })
      assert.equal(res.status, 400)
      assert.equal(res.body.badRequest.message, 'Invalid status value')
    }
  })

  it('takes changes-since in ISO 8601 only', async () => {
    const bad = await c.t.call('GET', `${S}?changes-since=2011/01/01`, { as: MEMBER })
    assert.equal(bad.status, 400)
    assert.match(bad.body.badRequest.message, /changes-since/)
    for (const v of ['2011-01-01', '2011-01-01T00:00:00Z', '2011-01-01T00:00:00.123456+01:00']) {
      const good = await c.t.call('GET', `${S}?changes-since=${encodeURIComponent(v)}`, { as: MEMBER })
      assert.equal(good.status, 200, v)
    }
  })

  it('lists services and hypervisors from the registry and placement', async () => {
    const services = await c.t.call('GET', '/compute/v2.1/os-services', { as: ADMIN, version: '2.53' })
    const binaries = services.body.services.map(
      (s: { binary: string; host: string }) => `${s.binary}@${s.host}`,
    )
    assert.ok(binaries.includes('nova-compute@cmp-1'))
    assert.ok(binaries.some((b: string) => b.startsWith('nova-conductor@')))
    const cmp1 = services.body.services.find((s: { host: string }) => s.host === 'cmp-1')
    const off = await c.t.call('PUT', `/compute/v2.1/os-services/${cmp1.id}`, {
      as: ADMIN,
      version: '2.53',
      body: { status: 'disabled', disabled_reason: 'maintenance' },
    })
    assert.equal(off.body.service.status, 'disabled')
    assert.equal(off.body.service.disabled_reason, 'maintenance')
    await c.t.call('PUT', `/compute/v2.1/os-services/${cmp1.id}`, {
      as: ADMIN,
      version: '2.53',
      body: { status: 'enabled' },
    })
    const hyp = await c.t.call('GET', '/compute/v2.1/os-hypervisors/detail', { as: ADMIN, version: '2.1' })
    const h1 = hyp.body.hypervisors.find(
      (h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'cmp-1',
    )
    assert.equal(h1.vcpus, 32)
    assert.equal(h1.memory_mb, 8192)
    assert.equal(h1.state, 'up')
    assert.equal((await c.t.call('GET', '/compute/v2.1/os-services', { as: MEMBER })).status, 403)
  })

  it('keeps accessIPv6 in canonical form and OS-DCF:diskConfig as given, on create, update and show', async () => {
    const res = await create({
      name: 'addr',
      accessIPv4: '1.1.1.1',
      accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2',
      'OS-DCF:diskConfig': 'AUTO',
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    assert.equal(res.body.server['OS-DCF:diskConfig'], 'AUTO')
    const id = res.body.server.id as string
    const s = await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.accessIPv6, '::babe:dc0c:1602')
    assert.equal(s['OS-DCF:diskConfig'], 'AUTO')
    const upd = await c.t.call('PUT', `${S}/${id}`, {
      as: MEMBER,
      body: { server: { accessIPv6: 'FE80:0:0:0:0:0:0:1', 'OS-DCF:diskConfig': 'MANUAL' } },
    })
    assert.equal(upd.status, 200, JSON.stringify(upd.body))
    assert.equal(upd.body.server.accessIPv6, 'fe80::1')
    assert.equal(upd.body.server['OS-DCF:diskConfig'], 'MANUAL')
    await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitFor(c.t, id, ['DELETED'])
  })

  it('refuses networks and security groups no network service has, with 400s and nothing created', async () => {
    const before = (await c.t.call('GET', `${S}?all_tenants=1`, { as: ADMIN })).body.servers.length
    const badFormat = await create({
      name: 'x',
      networks: [{ uuid: 'a-b-c-d-e-f-g-h-i-j', fixed_ip: '10.0.1.1' }],
    })
    assert.equal(badFormat.status, 400)
    assert.equal(
      badFormat.body.badRequest.message,
      'Bad networks format: network uuid is not in proper format (a-b-c-d-e-f-g-h-i-j)',
    )
    const net = '5c5ff1e2-2f35-4d6b-9f3a-0c6e1e2f3a4b'
    const noNetwork = await create({ name: 'x', networks: [{ uuid: net }] })
    assert.equal(noNetwork.status, 400)
    assert.equal(noNetwork.body.badRequest.message, `Network ${net} could not be found.`)
    const noGroup = await create({ name: 'x', security_groups: [{ name: 'nonexistent' }] })
    assert.equal(noGroup.status, 400)
    assert.equal(noGroup.body.badRequest.message, 'Security group nonexistent not found.')
    const after = (await c.t.call('GET', `${S}?all_tenants=1`, { as: ADMIN })).body.servers.length
    assert.equal(after, before)
    // the default group every project has is accepted
    const ok = await create({ name: 'sg-default', security_groups: [{ name: 'default' }] })
    assert.equal(ok.status, 202, JSON.stringify(ok.body))
    await waitFor(c.t, ok.body.server.id, ['ACTIVE', 'ERROR'])
    await c.t.call('DELETE', `${S}/${ok.body.server.id}`, { as: MEMBER })
    await waitFor(c.t, ok.body.server.id, ['DELETED'])
  })

  it("lists only a group's servers that are not deleted", async () => {
    const g = await c.t.call('POST', '/compute/v2.1/os-server-groups', {
      as: MEMBER,
      body: { server_group: { name: 'g', policies: ['affinity'] } },
    })
    assert.equal(g.status, 200, JSON.stringify(g.body))
    const created = g.body.server_group
    const res = await c.t.call('POST', S, {
      as: MEMBER,
      body: {
        server: { name: 'member', imageRef: c.imageId, flavorRef: '1' },
        'os:scheduler_hints': { group: created.id },
      },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const id = res.body.server.id as string
    await waitFor(c.t, id, ['ACTIVE', 'ERROR'])
    const shown = await c.t.call('GET', `/compute/v2.1/os-server-groups/${created.id}`, { as: MEMBER })
    assert.deepEqual(shown.body.server_group.members, [id])
    await c.t.call('DELETE', `${S}/${id}`, { as: MEMBER })
    await waitFor(c.t, id, ['DELETED'])
    // as tempest compares them: the show and list bodies equal the create answer again
    const again = await c.t.call('GET', `/compute/v2.1/os-server-groups/${created.id}`, { as: MEMBER })
    assert.deepEqual(again.body.server_group, created)
    const list = await c.t.call('GET', '/compute/v2.1/os-server-groups', { as: MEMBER })
    assert.ok(list.body.server_groups.some((x: unknown) => JSON.stringify(x) === JSON.stringify(created)))
  })

  it('mirrors an aggregate host into the placement aggregate of its provider, and a boot to its zone finds it', async () => {
    const agg = await c.t.call('POST', '/compute/v2.1/os-aggregates', {
      as: ADMIN,
      version: '2.41',
      body: { aggregate: { name: 'zone-agg', availability_zone: 'zone-a' } },
    })
    assert.equal(agg.status, 200, JSON.stringify(agg.body))
    const { id: aggId, uuid } = agg.body.aggregate
    const add = await c.t.call('POST', `/compute/v2.1/os-aggregates/${aggId}/action`, {
      as: ADMIN,
      body: { add_host: { host: 'cmp-1' } },
    })
    assert.equal(add.status, 200, JSON.stringify(add.body))
    const rp = (await c.t.call('GET', '/placement/resource_providers?name=cmp-1', { as: ADMIN })).body
      .resource_providers[0]
    const aggs = await c.t.call('GET', `/placement/resource_providers/${rp.uuid}/aggregates`, {
      as: ADMIN,
      headers: { 'openstack-api-version': 'placement 1.19' },
    })
    assert.deepEqual(aggs.body.aggregates, [uuid])
    const res = await create({ name: 'in-zone', availability_zone: 'zone-a' })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const s = await waitFor(c.t, res.body.server.id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault))
    assert.equal(s['OS-EXT-AZ:availability_zone'], 'zone-a')
    await c.t.call('DELETE', `${S}/${res.body.server.id}`, { as: MEMBER })
    await waitFor(c.t, res.body.server.id, ['DELETED'])
    const remove = await c.t.call('POST', `/compute/v2.1/os-aggregates/${aggId}/action`, {
      as: ADMIN,
      body: { remove_host: { host: 'cmp-1' } },
    })
    assert.equal(remove.status, 200)
    const none = await c.t.call('GET', `/placement/resource_providers/${rp.uuid}/aggregates`, {
      as: ADMIN,
      headers: { 'openstack-api-version': 'placement 1.19' },
    })
    assert.deepEqual(none.body.aggregates, [])
    await c.t.call('DELETE', `/compute/v2.1/os-aggregates/${aggId}`, { as: ADMIN })
  })
})
