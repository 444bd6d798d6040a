/**
 * Attachments: the 3.27 API (create reserves, update with a connector gives connection
 * info, complete makes the volume in-use, delete frees it), multiattach volumes, the
 * older actions (reserve, unreserve, attach, begin/roll detaching, detach,
 * initialize/terminate connection), wrong states refused with 400, and the race: ten
 * concurrent attachments of a volume that is not multiattach give exactly one.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN, createVolume, MEMBER, OTHER, startVolume, type TestHost, V, waitFor } from './harness.js'

const SERVER = '6b9e1d2c-8f4a-4b7e-9c3d-1a2b3c4d5e6f'
const SERVER2 = '7c0f2e3d-9a5b-4c8f-8d4e-2b3c4d5e6f70'

describe('block storage attachments', () => {
  let t: TestHost
  before(async () => {
    t = await startVolume()
  })
  after(() => t.close())

  it('reserves, connects, completes and deletes an attachment (3.27, 3.44)', async () => {
    const vol = await createVolume(t)
    const old = await t.call('POST', `${V}/attachments`, {
      as: MEMBER,
      version: '3.26',
      body: { attachment: { volume_uuid: vol.id, instance_uuid: SERVER } },
    })
    assert.equal(old.status, 404)
    const created = await t.call('POST', `${V}/attachments`, {
      as: MEMBER,
      version: '3.44',
      body: { attachment: { volume_uuid: vol.id, instance_uuid: SERVER } },
    })
    assert.equal(created.status, 200)
    const a = created.body.attachment
    assert.equal(a.status, 'reserved')
    assert.equal(a.instance, SERVER)
    assert.equal(a.connection_info, null)
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status,
      'reserved',
    )
    const second = await t.call('POST', `${V}/attachments`, {
      as: MEMBER,
      version: '3.44',
      body: { attachment: { volume_uuid: vol.id, instance_uuid: SERVER2 } },
    })
    assert.equal(second.status, 400)
    const upd = await t.call('PUT', `${V}/attachments/${a.id}`, {
      as: MEMBER,
      version: '3.44',
      body: { attachment: { connector: { host: 'compute-1', mountpoint: '/dev/vdb', initiator: 'iqn.x' } } },
    })
    assert.equal(upd.status, 200)
    assert.equal(upd.body.attachment.status, 'attaching')
    assert.equal(upd.body.attachment.connection_info.driver_volume_type, 'local')
    assert.match(upd.body.attachment.connection_info.data.device_path, new RegExp(`volume-${vol.id}$`))
    const done = await t.call('POST', `${V}/attachments/${a.id}/action`, {
      as: MEMBER,
      version: '3.44',
      body: { 'os-complete': {} },
    })
    assert.equal(done.status, 204)
    const inUse = await t.call('GET', `${V}/volumes/${vol.id}`, { as: ADMIN })
    assert.equal(inUse.body.volume.status, 'in-use')
    assert.equal(inUse.body.volume.attachments[0].server_id, SERVER)
    assert.equal(inUse.body.volume.attachments[0].device, '/dev/vdb')
    assert.equal(inUse.body.volume.attachments[0].host_name, 'compute-1')
    const listed = await t.call('GET', `${V}/attachments?volume_id=${vol.id}`, {
      as: MEMBER,
      version: '3.27',
    })
    assert.deepEqual(
      listed.body.attachments.map((x: { id: string }) => x.id),
      [a.id],
    )
    assert.equal(
      (await t.call('GET', `${V}/attachments/${a.id}`, { as: OTHER, version: '3.27' })).status,
      404,
    )
    assert.equal((await t.call('DELETE', `${V}/volumes/${vol.id}`, { as: MEMBER })).status, 400)
    const del = await t.call('DELETE', `${V}/attachments/${a.id}`, { as: MEMBER, version: '3.27' })
    assert.equal(del.status, 200)
    await waitFor(t, 'volumes', String(vol.id), 'available', MEMBER)
  })

  it('gives exactly one of ten concurrent attachments of a volume that is not multiattach', async () => {
    const vol = await createVolume(t)
    const tries = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.call('POST', `${V}/attachments`, {
          as: MEMBER,
          version: '3.54',
          body: {
            attachment: {
              volume_uuid: vol.id,
              instance_uuid: `0000000${i}-aaaa-4bbb-8ccc-dddddddddddd`,
              connector: { host: `h${i}` },
              mode: 'rw',
            },
          },
        }),
      ),
    )
    assert.equal(tries.filter((r) => r.status === 200).length, 1)
    const refused = tries.filter((r) => r.status === 400)
    assert.equal(refused.length, 9)
    assert.match(refused[0]!.body.badRequest.message, /^Invalid volume: /)
    const live = await t.call('GET', `${V}/attachments/detail?volume_id=${vol.id}`, {
      as: MEMBER,
      version: '3.27',
    })
    assert.equal(live.body.attachments.length, 1)
  })

  it('attaches a multiattach volume to several servers', async () => {
    const type = await t.call('POST', `${V}/types`, {
      as: ADMIN,
      body: { volume_type: { name: 'multi', extra_specs: { multiattach: '<is> True' } } },
    })
    assert.equal(type.status, 200)
    const vol = await createVolume(t, { volume_type: 'multi' })
    assert.equal(vol.multiattach, true)
    const ids: string[] = []
    for (const server of [SERVER, SERVER2]) {
      const r = await t.call('POST', `${V}/attachments`, {
        as: MEMBER,
        version: '3.44',
        body: { attachment: { volume_uuid: vol.id, instance_uuid: server, connector: { host: 'c' } } },
      })
      assert.equal(r.status, 200, JSON.stringify(r.body))
      ids.push(r.body.attachment.id)
      await t.call('POST', `${V}/attachments/${r.body.attachment.id}/action`, {
        as: MEMBER,
        version: '3.44',
        body: { 'os-complete': {} },
      })
    }
    const shown = await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })
    assert.equal(shown.body.volume.status, 'in-use')
    assert.equal(shown.body.volume.attachments.length, 2)
    await t.call('DELETE', `${V}/attachments/${ids[0]}`, { as: MEMBER, version: '3.27' })
    assert.equal((await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status, 'in-use')
    await t.call('DELETE', `${V}/attachments/${ids[1]}`, { as: MEMBER, version: '3.27' })
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status,
      'available',
    )
  })

  it('runs the older attach actions and refuses the wrong states', async () => {
    const vol = await createVolume(t)
    const act = (body: unknown) => t.call('POST', `${V}/volumes/${vol.id}/action`, { as: MEMBER, body })
    const status = async () =>
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status
    assert.equal((await act({ 'os-begin_detaching': {} })).status, 400)
    assert.equal((await act({ 'os-reserve': {} })).status, 202)
    assert.equal(await status(), 'attaching')
    assert.equal((await act({ 'os-reserve': {} })).status, 400)
    assert.equal((await act({ 'os-unreserve': {} })).status, 202)
    assert.equal(await status(), 'available')
    const conn = await act({ 'os-initialize_connection': { connector: { host: 'c1' } } })
    assert.equal(conn.status, 200)
    assert.equal(conn.body.connection_info.driver_volume_type, 'local')
    assert.equal((await act({ 'os-initialize_connection': {} })).status, 400)
    assert.equal((await act({ 'os-reserve': {} })).status, 202)
    assert.equal(
      (await act({ 'os-attach': { instance_uuid: SERVER, mountpoint: '/dev/vdc', mode: 'rw' } })).status,
      202,
    )
    assert.equal(await status(), 'in-use')
    const shown = await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })
    assert.equal(shown.body.volume.attachments[0].device, '/dev/vdc')
    assert.equal(shown.body.volume.metadata.attached_mode, 'rw')
    assert.equal((await act({ 'os-reserve': {} })).status, 400)
    assert.equal((await act({ 'os-begin_detaching': {} })).status, 202)
    assert.equal(await status(), 'detaching')
    assert.equal((await act({ 'os-roll_detaching': {} })).status, 202)
    assert.equal(await status(), 'in-use')
    assert.equal((await act({ 'os-terminate_connection': { connector: { host: 'c1' } } })).status, 202)
    assert.equal((await act({ 'os-detach': {} })).status, 202)
    assert.equal(await status(), 'available')
    // as upstream's manager: detaching what nothing holds succeeds and leaves it available
    assert.equal((await act({ 'os-detach': {} })).status, 202)
    assert.equal(await status(), 'available')
    const missing = await t.call('POST', `${V}/volumes/3f0e0b6a-5a49-4bb8-a6a3-0b4a2f2f1a11/action`, {
      as: MEMBER,
      body: { 'os-reserve': {} },
    })
    assert.equal(missing.status, 404)
  })
})
