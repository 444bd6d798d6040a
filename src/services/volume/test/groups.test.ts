/**
 * Generic volume groups: group types and specs (admin only), a group of volumes whose
 * types it allows, volumes moved in and out, a group snapshot taking every member (the
 * bytes too), groups made from a group snapshot and from a group, reset status, delete
 * with the volumes; bad input is Cinder's 4xx and creates nothing.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
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

const G = '3.20'

describe('block storage generic volume groups', () => {
  let t: TestHost
  let typeId: string
  let groupTypeId: string
  const file = (id: string) => join(t.dataDir, 'volume', 'volumes', `volume-${id}`)
  before(async () => {
    t = await startVolume()
    const vt = await t.call('POST', `${V}/types`, { as: ADMIN, body: { volume_type: { name: 'grouped' } } })
    typeId = vt.body.volume_type.id
    const gt = await t.call('POST', `${V}/group_types`, {
      as: ADMIN,
      version: G,
      body: {
        group_type: {
          name: 'gt1',
          description: 'd',
          group_specs: { consistent_group_snapshot_enabled: '<is> False' },
        },
      },
    })
    assert.equal(gt.status, 202)
    groupTypeId = gt.body.group_type.id
  })
  after(() => t.close())

  it('manages group types and their specs as an admin only', async () => {
    assert.equal(
      (
        await t.call('POST', `${V}/group_types`, {
          as: MEMBER,
          version: G,
          body: { group_type: { name: 'x' } },
        })
      ).status,
      403,
    )
    assert.equal(
      (
        await t.call('POST', `${V}/group_types`, {
          as: ADMIN,
          version: G,
          body: { group_type: { name: 'gt1' } },
        })
      ).status,
      409,
    )
    assert.equal((await t.call('GET', `${V}/group_types`, { as: MEMBER, version: '3.10' })).status, 404)
    const shownToMember = await t.call('GET', `${V}/group_types/${groupTypeId}`, { as: MEMBER, version: G })
    assert.equal(shownToMember.body.group_type.name, 'gt1')
    assert.ok(!('group_specs' in shownToMember.body.group_type))
    const specs = await t.call('POST', `${V}/group_types/${groupTypeId}/group_specs`, {
      as: ADMIN,
      version: G,
      body: { group_specs: { k1: 'v1', k2: 'v2' } },
    })
    assert.equal(specs.status, 202)
    const item = await t.call('PUT', `${V}/group_types/${groupTypeId}/group_specs/k2`, {
      as: ADMIN,
      version: G,
      body: { k2: 'v2b' },
    })
    assert.deepEqual(item.body, { k2: 'v2b' })
    const all = await t.call('GET', `${V}/group_types/${groupTypeId}/group_specs`, { as: ADMIN, version: G })
    assert.deepEqual(all.body.group_specs, {
      consistent_group_snapshot_enabled: '<is> False',
      k1: 'v1',
      k2: 'v2b',
    })
    assert.equal(
      (await t.call('DELETE', `${V}/group_types/${groupTypeId}/group_specs/k1`, { as: ADMIN, version: G }))
        .status,
      202,
    )
    assert.equal(
      (await t.call('GET', `${V}/group_types/${groupTypeId}/group_specs/k1`, { as: ADMIN, version: G }))
        .status,
      404,
    )
    const updated = await t.call('PUT', `${V}/group_types/${groupTypeId}`, {
      as: ADMIN,
      version: G,
      body: { group_type: { description: 'new' } },
    })
    assert.equal(updated.body.group_type.description, 'new')
    const priv = await t.call('POST', `${V}/group_types`, {
      as: ADMIN,
      version: G,
      body: { group_type: { name: 'private', is_public: false } },
    })
    const names = async (as: string, query = '') =>
      (await t.call('GET', `${V}/group_types${query}`, { as, version: G })).body.group_types.map(
        (x: { name: string }) => x.name,
      )
    assert.ok(!(await names(MEMBER)).includes('private'))
    assert.ok((await names(ADMIN, '?is_public=False')).includes('private'))
    assert.deepEqual(await names(ADMIN, '?is_public=None&sort=name:asc'), ['gt1', 'private'])
    assert.equal(
      (await t.call('DELETE', `${V}/group_types/${priv.body.group_type.id}`, { as: ADMIN, version: G }))
        .status,
      202,
    )
  })

  it('groups volumes, snapshots them together and makes groups from both sources', async () => {
    const bad = [
      { group_type: groupTypeId },
      { group_type: groupTypeId, volume_types: [] },
      { group_type: 'nope', volume_types: [typeId] },
      { volume_types: [typeId] },
    ]
    for (const group of bad) {
      const res = await t.call('POST', `${V}/groups`, { as: MEMBER, version: G, body: { group } })
      assert.ok([400, 404].includes(res.status), `${JSON.stringify(group)} → ${res.status}`)
    }
    assert.equal((await t.call('GET', `${V}/groups`, { as: MEMBER, version: G })).body.groups.length, 0)
    const created = await t.call('POST', `${V}/groups`, {
      as: MEMBER,
      version: G,
      body: { group: { name: 'g1', group_type: groupTypeId, volume_types: [typeId] } },
    })
    assert.equal(created.status, 202)
    const gid = created.body.group.id
    const group = await waitFor(t, 'groups', gid, 'available', MEMBER)
    assert.deepEqual(group.volume_types, [typeId])
    assert.equal(group.group_type, groupTypeId)
    assert.ok(!('project_id' in group))
    assert.equal((await t.call('GET', `${V}/groups/${gid}`, { as: OTHER, version: G })).status, 404)
    assert.equal(
      (await t.call('GET', `${V}/groups/${gid}`, { as: ADMIN, version: '3.58' })).body.group.project_id !==
        undefined,
      true,
    )
    // a volume of a type the group does not allow is refused
    const wrongType = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      version: G,
      body: { volume: { size: 1, group_id: gid } },
    })
    assert.equal(wrongType.status, 400)
    const v1 = await createVolume(t, { volume_type: typeId, group_id: gid }, MEMBER, G)
    const v2 = await createVolume(t, { volume_type: typeId, group_id: gid }, MEMBER, G)
    assert.equal(
      (await t.call('GET', `${V}/volumes/${v1.id}`, { as: MEMBER, version: G })).body.volume.group_id,
      gid,
    )
    const data = randomBytes(256 * 1024)
    await writeFile(file(v1.id), data, { flag: 'r+' })
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

    // out and back in
    const members = async (id: string) =>
      (await t.call('GET', `${V}/volumes/detail?group_id=${id}`, { as: MEMBER, version: G })).body.volumes
        .length
    assert.equal(
      (
        await t.call('PUT', `${V}/groups/${gid}`, {
          as: MEMBER,
          version: G,
          body: { group: { remove_volumes: v2.id, name: 'g1b' } },
        })
      ).status,
      202,
    )
    assert.equal(await members(gid), 1)
    assert.equal(
      (
        await t.call('PUT', `${V}/groups/${gid}`, {
          as: READER,
          version: G,
          body: { group: { add_volumes: v2.id } },
        })
      ).status,
      403,
    )
    assert.equal(
      (
        await t.call('PUT', `${V}/groups/${gid}`, {
          as: MEMBER,
          version: G,
          body: { group: { add_volumes: 'nope' } },
        })
      ).status,
      404,
    )
    await t.call('PUT', `${V}/groups/${gid}`, {
      as: MEMBER,
      version: G,
      body: { group: { add_volumes: v2.id } },
    })
    assert.equal(await members(gid), 2)

    const gs = await t.call('POST', `${V}/group_snapshots`, {
      as: MEMBER,
      version: G,
      body: { group_snapshot: { group_id: gid, name: 'gs1' } },
    })
    assert.equal(gs.status, 202)
    assert.equal(gs.body.group_snapshot.group_type_id, groupTypeId)
    const gsid = gs.body.group_snapshot.id
    await waitFor(t, 'group_snapshots', gsid, 'available', MEMBER)
    const snaps = (await t.call('GET', `${V}/snapshots/detail`, { as: MEMBER, version: G })).body.snapshots
    assert.equal(snaps.filter((s: { group_snapshot_id: string }) => s.group_snapshot_id === gsid).length, 2)
    // a group with group snapshots is not deleted
    assert.equal(
      (
        await t.call('POST', `${V}/groups/${gid}/action`, {
          as: MEMBER,
          version: G,
          body: { delete: { 'delete-volumes': true } },
        })
      ).status,
      400,
    )

    const fromSnap = await t.call('POST', `${V}/groups/action`, {
      as: MEMBER,
      version: G,
      body: { 'create-from-src': { name: 'from-gs', group_snapshot_id: gsid } },
    })
    assert.equal(fromSnap.status, 202)
    const g2 = fromSnap.body.group.id
    await waitFor(t, 'groups', g2, 'available', MEMBER)
    const fromGroup = await t.call('POST', `${V}/groups/action`, {
      as: MEMBER,
      version: G,
      body: { 'create-from-src': { name: 'from-g', source_group_id: gid } },
    })
    const g3 = fromGroup.body.group.id
    await waitFor(t, 'groups', g3, 'available', MEMBER)
    for (const id of [g2, g3]) {
      const vols = (await t.call('GET', `${V}/volumes/detail?group_id=${id}`, { as: MEMBER, version: G }))
        .body.volumes
      assert.equal(vols.length, 2)
      const hashes = await Promise.all(
        vols.map(async (v: { id: string }) => sha((await readFile(file(v.id))).subarray(0, data.length))),
      )
      assert.ok(hashes.includes(sha(data)), 'a member carries the source bytes')
    }
    const detail = await t.call('GET', `${V}/groups/${g2}?list_volume=True`, { as: MEMBER, version: '3.25' })
    assert.equal(detail.body.group.volumes.length, 2)
    assert.equal(detail.body.group.group_snapshot_id, gsid)

    // reset status (admin)
    assert.equal(
      (
        await t.call('POST', `${V}/groups/${g3}/action`, {
          as: MEMBER,
          version: G,
          body: { reset_status: { status: 'error' } },
        })
      ).status,
      403,
    )
    await t.call('POST', `${V}/groups/${g3}/action`, {
      as: ADMIN,
      version: G,
      body: { reset_status: { status: 'error' } },
    })
    await waitFor(t, 'groups', g3, 'error', MEMBER)
    assert.equal(
      (
        await t.call('POST', `${V}/group_snapshots/${gsid}/action`, {
          as: ADMIN,
          version: G,
          body: { reset_status: { status: 'bogus' } },
        })
      ).status,
      400,
    )

    // deletes: the group snapshot and its snapshots, then groups with their volumes
    assert.equal(
      (await t.call('DELETE', `${V}/group_snapshots/${gsid}`, { as: MEMBER, version: G })).status,
      202,
    )
    await waitFor(t, 'group_snapshots', gsid, 'deleted', MEMBER)
    for (const s of snaps) await waitFor(t, 'snapshots', s.id, 'deleted', MEMBER)
    assert.equal(
      (
        await t.call('POST', `${V}/groups/${gid}/action`, {
          as: MEMBER,
          version: G,
          body: { delete: { 'delete-volumes': false } },
        })
      ).status,
      400,
    )
    for (const id of [gid, g2, g3]) {
      const res = await t.call('POST', `${V}/groups/${id}/action`, {
        as: MEMBER,
        version: G,
        body: { delete: { 'delete-volumes': true } },
      })
      assert.equal(res.status, 202, JSON.stringify(res.body))
      await waitFor(t, 'groups', id, 'deleted', MEMBER)
    }
    assert.equal((await t.call('GET', `${V}/volumes`, { as: MEMBER })).body.volumes.length, 0)
    assert.equal(
      (await t.call('DELETE', `${V}/group_types/${groupTypeId}`, { as: ADMIN, version: G })).status,
      202,
    )
  })
})
