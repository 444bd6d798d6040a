/**
 * Server groups and aggregates over HTTP: policies per microversion (2.15 soft ones,
 * 2.64 policy and rules), project isolation and the admin's all_projects, the
 * server_groups quota; aggregates with zones, metadata and hosts, and what upstream
 * refuses (duplicate names, a host in two zones, an empty zone, deleting a non-empty one).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, OTHER, READER, startCompute, type TestHost } from './harness.js'

const G = '/compute/v2.1/os-server-groups'
const A = '/compute/v2.1/os-aggregates'

describe('compute server groups', () => {
  let t: TestHost
  before(async () => {
    t = await startCompute({ quota: { server_groups: 3 } })
  })
  after(() => t.close())

  it('creates groups with policies before 2.64 and policy + rules after', async () => {
    const old = await t.call('POST', G, {
      as: MEMBER,
      body: { server_group: { name: 'g1', policies: ['affinity'] } },
    })
    assert.equal(old.status, 200)
    assert.deepEqual(Object.keys(old.body.server_group).sort(), [
      'id',
      'members',
      'metadata',
      'name',
      'policies',
    ])
    assert.deepEqual(old.body.server_group.policies, ['affinity'])
    const soft = await t.call('POST', G, {
      as: MEMBER,
      body: { server_group: { name: 'g', policies: ['soft-affinity'] } },
    })
    assert.equal(soft.status, 400, 'soft policies from 2.15')
    const v264 = await t.call('POST', G, {
      as: MEMBER,
      version: '2.64',
      body: { server_group: { name: 'g2', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
    })
    assert.equal(v264.status, 200)
    assert.deepEqual(v264.body.server_group.rules, { max_server_per_host: 2 })
    assert.equal(v264.body.server_group.policy, 'anti-affinity')
    assert.equal(v264.body.server_group.project_id, 'p-own')
    assert.equal(v264.body.server_group.user_id, 'u-project-member')
    const rulesOnAffinity = await t.call('POST', G, {
      as: MEMBER,
      version: '2.64',
      body: { server_group: { name: 'g', policy: 'affinity', rules: { max_server_per_host: 2 } } },
    })
    assert.equal(rulesOnAffinity.status, 400)
    assert.equal(rulesOnAffinity.body.badRequest.message, 'Only anti-affinity policy supports rules.')
    const policiesAt264 = await t.call('POST', G, {
      as: MEMBER,
      version: '2.64',
      body: { server_group: { name: 'g', policies: ['affinity'] } },
    })
    assert.equal(policiesAt264.status, 400)
    for (const bad of [
      { server_group: { name: 'g', policies: ['affinity', 'anti-affinity'] } },
      { server_group: { name: 'g', policies: ['cosy'] } },
      { server_group: { name: '', policies: ['affinity'] } },
      { server_group: { policies: ['affinity'] } },
    ])
      assert.equal(
        (await t.call('POST', G, { as: MEMBER, version: '2.15', body: bad })).status,
        400,
        JSON.stringify(bad),
      )
    const zero = await t.call('POST', G, {
      as: MEMBER,
      version: '2.64',
      body: { server_group: { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } },
    })
    assert.equal(zero.status, 400)
    assert.equal(
      (await t.call('POST', G, { as: READER, body: { server_group: { name: 'g', policies: ['affinity'] } } }))
        .status,
      403,
    )
  })

  it('keeps projects apart; admins list every project with all_projects', async () => {
    const theirs = await t.call('POST', G, {
      as: OTHER,
      body: { server_group: { name: 'theirs', policies: ['affinity'] } },
    })
    const id = theirs.body.server_group.id as string
    const mine = await t.call('GET', G, { as: MEMBER, version: '2.13' })
    assert.ok(mine.body.server_groups.every((g: { project_id: string }) => g.project_id === 'p-own'))
    const all = await t.call('GET', `${G}?all_projects=True`, { as: MEMBER })
    assert.ok(
      !all.body.server_groups.some((g: { id: string }) => g.id === id),
      'all_projects is ignored for non-admins',
    )
    const adminAll = await t.call('GET', `${G}?all_projects=True`, { as: ADMIN })
    assert.ok(adminAll.body.server_groups.some((g: { id: string }) => g.id === id))
    const peek = await t.call('GET', `${G}/${id}`, { as: MEMBER })
    assert.equal(peek.status, 403)
    assert.equal((await t.call('DELETE', `${G}/${id}`, { as: MEMBER })).status, 403)
    assert.equal((await t.call('GET', `${G}/${id}`, { as: ADMIN })).status, 200)
    assert.equal((await t.call('DELETE', `${G}/${id}`, { as: OTHER })).status, 204)
    const gone = await t.call('GET', `${G}/${id}`, { as: OTHER })
    assert.equal(gone.status, 404)
    assert.equal(gone.body.itemNotFound.message, `Instance group ${id} could not be found.`)
    const paged = await t.call('GET', `${G}?limit=1&offset=1`, { as: MEMBER })
    assert.equal(paged.body.server_groups.length, 1)
  })

  it('holds a project to its server_groups quota', async () => {
    // g1 and g2 exist; the quota is 3.
    assert.equal(
      (
        await t.call('POST', G, {
          as: MEMBER,
          body: { server_group: { name: 'g3', policies: ['affinity'] } },
        })
      ).status,
      200,
    )
    const over = await t.call('POST', G, {
      as: MEMBER,
      body: { server_group: { name: 'g4', policies: ['affinity'] } },
    })
    assert.equal(over.status, 403)
    assert.equal(over.body.forbidden.message, 'Quota exceeded, too many server groups.')
    assert.equal(
      (await t.call('GET', G, { as: MEMBER })).body.server_groups.length,
      3,
      'nothing half-created',
    )
  })
})

describe('compute aggregates', () => {
  let t: TestHost
  before(async () => {
    t = await startCompute()
    // A host joins an aggregate only when a compute service runs on it.
    const registry = t.host.modules.find((m) => m.module.name === 'compute')!.registry!
    await registry.register({ host: 'compute-1', binary: 'nova-compute', topic: 'compute' })
  })
  after(() => t.close())

  it('finds no aggregate with a negative id and refuses an id that is not an integer', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const negative = await t.call(method, `${A}/-1`, { as: ADMIN })
      assert.equal(negative.status, 404)
      assert.equal(negative.body.itemNotFound.message, 'Aggregate -1 could not be found.')
      const word = await t.call(method, `${A}/abc`, { as: ADMIN })
      assert.equal(word.status, 400)
      assert.equal(word.body.badRequest.message, 'id must be an integer')
    }
  })

  it('creates, shows, updates and deletes aggregates with zones and metadata', async () => {
    const created = await t.call('POST', A, {
      as: ADMIN,
      version: '2.41',
      body: { aggregate: { name: 'rack-1', availability_zone: 'az-1' } },
    })
    assert.equal(created.status, 200)
    const agg = created.body.aggregate
    assert.equal(agg.availability_zone, 'az-1')
    assert.ok(!('hosts' in agg) && !('metadata' in agg), 'create answers without hosts and metadata')
    assert.match(agg.uuid, /^[0-9a-f-]{36}$/)
    const shown = await t.call('GET', `${A}/${agg.id}`, { as: ADMIN })
    assert.deepEqual(shown.body.aggregate.metadata, { availability_zone: 'az-1' })
    assert.deepEqual(shown.body.aggregate.hosts, [])
    assert.ok(!('uuid' in shown.body.aggregate), 'uuid from 2.41')
    const dup = await t.call('POST', A, { as: ADMIN, body: { aggregate: { name: 'rack-1' } } })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.conflictingRequest.message, 'Aggregate rack-1 already exists.')

    const meta = await t.call('POST', `${A}/${agg.id}/action`, {
      as: ADMIN,
      body: { set_metadata: { metadata: { ssd: 'true', gpu: 'no' } } },
    })
    assert.deepEqual(meta.body.aggregate.metadata, { availability_zone: 'az-1', gpu: 'no', ssd: 'true' })
    const unset = await t.call('POST', `${A}/${agg.id}/action`, {
      as: ADMIN,
      body: { set_metadata: { metadata: { gpu: null } } },
    })
    assert.deepEqual(unset.body.aggregate.metadata, { availability_zone: 'az-1', ssd: 'true' })
    const renamed = await t.call('PUT', `${A}/${agg.id}`, {
      as: ADMIN,
      body: { aggregate: { name: 'rack-one', availability_zone: 'az-2' } },
    })
    assert.equal(renamed.body.aggregate.name, 'rack-one')
    assert.equal(renamed.body.aggregate.availability_zone, 'az-2')
    assert.ok(
      (await t.call('GET', A, { as: ADMIN })).body.aggregates.some(
        (a: { name: string }) => a.name === 'rack-one',
      ),
    )
    assert.equal((await t.call('DELETE', `${A}/${agg.id}`, { as: ADMIN })).status, 200)
    assert.equal((await t.call('GET', `${A}/${agg.id}`, { as: ADMIN })).status, 404)
  })

  it('adds and removes hosts; a host is in one zone at most', async () => {
    const a1 = (
      await t.call('POST', A, { as: ADMIN, body: { aggregate: { name: 'z1', availability_zone: 'zone-1' } } })
    ).body.aggregate
    const a2 = (
      await t.call('POST', A, { as: ADMIN, body: { aggregate: { name: 'z2', availability_zone: 'zone-2' } } })
    ).body.aggregate
    const plain = (await t.call('POST', A, { as: ADMIN, body: { aggregate: { name: 'plain' } } })).body
      .aggregate
    const add = (id: number, host: string) =>
      t.call('POST', `${A}/${id}/action`, { as: ADMIN, body: { add_host: { host } } })
    const added = await add(a1.id, 'compute-1')
    assert.equal(added.status, 200)
    assert.deepEqual(added.body.aggregate.hosts, ['compute-1'])
    assert.equal((await add(a1.id, 'compute-1')).status, 409)
    const twoZones = await add(a2.id, 'compute-1')
    assert.equal(twoZones.status, 409)
    assert.match(
      twoZones.body.conflictingRequest.message,
      /One or more hosts already in availability zone\(s\) \['zone-1'\]/,
    )
    assert.equal(
      (await add(plain.id, 'compute-1')).status,
      200,
      'an aggregate without a zone may share the host',
    )
    const moveZone = await t.call('PUT', `${A}/${plain.id}`, {
      as: ADMIN,
      body: { aggregate: { availability_zone: 'zone-2' } },
    })
    assert.equal(moveZone.status, 400, 'giving the shared aggregate another zone would put compute-1 in two')
    const emptyZone = await t.call('POST', `${A}/${plain.id}/action`, {
      as: ADMIN,
      body: { set_metadata: { metadata: { availability_zone: '' } } },
    })
    assert.equal(emptyZone.status, 400)
    const notEmpty = await t.call('DELETE', `${A}/${a1.id}`, { as: ADMIN })
    assert.equal(notEmpty.status, 400)
    assert.match(notEmpty.body.badRequest.message, /Host aggregate is not empty/)
    const removed = await t.call('POST', `${A}/${a1.id}/action`, {
      as: ADMIN,
      body: { remove_host: { host: 'compute-1' } },
    })
    assert.deepEqual(removed.body.aggregate.hosts, [])
    const again = await t.call('POST', `${A}/${a1.id}/action`, {
      as: ADMIN,
      body: { remove_host: { host: 'compute-1' } },
    })
    assert.equal(again.status, 404)
    assert.equal((await add(a2.id, 'compute-1')).status, 200, 'now free to join zone-2')
  })

  it('refuses bad input and non-admins', async () => {
    assert.equal((await t.call('GET', `${A}/abc`, { as: ADMIN })).status, 400)
    assert.equal((await t.call('GET', `${A}/99999`, { as: ADMIN })).status, 404)
    for (const body of [
      { aggregate: { name: '' } },
      { aggregate: { name: 'x', availability_zone: 'a:b' } },
      { aggregate: { name: 'x', extra: 1 } },
      { aggregate: {} },
    ])
      assert.equal((await t.call('POST', A, { as: ADMIN, body })).status, 400, JSON.stringify(body))
    const id = (await t.call('POST', A, { as: ADMIN, body: { aggregate: { name: 'bad-input' } } })).body
      .aggregate.id
    assert.equal((await t.call('PUT', `${A}/${id}`, { as: ADMIN, body: { aggregate: {} } })).status, 400)
    assert.equal(
      (await t.call('POST', `${A}/${id}/action`, { as: ADMIN, body: { add_host: { host: 'bad host!' } } }))
        .status,
      400,
    )
    assert.equal((await t.call('POST', `${A}/${id}/action`, { as: ADMIN, body: { fly: {} } })).status, 400)
    assert.equal((await t.call('GET', A, { as: MEMBER })).status, 403)
    assert.equal(
      (await t.call('POST', `${A}/${id}/action`, { as: MEMBER, body: { add_host: { host: 'h' } } })).status,
      403,
    )
    const images = { cache: [{ id: '9a7b2d54-4e6f-4b8b-9a34-23d1f3a3c111' }] }
    assert.equal(
      (await t.call('POST', `${A}/${id}/images`, { as: ADMIN, version: '2.80', body: images })).status,
      404,
    )
    assert.equal(
      (await t.call('POST', `${A}/${id}/images`, { as: ADMIN, version: '2.81', body: images })).status,
      202,
    )
  })
})
