/**
 * Volume transfers: offered by the owner (the volume awaits the transfer and cannot be
 * deleted), accepted by another project with the auth key (a wrong key is refused), the
 * volume and its snapshots change project; a deleted transfer frees the volume; the
 * 3.55 API carries no_snapshots and 3.57 the projects and `accepted`.
 */
import assert from 'node:assert/strict'
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

describe('block storage transfers', () => {
  let t: TestHost
  before(async () => {
    t = await startVolume()
  })
  after(() => t.close())

  it('offers a volume and another project accepts it with the key', async () => {
    const vol = await createVolume(t)
    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: vol.id } },
    })
    await waitFor(t, 'snapshots', snap.body.snapshot.id, 'available', MEMBER)
    assert.equal(
      (
        await t.call('POST', `${V}/os-volume-transfer`, {
          as: READER,
          body: { transfer: { volume_id: vol.id } },
        })
      ).status,
      403,
    )
    const created = await t.call('POST', `${V}/os-volume-transfer`, {
      as: MEMBER,
      body: { transfer: { volume_id: vol.id, name: 'gift' } },
    })
    assert.equal(created.status, 202)
    const tr = created.body.transfer
    assert.equal(tr.auth_key.length, 16)
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status,
      'awaiting-transfer',
    )
    assert.equal((await t.call('DELETE', `${V}/volumes/${vol.id}`, { as: MEMBER })).status, 400)
    const shown = await t.call('GET', `${V}/os-volume-transfer/${tr.id}`, { as: MEMBER })
    assert.ok(!('auth_key' in shown.body.transfer))
    assert.equal((await t.call('GET', `${V}/os-volume-transfer/${tr.id}`, { as: OTHER })).status, 404)
    assert.equal((await t.call('GET', `${V}/os-volume-transfer`, { as: MEMBER })).body.transfers.length, 1)
    const wrong = await t.call('POST', `${V}/os-volume-transfer/${tr.id}/accept`, {
      as: OTHER,
      body: { accept: { auth_key: 'nope' } },
    })
    assert.equal(wrong.status, 400)
    const accepted = await t.call('POST', `${V}/os-volume-transfer/${tr.id}/accept`, {
      as: OTHER,
      body: { accept: { auth_key: tr.auth_key } },
    })
    assert.equal(accepted.status, 202)
    const now = await t.call('GET', `${V}/volumes/${vol.id}`, { as: OTHER })
    assert.equal(now.body.volume.status, 'available')
    assert.equal(now.body.volume['os-vol-tenant-attr:tenant_id'], 'p-other')
    assert.equal(now.body.volume.user_id, 'u-other-project-member')
    assert.equal((await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).status, 404)
    assert.equal((await t.call('GET', `${V}/snapshots/${snap.body.snapshot.id}`, { as: OTHER })).status, 200)
    const again = await t.call('POST', `${V}/os-volume-transfer/${tr.id}/accept`, {
      as: ADMIN,
      body: { accept: { auth_key: tr.auth_key } },
    })
    assert.equal(again.status, 404)
  })

  it('frees the volume when the transfer is deleted; 3.55 and 3.57 add their fields', async () => {
    const vol = await createVolume(t)
    const old = await t.call('POST', `${V}/volume-transfers`, {
      as: MEMBER,
      version: '3.54',
      body: { transfer: { volume_id: vol.id } },
    })
    assert.equal(old.status, 404)
    const created = await t.call('POST', `${V}/volume-transfers`, {
      as: MEMBER,
      version: '3.57',
      body: { transfer: { volume_id: vol.id, no_snapshots: true } },
    })
    assert.equal(created.status, 202)
    const tr = created.body.transfer
    assert.equal(tr.no_snapshots, true)
    assert.equal(tr.source_project_id, 'p-own')
    assert.equal(tr.accepted, false)
    const detail = await t.call('GET', `${V}/volume-transfers/detail`, { as: MEMBER, version: '3.57' })
    assert.ok(detail.body.transfers.some((x: { id: string }) => x.id === tr.id))
    assert.equal(
      (await t.call('DELETE', `${V}/volume-transfers/${tr.id}`, { as: MEMBER, version: '3.57' })).status,
      202,
    )
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status,
      'available',
    )
  })
})
