/**
 * os-volume_upload_image: random bytes written into a volume come back byte for byte
 * from the image it is uploaded as (raw), and again in a volume created from that image;
 * a qcow2 upload is converted by qemu-img; the volume is `uploading` then back to
 * available; bad formats, names and personas get Cinder's 4xx and create no image.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../../image/module.js'
import { volumeModule } from '../module.js'
import { createVolume, MEMBER, READER, serviceTokenModule, type TestHost, V, waitFor } from './harness.js'

const MiB = 1024 * 1024

async function sha256(path: string, length: number): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }))
    hash.update(chunk as Buffer)
  return hash.digest('hex')
}

describe('block storage upload to image', () => {
  let t: TestHost
  const file = (id: string) => join(t.dataDir, 'volume', 'volumes', `volume-${id}`)
  before(async () => {
    t = await startTestHost({ modules: [serviceTokenModule, imageModule, volumeModule] })
  })
  after(() => t.close())

  async function waitImage(id: string, status: string) {
    const deadline = Date.now() + 60_000
    for (;;) {
      const res = await t.call('GET', `/image/v2/images/${id}`, { as: MEMBER })
      if (res.body?.status === status) return res.body
      if (Date.now() > deadline)
        throw new Error(`image ${id} did not reach ${status}: ${JSON.stringify(res.body)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('uploads the volume bytes as an image and back into a new volume', async () => {
    const vol = await createVolume(t, { name: 'src' })
    const fh = await open(file(vol.id), 'r+')
    await fh.write(randomBytes(3 * MiB), 0, 3 * MiB, 0)
    await fh.write(randomBytes(MiB), 0, MiB, 512 * MiB)
    await fh.close()
    const GiB = 1024 * MiB
    const want = await sha256(file(vol.id), GiB)

    const res = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
      as: MEMBER,
      version: '3.1',
      body: {
        'os-volume_upload_image': { image_name: 'from-volume', protected: false, visibility: 'private' },
      },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    const up = res.body['os-volume_upload_image']
    assert.equal(up.status, 'uploading')
    assert.equal(up.disk_format, 'raw')
    assert.equal(up.container_format, 'bare')
    assert.equal(up.visibility, 'private')
    assert.equal(up.protected, false)
    assert.equal(up.id, vol.id)
    const image = await waitImage(up.image_id, 'active')
    assert.equal(image.name, 'from-volume')
    assert.equal(image.size, GiB)
    await waitFor(t, 'volumes', vol.id, 'available', MEMBER, 60_000)

    const created = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, imageRef: up.image_id } },
    })
    assert.equal(created.status, 202, JSON.stringify(created.body))
    const back = await waitFor(t, 'volumes', created.body.volume.id, 'available', MEMBER, 120_000)
    assert.equal(await sha256(file(String(back.id)), GiB), want)

    const q = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
      as: MEMBER,
      body: { 'os-volume_upload_image': { image_name: 'as-qcow2', disk_format: 'qcow2' } },
    })
    assert.equal(q.status, 202, JSON.stringify(q.body))
    const qimage = await waitImage(q.body['os-volume_upload_image'].image_id, 'active')
    assert.equal(qimage.disk_format, 'qcow2')
    assert.ok(qimage.size < GiB / 4, `a qcow2 of a mostly empty volume is small (${qimage.size})`)
    await waitFor(t, 'volumes', vol.id, 'available', MEMBER, 60_000)
  })

  it('refuses bad input and the wrong personas, creating no image', async () => {
    const vol = await createVolume(t, { name: 'v' })
    const before = (await t.call('GET', '/image/v2/images', { as: MEMBER })).body.images.length
    const cases: [string, Record<string, unknown>, number][] = [
      [MEMBER, { disk_format: 'iso', image_name: 'x' }, 400],
      [MEMBER, { container_format: 'nope', image_name: 'x' }, 400],
      [MEMBER, {}, 400],
      [READER, { image_name: 'x' }, 403],
    ]
    for (const [as, arg, status] of cases) {
      const res = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
        as,
        body: { 'os-volume_upload_image': arg },
      })
      assert.equal(res.status, status, `${JSON.stringify(arg)}: ${JSON.stringify(res.body)}`)
    }
    const pub = await t.call('POST', `${V}/volumes/${vol.id}/action`, {
      as: MEMBER,
      version: '3.1',
      body: { 'os-volume_upload_image': { image_name: 'x', visibility: 'public' } },
    })
    assert.equal(pub.status, 403)
    assert.equal((await t.call('GET', '/image/v2/images', { as: MEMBER })).body.images.length, before)
    assert.equal(
      (await t.call('GET', `${V}/volumes/${vol.id}`, { as: MEMBER })).body.volume.status,
      'available',
    )
  })
})
