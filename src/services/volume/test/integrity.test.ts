/**
 * Data integrity end to end (issue 15, acceptance 3): random bytes survive every way
 * block storage copies them, each checked by sha256 over the whole volume.
 *
 *   image upload ─▶ volume from the image (create-from-image)
 *   random bytes written into that volume's file (the file driver's data path)
 *     ─▶ snapshot ─▶ volume from the snapshot      ─▶ clone of the volume
 *     ─▶ full backup ─▶ bytes changed ─▶ incremental backup
 *     ─▶ the source and its snapshot deleted ─▶ both backups restored to new volumes
 *
 * Every copy is compared with the state it was taken from. A second host runs two file
 * backends (`enabled_backends = file,fast`):
 *
 *   random bytes in a volume on `file` ─▶ retype with migration (on-demand) to `fast`
 *     ─▶ upload to an image (os-volume_upload_image, raw) ─▶ a volume on `file` from
 *     that image ─▶ os-migrate_volume of it to `fast`
 *
 * each compared by sha256 with the bytes first written (the image by its os_hash_value,
 * sha512, against the volume's file: it is not downloaded whole into memory).
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../../image/module.js'
import { FileDriver } from '../files/file-driver.js'
import { volumeModule } from '../module.js'
import { ADMIN, MEMBER, serviceTokenModule, type TestHost, V, waitFor } from './harness.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** sha256 of a whole file, or of a buffer followed by zeros up to `length`. */
async function fileSha(path: string, algorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm)
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

function paddedSha(data: Buffer, length: number): string {
  const hash = createHash('sha256').update(data)
  const zeros = Buffer.alloc(4 * MiB)
  for (let left = length - data.length; left > 0; left -= zeros.length)
    hash.update(left >= zeros.length ? zeros : zeros.subarray(0, left))
  return hash.digest('hex')
}

/** Random bytes at a few unaligned offsets, as a guest would write them. */
async function scribble(path: string, offsets: readonly number[]): Promise<void> {
  const fh = await open(path, 'r+')
  try {
    for (const offset of offsets) await fh.write(randomBytes(MiB + 77), 0, MiB + 77, offset)
  } finally {
    await fh.close()
  }
}

