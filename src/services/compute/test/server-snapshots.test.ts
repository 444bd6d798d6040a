/**
 * createImage end to end with the real agents: the fake guest's disk uploaded to the
 * image service as an active image carrying the instance's image properties, the 202
 * with Location (before 2.45) or `{"image_id"}` (2.45), the task states in upstream's
 * order, the refusals (state, task, body, metadata quota up to 2.38) that change
 * nothing, and an injected failure that leaves no image and the server as it was;
 * createBackup with its rotation.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { idle, type OpsCloud, startOpsCloud, waitStatus } from './ops-harness.js'

const S = '/compute/v2.1/servers'
const ADMIN = 'project-admin'
const MEMBER = 'project-member'

describe('createImage', () => {
  let c: OpsCloud
  let baseImage: string
  const taskStates: (string | null)[] = []
  before(async () => {
    // a snapshot takes a moment, so a second request meets the first one's task state
    c = await startOpsCloud({ hosts: 2, config: { fake_driver: { snapshot_time: 0.3 } } })
    // the task state writes, to see the whole walk of a snapshot
    type UpdateIf = (uuid: string, from: unknown, values: { task_state?: string | null }) => Promise<boolean>
    const repo = (c.compute.moves as unknown as { d: { servers: { updateIf: UpdateIf } } }).d.servers
    const updateIf = repo.updateIf.bind(repo)
    repo.updateIf = async (uuid, from, values) => {
      const ok = await updateIf(uuid, from, values)
      if (ok && values.task_state !== undefined) taskStates.push(values.task_state)
      return ok
    }
    const img = await c.t.call('POST', '/image/v2/images', {
      as: ADMIN,
      body: {
        name: 'base',
        disk_format: 'qcow2',
        container_format: 'bare',
        visibility: 'public',
        hw_disk_bus: 'virtio',
        cache_in_nova: 'True',
        img_signature: 'abc',
      },
    })
    baseImage = img.body.id as string
    await c.t.call('PUT', `/image/v2/images/${baseImage}/file`, {
      as: ADMIN,
      body: 'base disk',
      headers: { 'content-type': 'application/octet-stream' },
    })
  })
  after(() => c.close())

  const act = (id: string, body: unknown, version = '2.1', as = MEMBER) =>
    c.t.call('POST', `${S}/${id}/action`, { as, version, body })
  const image = async (id: string) => c.t.call('GET', `/image/v2/images/${id}`, { as: MEMBER })
  const waitImage = async (id: string, status: string) => {
    const end = Date.now() + 20_000
    for (;;) {
      const r = await image(id)
      if (r.status === 200 && r.body.status === status) return r.body as Record<string, unknown>
      if (Date.now() > end) throw new Error(`image ${id} stayed ${r.body?.status ?? r.status}`)
      await new Promise((res) => setTimeout(res, 10))
    }
  }
  const imagesNamed = async (name: string) =>
    ((await c.t.call('GET', `/image/v2/images?name=${name}`, { as: ADMIN })).body.images as unknown[]).length

  it('uploads the disk as an active image with the instance image properties (2.1: Location)', async () => {
    const id = await c.boot('snap-1', '1', { imageRef: baseImage })
    taskStates.length = 0
    const r = await act(id, { createImage: { name: 'snap-1-image', metadata: { purpose: 'backup' } } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const location = String(r.headers.location)
    const imageId = location.split('/').pop()!
    assert.match(location, /\/image\/images\/[0-9a-f-]{36}$/)
    assert.ok(r.body === '' || r.body === undefined, 'no body before 2.45')
    // the API leaves the task pending; the conductor walks the rest
    const shown = (await c.t.call('GET', `${S}/${id}`, { as: MEMBER, version: '2.1' })).body.server
    assert.ok(
      ['image_snapshot_pending', 'image_snapshot', 'image_pending_upload', 'image_uploading', null].includes(
        shown['OS-EXT-STS:task_state'],
      ),
    )
    const img = await waitImage(imageId, 'active')
    await waitStatus(c.t, id, ['ACTIVE'])
    await idle(c.compute)
    // (the API and the conductor share the repo in this cloud: the API's write is seen too)
    assert.deepEqual(taskStates, [
      'image_snapshot_pending',
      'image_snapshot',
      'image_pending_upload',
      'image_uploading',
      null,
    ])
    assert.equal(img.name, 'snap-1-image')
    assert.equal(img.image_type, 'snapshot')
    assert.equal(img.instance_uuid, id)
    assert.equal(img.base_image_ref, baseImage)
    assert.equal(img.purpose, 'backup')
    assert.equal(img.visibility, 'private')
    assert.equal(img.disk_format, 'raw')
    assert.equal(img.container_format, 'bare')
    assert.equal(img.hw_disk_bus, 'virtio', 'inherited from the base image')
    assert.equal(img.cache_in_nova, undefined, 'non_inheritable_image_properties')
    assert.equal(img.img_signature, undefined, 'never inherited')
    assert.ok(typeof img.user_id === 'string' && img.user_id !== '')
    // the bytes are the fake guest's disk
    const file = await c.t.call('GET', `/image/v2/images/${imageId}/file`, { as: MEMBER })
    assert.equal(file.status, 200)
    const bytes = String(file.body)
    assert.ok(bytes.startsWith(`CLOUDLET FAKE DISK ${id}`), bytes.slice(0, 60))
    assert.equal(Number(img.size), bytes.length)
    // the action and its event
    const actions = (await c.t.call('GET', `${S}/${id}/os-instance-actions`, { as: MEMBER })).body
      .instanceActions as { action: string; request_id: string }[]
    const a = actions.find((x) => x.action === 'createImage')
    assert.ok(a, 'a createImage action')
    const events = (
      await c.t.call('GET', `${S}/${id}/os-instance-actions/${a.request_id}`, { as: ADMIN, version: '2.51' })
    ).body.instanceAction.events as { event: string; result: string }[]
    assert.deepEqual(
      events.map((e) => [e.event, e.result]),
      [['compute_snapshot_instance', 'Success']],
    )
    // the images proxy (up to 2.35) finds it by the server's link
    const link = (await c.t.call('GET', `${S}/${id}`, { as: MEMBER })).body.server.links[0].href as string
    const proxied = await c.t.call('GET', `/compute/v2.1/images/detail?server=${encodeURIComponent(link)}`, {
      as: MEMBER,
    })
    assert.deepEqual(
      (proxied.body.images as { id: string }[]).map((i) => i.id),
      [imageId],
    )
    await c.accounting()
  })

  it('answers {"image_id"} from 2.45, of a stopped, paused or suspended server; a locked one too', async () => {
    const id = await c.boot('snap-2')
    for (const [prepare, status] of [
      [{ 'os-stop': null }, 'SHUTOFF'],
      [{ 'os-start': null }, 'ACTIVE'],
      [{ pause: null }, 'PAUSED'],
      [{ unpause: null }, 'ACTIVE'],
      [{ suspend: null }, 'SUSPENDED'],
    ] as const) {
      assert.equal((await act(id, prepare)).status, 202)
      await waitStatus(c.t, id, [status])
      if (status === 'ACTIVE') continue
      const r = await act(id, { createImage: { name: `of-${status}` } }, '2.45')
      assert.equal(r.status, 202, JSON.stringify(r.body))
      assert.equal(r.headers.location, undefined)
      await waitImage(r.body.image_id as string, 'active')
      assert.equal((await waitStatus(c.t, id, [status])).status, status)
    }
    assert.equal((await act(id, { resume: null })).status, 202)
    await waitStatus(c.t, id, ['ACTIVE'])
    // upstream does not check the lock for a snapshot
    assert.equal((await act(id, { lock: null }, '2.1', ADMIN)).status, 202)
    const r = await act(id, { createImage: { name: 'of-locked' } }, '2.45')
    assert.equal(r.status, 202, JSON.stringify(r.body))
    await waitImage(r.body.image_id as string, 'active')
    await waitStatus(c.t, id, ['ACTIVE'])
    assert.equal((await act(id, { unlock: null }, '2.1', ADMIN)).status, 202)
  })

  it('refuses with 409 while a snapshot runs or in a state upstream refuses; nothing changes', async () => {
    const id = await c.boot('snap-3')
    const first = await act(id, { createImage: { name: 'first' } }, '2.45')
    assert.equal(first.status, 202)
    const second = await act(id, { createImage: { name: 'second' } }, '2.45')
    assert.equal(second.status, 409)
    assert.match(
      second.body.conflictingRequest.message,
      new RegExp(`^Cannot 'createImage' instance ${id} while it is in task_state image_`),
    )
    assert.equal(await imagesNamed('second'), 0, 'no image left by the refusal')
    await waitImage(first.body.image_id as string, 'active')
    await waitStatus(c.t, id, ['ACTIVE'])
    assert.equal((await act(id, { rescue: null })).status, 200)
    await waitStatus(c.t, id, ['RESCUE'])
    const rescued = await act(id, { createImage: { name: 'rescued' } })
    assert.equal(rescued.status, 409)
    assert.equal(
      rescued.body.conflictingRequest.message,
      `Cannot 'createImage' instance ${id} while it is in vm_state rescued`,
    )
    assert.equal(await imagesNamed('rescued'), 0)
    assert.equal((await act(id, { unrescue: null })).status, 202)
    await waitStatus(c.t, id, ['ACTIVE'])
  })

  it('validates the body (400), finds the server (404), counts metadata as quota up to 2.38 (403)', async () => {
    const id = await c.boot('snap-4')
    for (const body of [
      { createImage: {} },
      { createImage: { name: '' } },
      { createImage: { name: ' padded ' } },
      { createImage: { name: 'x', metadata: { k: 1 } } },
      { createImage: { name: 'x', extra: true } },
      { createImage: { name: 'x'.repeat(256) } },
    ]) {
      const r = await act(id, body)
      assert.equal(r.status, 400, JSON.stringify(body))
      assert.ok(r.body.badRequest.message, JSON.stringify(r.body))
    }
    const missing = await act('00000000-0000-4000-8000-000000000000', { createImage: { name: 'x' } })
    assert.equal(missing.status, 404)
    assert.ok(missing.body.itemNotFound)
    const project = (await c.t.call('GET', `${S}/${id}`, { as: MEMBER })).body.server.tenant_id as string
    const q = await c.t.call('PUT', `/compute/v2.1/os-quota-sets/${project}`, {
      as: ADMIN,
      body: { quota_set: { metadata_items: 1 } },
    })
    assert.equal(q.status, 200, JSON.stringify(q.body))
    const over = await act(id, { createImage: { name: 'too-much', metadata: { a: '1', b: '2' } } }, '2.38')
    assert.equal(over.status, 403)
    assert.equal(over.body.forbidden.message, 'Image metadata limit exceeded')
    assert.equal(await imagesNamed('too-much'), 0)
    const s = (await c.t.call('GET', `${S}/${id}`, { as: MEMBER })).body.server
    assert.equal(s['OS-EXT-STS:task_state'], null)
    // from 2.39 upstream no longer counts it
    const ok = await act(id, { createImage: { name: 'fine', metadata: { a: '1', b: '2' } } }, '2.39')
    assert.equal(ok.status, 202, JSON.stringify(ok.body))
    await waitStatus(c.t, id, ['ACTIVE'])
    await c.t.call('DELETE', `/compute/v2.1/os-quota-sets/${project}`, { as: ADMIN })
  })

  it('a failed disk read deletes the image, clears the task, keeps the server ACTIVE with a fault', async () => {
    const id = await c.boot('snap-5')
    const host = (await c.t.call('GET', `${S}/${id}`, { as: ADMIN, version: 'latest' })).body.server[
      'OS-EXT-SRV-ATTR:host'
    ] as string
    c.driver(host).failNextStep('snapshot')
    const r = await act(id, { createImage: { name: 'doomed' } }, '2.45')
    assert.equal(r.status, 202)
    const imageId = r.body.image_id as string
    const end = Date.now() + 20_000
    while ((await image(imageId)).status !== 404) {
      if (Date.now() > end) throw new Error('the failed snapshot left its image')
      await new Promise((res) => setTimeout(res, 10))
    }
    const s = await waitStatus(c.t, id, ['ACTIVE'])
    assert.equal(s.status, 'ACTIVE')
    await idle(c.compute)
    const actions = (await c.t.call('GET', `${S}/${id}/os-instance-actions`, { as: MEMBER })).body
      .instanceActions as { action: string; request_id: string }[]
    const a = actions.find((x) => x.action === 'createImage')!
    const shown = (
      await c.t.call('GET', `${S}/${id}/os-instance-actions/${a.request_id}`, { as: ADMIN, version: '2.51' })
    ).body.instanceAction as { message: string | null; events: { event: string; result: string }[] }
    assert.equal(shown.message, 'Error')
    assert.deepEqual(
      shown.events.map((e) => [e.event, e.result]),
      [['compute_snapshot_instance', 'Error']],
    )
    // the next one works
    const again = await act(id, { createImage: { name: 'second-try' } }, '2.45')
    assert.equal(again.status, 202)
    await waitImage(again.body.image_id as string, 'active')
    await waitStatus(c.t, id, ['ACTIVE'])
    await c.accounting()
  })

  it('createBackup keeps the newest `rotation` backups of its type; Location only when kept (2.1)', async () => {
    const id = await c.boot('backup-1')
    const backup = async (name: string, rotation: number, type = 'daily', version = '2.45') => {
      const r = await act(id, { createBackup: { name, backup_type: type, rotation } }, version)
      assert.equal(r.status, 202, JSON.stringify(r.body))
      await waitStatus(c.t, id, ['ACTIVE'])
      await idle(c.compute)
      return r
    }
    const ids: string[] = []
    for (const n of ['b1', 'b2', 'b3']) ids.push((await backup(n, 2)).body.image_id as string)
    const weekly = (await backup('w1', 5, 'weekly')).body.image_id as string
    const listed = async (type: string) =>
      (
        (await c.t.call('GET', `/image/v2/images?instance_uuid=${id}&backup_type=${type}`, { as: MEMBER }))
          .body.images as { id: string }[]
      )
        .map((i) => i.id)
        .sort()
    assert.deepEqual(await listed('daily'), [ids[1], ids[2]].sort(), 'the oldest daily backup rotated out')
    assert.deepEqual(await listed('weekly'), [weekly])
    const img = await waitImage(ids[2]!, 'active')
    assert.equal(img.image_type, 'backup')
    assert.equal(img.backup_type, 'daily')
    assert.equal(img.instance_uuid, id)
    // 2.1: the compute API's image URL when kept; none with rotation 0 (which keeps none)
    const kept = await backup('b4', 2, 'daily', '2.1')
    assert.match(String(kept.headers.location), /\/compute\/v2\.1\/images\/[0-9a-f-]{36}$/)
    const none = await backup('b5', 0, 'daily', '2.1')
    assert.equal(none.headers.location, undefined)
    assert.deepEqual(await listed('daily'), [])
    const bad = await act(id, { createBackup: { name: 'x', backup_type: 'daily', rotation: -1 } })
    assert.equal(bad.status, 400)
    const missing = await act(id, { createBackup: { name: 'x', rotation: 1 } })
    assert.equal(missing.status, 400)
  })
})
