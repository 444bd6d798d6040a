/**
 * Volumes over HTTP: the version documents and the microversion header, Cinder's fault
 * body, create (the state machine to available, a sparse file on disk), show with the
 * attributes each persona sees, list with filters, sort and paging, summary, update,
 * metadata, delete (refused with snapshots unless cascade), and who may do what.
 */
import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  ADMIN,
  createVolume,
  MEMBER,
  OTHER,
  READER,
  startVolume,
  type TestHost,
  V,
  waitFor,
} from './harness.js'

describe('block storage volumes', () => {
  let t: TestHost
  before(async () => {
    t = await startVolume()
  })
  after(() => t.close())

  it('answers the version documents and negotiates the microversion', async () => {
    const root = await t.call('GET', '/volume/')
    assert.equal(root.status, 300)
    assert.equal(root.body.versions[0].id, 'v3.0')
    assert.equal(root.body.versions[0].version, '3.70')
    assert.equal(root.body.versions[0].min_version, '3.0')
    const v3 = await t.call('GET', '/volume/v3/')
    assert.equal(v3.status, 200)
    assert.match(
      v3.body.versions[0].links.find((l: { rel: string }) => l.rel === 'self').href,
      /\/volume\/v3\/$/,
    )
    const latest = await t.call('GET', `${V}/volumes`, { as: MEMBER, version: 'latest' })
    assert.equal(latest.headers['openstack-api-version'], 'volume 3.70')
    assert.match(String(latest.headers.vary), /openstack-api-version/i)
    const none = await t.call('GET', `${V}/volumes`, { as: MEMBER })
    assert.equal(none.headers['openstack-api-version'], 'volume 3.0')
    const tooNew = await t.call('GET', `${V}/volumes`, { as: MEMBER, version: '3.71' })
    assert.equal(tooNew.status, 406)
    const bad = await t.call('GET', `${V}/volumes`, { as: MEMBER, version: '3.x' })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.badRequest.code, 400)
    const summaryOld = await t.call('GET', `${V}/volumes/summary`, { as: MEMBER, version: '3.11' })
    assert.equal(summaryOld.status, 404)
  })

  it('answers faults in Cinder form and needs a token', async () => {
    const anon = await t.call('GET', `${V}/volumes`)
    assert.equal(anon.status, 401)
    const missing = await t.call('GET', `${V}/volumes/3f0e0b6a-5a49-4bb8-a6a3-0b4a2f2f1a11`, { as: MEMBER })
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, {
      itemNotFound: { code: 404, message: 'Volume 3f0e0b6a-5a49-4bb8-a6a3-0b4a2f2f1a11 could not be found.' },
    })
  })

  it('creates an empty volume: creating, then available with a sparse file of its size', async () => {
    const res = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 2, name: 'v1', description: 'd', metadata: { a: '1' } } },
    })
    assert.equal(res.status, 202)
    const v = res.body.volume
    assert.equal(v.status, 'creating')
    assert.equal(v.size, 2)
    assert.equal(v.volume_type, '__DEFAULT__')
    assert.equal(v.bootable, 'false')
    assert.deepEqual(v.metadata, { a: '1' })
    assert.ok(!('os-vol-tenant-attr:tenant_id' in v), 'create answers without the extended attributes')
    const ready = await waitFor(t, 'volumes', v.id, 'available', MEMBER)
    assert.ok(!('os-vol-host-attr:host' in ready), 'a member does not see the host')
    assert.equal(ready['os-vol-tenant-attr:tenant_id'], 'p-own')
    assert.equal(ready.availability_zone, 'nova')
    const file = join(t.dataDir, 'volume', 'volumes', `volume-${v.id}`)
    const st = await stat(file)
    assert.equal(st.size, 2 * 1024 ** 3)
    assert.ok(st.blocks * 512 < 1024 * 1024, 'the file is sparse')
    const asAdmin = await t.call('GET', `${V}/volumes/${v.id}`, { as: ADMIN, version: '3.70' })
    assert.match(asAdmin.body.volume['os-vol-host-attr:host'], /.+@file#file$/)
    assert.equal(asAdmin.body.volume.volume_type_id.length, 36)
    assert.equal(asAdmin.body.volume.consumes_quota, true)
    assert.equal(asAdmin.body.volume.migration_status, null)
  })

  it('refuses bad sizes, unknown types, zones and sources with 4xx and creates nothing', async () => {
    const before = (await t.call('GET', `${V}/volumes`, { as: MEMBER })).body.volumes.length
    const cases: [Record<string, unknown>, number][] = [
      [{ size: 0 }, 400],
      [{ size: -1 }, 400],
      [{ size: 'abc' }, 400],
      [{ size: '0' }, 400],
      [{}, 400],
      [{ size: 1, volume_type: 'no-such-type' }, 404],
      [{ size: 1, availability_zone: 'elsewhere' }, 400],
      [{ size: 1, snapshot_id: '3f0e0b6a-5a49-4bb8-a6a3-0b4a2f2f1a11' }, 404],
      [{ size: 1, source_volid: '3f0e0b6a-5a49-4bb8-a6a3-0b4a2f2f1a11' }, 404],
      [{ size: 1, metadata: { k: 1 } }, 400],
      [{ size: 1, name: 'x'.repeat(256) }, 400],
    ]
    for (const [body, status] of cases) {
      const res = await t.call('POST', `${V}/volumes`, { as: MEMBER, body: { volume: body } })
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`)
      assert.ok(res.body.badRequest ?? res.body.itemNotFound, JSON.stringify(res.body))
    }
    const notJson = await t.call('POST', `${V}/volumes`, { as: MEMBER, body: '{"volume": ' })
    assert.equal(notJson.status, 400)
    const afterCount = (await t.call('GET', `${V}/volumes`, { as: MEMBER })).body.volumes.length
    assert.equal(afterCount, before)
  })

  it('lists with filters, sort, limit and marker, with next links', async () => {
    const ids: string[] = []
    for (const name of ['p-a', 'p-b', 'p-c'])
      ids.push(String((await createVolume(t, { name, metadata: { tier: 'x' } })).id))
    const byName = await t.call('GET', `${V}/volumes?name=p-b`, { as: MEMBER })
    assert.deepEqual(
      byName.body.volumes.map((v: { id: string }) => v.id),
      [ids[1]],
    )
    const byMeta = await t.call(
      'GET',
      `${V}/volumes/detail?metadata=${encodeURIComponent("{'tier': 'x'}")}`,
      { as: MEMBER },
    )
    assert.equal(byMeta.body.volumes.length, 3)
    const sorted = await t.call(
      'GET',
      `${V}/volumes/detail?sort=name:asc&metadata=${encodeURIComponent('{"tier":"x"}')}`,
      {
        as: MEMBER,
      },
    )
    assert.deepEqual(
      sorted.body.volumes.map((v: { name: string }) => v.name),
      ['p-a', 'p-b', 'p-c'],
    )
    const page1 = await t.call('GET', `${V}/volumes?sort=id:asc&limit=2`, { as: MEMBER })
    assert.equal(page1.body.volumes.length, 2)
    const next = page1.body.volumes_links[0].href as string
    assert.match(next, /\/volume\/v3\/volumes\?sort=id%3Aasc&limit=2&marker=/)
    const page2 = await t.call('GET', next.replace(/^https?:\/\/[^/]+/, ''), { as: MEMBER })
    const all = [...page1.body.volumes, ...page2.body.volumes].map((v: { id: string }) => v.id)
    assert.ok(all.every((id, i) => i === 0 || id > all[i - 1]!))
    const withProject = await t.call('GET', `/volume/v3/p-own/volumes?name=p-c`, { as: MEMBER })
    assert.deepEqual(
      withProject.body.volumes.map((v: { id: string }) => v.id),
      [ids[2]],
    )
    const counted = await t.call('GET', `${V}/volumes?with_count=true&name=p-a`, {
      as: MEMBER,
      version: '3.45',
    })
    assert.equal(counted.body.count, 1)
    const summary = await t.call('GET', `${V}/volumes/summary`, { as: MEMBER, version: '3.36' })
    assert.ok(summary.body['volume-summary'].total_count >= 3)
    assert.deepEqual(summary.body['volume-summary'].metadata.tier, ['x'])
    const badSort = await t.call('GET', `${V}/volumes?sort=nope:asc`, { as: MEMBER })
    assert.equal(badSort.status, 400)
    const otherSees = await t.call('GET', `${V}/volumes`, { as: OTHER })
    assert.equal(otherSees.body.volumes.length, 0)
    const adminAll = await t.call('GET', `${V}/volumes?all_tenants=1&name=p-a`, { as: ADMIN })
    assert.equal(adminAll.body.volumes.length, 1)
  })

  it('updates, keeps metadata and enforces who may touch a volume', async () => {
    const v = await createVolume(t, { name: 'upd' })
    const upd = await t.call('PUT', `${V}/volumes/${v.id}`, {
      as: MEMBER,
      body: { volume: { name: 'renamed', description: 'new' } },
    })
    assert.equal(upd.status, 200)
    assert.equal(upd.body.volume.name, 'renamed')
    const reader = await t.call('PUT', `${V}/volumes/${v.id}`, {
      as: READER,
      body: { volume: { name: 'no' } },
    })
    assert.equal(reader.status, 403)
    assert.equal(reader.body.forbidden.message, "Policy doesn't allow volume:update to be performed.")
    assert.equal((await t.call('GET', `${V}/volumes/${v.id}`, { as: READER })).status, 200)
    assert.equal((await t.call('GET', `${V}/volumes/${v.id}`, { as: OTHER })).status, 404)
    assert.equal((await t.call('DELETE', `${V}/volumes/${v.id}`, { as: OTHER })).status, 404)
    assert.equal((await t.call('GET', `${V}/volumes/${v.id}`, { as: 'system-admin' })).status, 200)
    const meta = `${V}/volumes/${v.id}/metadata`
    assert.deepEqual(
      (await t.call('POST', meta, { as: MEMBER, body: { metadata: { a: '1', b: '2' } } })).body,
      {
        metadata: { a: '1', b: '2' },
      },
    )
    assert.deepEqual((await t.call('PUT', meta, { as: MEMBER, body: { metadata: { c: '3' } } })).body, {
      metadata: { c: '3' },
    })
    assert.deepEqual((await t.call('PUT', `${meta}/c`, { as: MEMBER, body: { meta: { c: '4' } } })).body, {
      meta: { c: '4' },
    })
    assert.equal((await t.call('PUT', `${meta}/c`, { as: MEMBER, body: { meta: { d: '4' } } })).status, 400)
    assert.deepEqual((await t.call('GET', `${meta}/c`, { as: READER })).body, { meta: { c: '4' } })
    assert.equal((await t.call('DELETE', `${meta}/c`, { as: MEMBER })).status, 200)
    assert.equal((await t.call('GET', `${meta}/c`, { as: MEMBER })).status, 404)
  })

  it('deletes: refused with snapshots unless cascade, then the file is gone', async () => {
    const v = await createVolume(t, { name: 'del' })
    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: v.id } },
    })
    assert.equal(snap.status, 202)
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'available', MEMBER)
    const refused = await t.call('DELETE', `${V}/volumes/${v.id}`, { as: MEMBER })
    assert.equal(refused.status, 400)
    assert.match(refused.body.badRequest.message, /^Invalid volume: /)
    const cascade = await t.call('DELETE', `${V}/volumes/${v.id}?cascade=true`, { as: MEMBER })
    assert.equal(cascade.status, 202)
    await waitFor(t, 'volumes', String(v.id), 'deleted', MEMBER)
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'deleted', MEMBER)
    await assert.rejects(stat(join(t.dataDir, 'volume', 'volumes', `volume-${v.id}`)))
    await assert.rejects(stat(join(t.dataDir, 'volume', 'volumes', `snapshot-${snap.body.snapshot.id}`)))
  })
})