describe('data integrity through every copy', { timeout: 600_000 }, () => {
  let t: TestHost
  const file = (kind: 'volume' | 'snapshot', id: string) =>
    join(t.dataDir, 'volume', 'volumes', `${kind}-${id}`)
  const slow = 300_000

  before(async () => {
    t = await startTestHost({
      modules: [imageModule, volumeModule],
      config: { DEFAULT: { quota_volumes: 50, quota_gigabytes: 500, quota_snapshots: 20 } },
    })
  })
  after(async () => {
    await t?.close()
  })

  const createVolume = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', `${V}/volumes`, { as: MEMBER, body: { volume: { size: 1, ...body } } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    return String((await waitFor(t, 'volumes', r.body.volume.id, 'available', MEMBER, slow)).id)
  }
  const backup = async (volumeId: string, incremental: boolean) => {
    const r = await t.call('POST', `${V}/backups`, {
      as: MEMBER,
      body: { backup: { volume_id: volumeId, incremental } },
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = String(r.body.backup.id)
    const deadline = Date.now() + slow
    for (;;) {
      const b = await t.call('GET', `${V}/backups/${id}`, { as: MEMBER })
      if (b.body.backup.status === 'available') break
      assert.notEqual(b.body.backup.status, 'error', JSON.stringify(b.body))
      assert.ok(Date.now() < deadline, `backup ${id} did not finish`)
      await new Promise((res) => setTimeout(res, 50))
    }
    await waitFor(t, 'volumes', volumeId, 'available', MEMBER, slow)
    return id
  }
  const restore = async (backupId: string) => {
    const r = await t.call('POST', `${V}/backups/${backupId}/restore`, { as: MEMBER, body: { restore: {} } })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = String(r.body.restore.volume_id)
    await waitFor(t, 'volumes', id, 'available', MEMBER, slow)
    return id
  }

  it('keeps every byte through image, snapshot, clone, backups and restores after the source is gone', async () => {
    // An image of 9 MiB and a bit: random bytes with a run of zeros in the middle (a
    // hole once it is in a volume).
    const image = Buffer.concat([randomBytes(4 * MiB + 5), Buffer.alloc(2 * MiB), randomBytes(3 * MiB + 11)])
    const created = await t.call('POST', '/image/v2/images', {
      as: MEMBER,
      body: { name: 'integrity', disk_format: 'raw', container_format: 'bare' },
    })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const imageId = String(created.body.id)
    const put = await t.host.app.inject({
      method: 'PUT',
      url: `/image/v2/images/${imageId}/file`,
      headers: { 'x-auth-token': MEMBER, 'content-type': 'application/octet-stream' },
      payload: image,
    })
    assert.equal(put.statusCode, 204, put.body)

    const CASES: { name: string; id: string; kind: 'volume' | 'snapshot'; expect: string }[] = []
    const check = async () => {
      for (const c of CASES) {
        assert.equal((await stat(file(c.kind, c.id))).size, GiB, c.name)
        assert.equal(await fileSha(file(c.kind, c.id)), c.expect, `${c.name}: bytes differ`)
      }
    }

    // create-from-image: the image's bytes, then zeros to the volume's size
    const fromImage = await createVolume({ imageRef: imageId, name: 'from-image' })
    CASES.push({ name: 'create-from-image', id: fromImage, kind: 'volume', expect: paddedSha(image, GiB) })
    await check()

    // the guest writes; its volume is the source of every copy below
    await scribble(file('volume', fromImage), [0, 5 * MiB + 3, 700 * MiB + 1, GiB - MiB - 77])
    const first = await fileSha(file('volume', fromImage))
    CASES[0]!.expect = first

    const snap = await t.call('POST', `${V}/snapshots`, {
      as: MEMBER,
      body: { snapshot: { volume_id: fromImage } },
    })
    assert.equal(snap.status, 202, JSON.stringify(snap.body))
    const snapId = String(snap.body.snapshot.id)
    await waitFor(t, 'snapshots', snapId, 'available', MEMBER, slow)
    CASES.push({ name: 'snapshot', id: snapId, kind: 'snapshot', expect: first })
    CASES.push({
      name: 'create-from-snapshot',
      id: await createVolume({ snapshot_id: snapId }),
      kind: 'volume',
      expect: first,
    })
    CASES.push({
      name: 'clone',
      id: await createVolume({ source_volid: fromImage }),
      kind: 'volume',
      expect: first,
    })
    await check()

    const full = await backup(fromImage, false)
    // some bytes change; the incremental holds them
    await scribble(file('volume', fromImage), [300 * MiB + 9])
    const second = await fileSha(file('volume', fromImage))
    assert.notEqual(second, first)
    const incremental = await backup(fromImage, true)
    const inc = await t.call('GET', `${V}/backups/${incremental}`, { as: MEMBER })
    assert.equal(inc.body.backup.is_incremental, true)

    // the source and its snapshot go before anything is restored
    CASES.splice(0, 2)
    const del = await t.call('DELETE', `${V}/volumes/${fromImage}?cascade=true`, { as: MEMBER })
    assert.equal(del.status, 202, JSON.stringify(del.body))
    await waitFor(t, 'volumes', fromImage, 'deleted', ADMIN, slow)

    CASES.push({ name: 'restore of the full backup', id: await restore(full), kind: 'volume', expect: first })
    CASES.push({
      name: 'restore of the incremental backup',
      id: await restore(incremental),
      kind: 'volume',
      expect: second,
    })
    await check()

    // the image the first volume came from is untouched
    const got = await t.host.app.inject({
      method: 'GET',
      url: `/image/v2/images/${imageId}/file`,
      headers: { 'x-auth-token': MEMBER },
    })
    assert.equal(got.statusCode, 200)
    assert.equal(
      createHash('sha256').update(got.rawPayload).digest('hex'),
      createHash('sha256').update(image).digest('hex'),
    )
  })

  it('streams into a volume: zeros stay holes, data longer than the volume leaves nothing', async () => {
    const driver = new FileDriver(join(t.dataDir, 'driver-only'))
    await driver.start()
    const data = [randomBytes(3 * MiB + 1), Buffer.alloc(8 * MiB), randomBytes(5)]
    await driver.createWith('a', Readable.from(data), 1)
    const st = await stat(driver.volumePath('a'))
    assert.equal(st.size, GiB)
    assert.ok(st.blocks * 512 < 8 * MiB, `zeros were written: ${st.blocks * 512} bytes allocated`)
    assert.equal(await fileSha(driver.volumePath('a')), paddedSha(Buffer.concat(data), GiB))
    const tooLong = async function* () {
      for (let i = 0; i < 260; i++) yield Buffer.alloc(4 * MiB, 1)
    }
    await assert.rejects(driver.createWith('b', tooLong(), 1), /larger than the volume/)
    assert.deepEqual(await readdir(driver.dir), ['volume-a'])
  })
})

describe('data integrity through moves between backends and through images', { timeout: 600_000 }, () => {
  let t: TestHost
  const slow = 300_000
  const dirs = () => ({
    file: join(t.dataDir, 'volume', 'volumes'),
    fast: join(t.dataDir, 'volume', 'volumes-fast'),
  })
  const path = (backend: 'file' | 'fast', id: string) => join(dirs()[backend], `volume-${id}`)

  before(async () => {
    t = await startTestHost({
      modules: [serviceTokenModule, imageModule, volumeModule],
      config: { DEFAULT: { enabled_backends: 'file,fast' } },
    })
    for (const backend of ['file', 'fast'])
      assert.equal(
        (
          await t.call('POST', `${V}/types`, {
            as: ADMIN,
            body: { volume_type: { name: `on-${backend}`, extra_specs: { volume_backend_name: backend } } },
          })
        ).status,
        200,
      )
  })
  after(async () => {
    await t?.close()
  })

  const show = async (id: string) => (await t.call('GET', `${V}/volumes/${id}`, { as: ADMIN })).body.volume
  const moved = async (id: string) => {
    const deadline = Date.now() + slow
    for (;;) {
      const v = await show(id)
      if (v.status === 'available' && v['os-vol-mig-status-attr:migstat'] === 'success') return v
      assert.notEqual(v['os-vol-mig-status-attr:migstat'], 'error', JSON.stringify(v))
      assert.ok(Date.now() < deadline, `volume ${id} did not move: ${JSON.stringify(v)}`)
      await new Promise((res) => setTimeout(res, 50))
    }
  }

  it('keeps every byte through retype with migration, upload-to-image, create-from-image and migrate', async () => {
    const r = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, volume_type: 'on-file', name: 'mover' } },
    })
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const id = String(r.body.volume.id)
    await waitFor(t, 'volumes', id, 'available', MEMBER, slow)
    await scribble(path('file', id), [0, 5 * MiB + 3, 700 * MiB + 1, GiB - MiB - 77])
    const written = await fileSha(path('file', id))

    // retype with migration: the bytes move to the other backend's directory
    const retype = await t.call('POST', `${V}/volumes/${id}/action`, {
      as: MEMBER,
      body: { 'os-retype': { new_type: 'on-fast', migration_policy: 'on-demand' } },
    })
    assert.equal(retype.status, 202, JSON.stringify(retype.body))
    const v = await moved(id)
    assert.equal(v.volume_type, 'on-fast')
    assert.match(v['os-vol-host-attr:host'], /@fast#fast$/)
    assert.equal(await fileSha(path('fast', id)), written, 'retype with migration: bytes differ')
    assert.deepEqual(
      (await readdir(dirs().file)).filter((f) => f.includes(id)),
      [],
      'the source file was left behind',
    )

    // upload to an image: the image holds the volume's bytes (its sha512 is the file's)
    const up = await t.call('POST', `${V}/volumes/${id}/action`, {
      as: MEMBER,
      body: {
        'os-volume_upload_image': { image_name: 'moved', disk_format: 'raw', container_format: 'bare' },
      },
    })
    assert.equal(up.status, 202, JSON.stringify(up.body))
    const imageId = String(up.body['os-volume_upload_image'].image_id)
    let image: Record<string, unknown> = {}
    for (const deadline = Date.now() + slow; image.status !== 'active'; ) {
      image = (await t.call('GET', `/image/v2/images/${imageId}`, { as: MEMBER })).body
      assert.ok(Date.now() < deadline && image.status !== 'killed', JSON.stringify(image))
      await new Promise((res) => setTimeout(res, 50))
    }
    assert.equal(image.size, GiB)
    assert.equal(image.os_hash_algo, 'sha512')
    assert.equal(
      image.os_hash_value,
      await fileSha(path('fast', id), 'sha512'),
      'upload-to-image: bytes differ',
    )
    await waitFor(t, 'volumes', id, 'available', MEMBER, slow)

    // create-from-image on the other backend: the same bytes again
    const c = await t.call('POST', `${V}/volumes`, {
      as: MEMBER,
      body: { volume: { size: 1, imageRef: imageId, volume_type: 'on-file' } },
    })
    assert.equal(c.status, 202, JSON.stringify(c.body))
    const copy = String(c.body.volume.id)
    await waitFor(t, 'volumes', copy, 'available', MEMBER, slow)
    assert.match((await show(copy))['os-vol-host-attr:host'], /@file#file$/)
    assert.equal(await fileSha(path('file', copy)), written, 'create-from-image: bytes differ')

    // and os-migrate_volume of that copy to the other backend's host
    const host = String((await show(copy))['os-vol-host-attr:host']).replace(/@file#file$/, '@fast#fast')
    const m = await t.call('POST', `${V}/volumes/${copy}/action`, {
      as: ADMIN,
      body: { 'os-migrate_volume': { host } },
    })
    assert.equal(m.status, 202, JSON.stringify(m.body))
    assert.equal((await moved(copy))['os-vol-host-attr:host'], host)
    assert.equal(await fileSha(path('fast', copy)), written, 'migrate: bytes differ')
    assert.equal(await fileSha(path('fast', id)), written, 'the uploaded volume changed')
  })
})
