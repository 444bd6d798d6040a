/**
 * The image-cache API (/v2/cache): admin-only, 404 when no image_cache_dir is set,
 * queue -> verified background copy -> cached; downloads served from the copy; entries
 * removed one by one, by target, and with their image; a queued image survives a restart.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { call, createImage, type Harness, startHarness, upload } from './harness.js'

describe('image cache API', () => {
  let h: Harness
  let cacheDir: string
  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'cloudlet-image-cache-'))
    h = await startHarness({ config: { DEFAULT: { image_cache_dir: cacheDir } } })
  })
  after(async () => {
    await h.close()
    rmSync(cacheDir, { recursive: true, force: true })
  })

  const activeImage = async (data: Buffer) => {
    const id = await createImage(h, 'alice')
    assert.equal((await upload(h, 'alice', id, data)).status, 204)
    return id
  }

  it('is admin only', async () => {
    assert.equal((await call(h, 'alice', 'GET', '/v2/cache')).status, 403)
    assert.equal((await call(h, 'alice', 'DELETE', '/v2/cache')).status, 403)
    const id = await activeImage(Buffer.from('x'))
    assert.equal((await call(h, 'alice', 'PUT', `/v2/cache/${id}`)).status, 403)
  })

  it('queues, copies, lists and serves an image; removal and clear targets', async () => {
    assert.equal((await call(h, 'admin', 'PUT', '/v2/cache/non-existing-image-id')).status, 404)
    const queued = await createImage(h, 'alice')
    assert.equal((await call(h, 'admin', 'PUT', `/v2/cache/${queued}`)).status, 400)

    const data = Buffer.alloc(300_000, 3)
    const id = await activeImage(data)
    assert.equal((await call(h, 'admin', 'PUT', `/v2/cache/${id}`)).status, 202)
    await h.image.imageCache!.settle()
    const l = await call(h, 'admin', 'GET', '/v2/cache')
    assert.equal(l.status, 200)
    assert.deepEqual(l.json.queued_images, [])
    const entry = l.json.cached_images.find((c: { image_id: string }) => c.image_id === id)
    assert.equal(entry.size, data.length)
    assert.equal(entry.hits, 0)

    const got = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
    assert.equal(got.status, 200)
    assert.ok(got.raw.equals(data))
    const ranged = await call(h, 'alice', 'GET', `/v2/images/${id}/file`, undefined, { range: 'bytes=10-19' })
    assert.equal(ranged.status, 206)
    assert.equal(ranged.raw.length, 10)
    const after2 = (await call(h, 'admin', 'GET', '/v2/cache')).json.cached_images.find(
      (c: { image_id: string }) => c.image_id === id,
    )
    assert.equal(after2.hits, 2)

    assert.equal(
      (await call(h, 'admin', 'DELETE', '/v2/cache', undefined, { 'x-image-cache-clear-target': 'invalid' }))
        .status,
      400,
    )
    assert.equal(
      (await call(h, 'admin', 'DELETE', '/v2/cache', undefined, { 'x-image-cache-clear-target': 'queue' }))
        .status,
      204,
    )
    assert.equal((await call(h, 'admin', 'GET', '/v2/cache')).json.cached_images.length, 1)
    assert.equal((await call(h, 'admin', 'DELETE', `/v2/cache/${id}`)).status, 204)
    assert.equal((await call(h, 'admin', 'GET', '/v2/cache')).json.cached_images.length, 0)
    assert.equal((await call(h, 'admin', 'DELETE', `/v2/cache/${id}`)).status, 204)
    assert.equal(
      (await call(h, 'admin', 'DELETE', '/v2/cache/00000000-0000-4000-8000-000000000000')).status,
      404,
    )

    await call(h, 'admin', 'PUT', `/v2/cache/${id}`)
    await h.image.imageCache!.settle()
    assert.ok(existsSync(join(cacheDir, id)))
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 204)
    assert.ok(!existsSync(join(cacheDir, id)), 'deleting the image removes its cached copy')
    assert.equal((await call(h, 'admin', 'DELETE', '/v2/cache')).status, 204)
  })

  it('never caches data that does not match the image hash', async () => {
    const data = Buffer.alloc(50_000, 9)
    const id = await activeImage(data)
    // Corrupt the store's copy behind the service's back.
    const image = await h.repo().get(id)
    writeFileSync(new URL(image!.location!), Buffer.alloc(50_000, 8))
    await call(h, 'admin', 'PUT', `/v2/cache/${id}`)
    await h.image.imageCache!.settle()
    const l = (await call(h, 'admin', 'GET', '/v2/cache')).json
    assert.ok(!l.cached_images.some((c: { image_id: string }) => c.image_id === id))
    assert.ok(!l.queued_images.includes(id))
    assert.equal(createHash('sha512').update(data).digest('hex'), image!.os_hash_value)
  })

  it('resumes the queue after a restart', async () => {
    const id = await activeImage(Buffer.alloc(1000, 1))
    writeFileSync(join(cacheDir, 'queue', id), '')
    const again = await h.restart()
    await again.imageCache!.settle()
    assert.ok(existsSync(join(cacheDir, id)))
    assert.ok(!existsSync(join(cacheDir, 'queue', id)))
  })
})

describe('image cache API disabled', () => {
  it('answers 404 to admins and 403 to others', async () => {
    const h = await startHarness()
    try {
      assert.equal((await call(h, 'admin', 'GET', '/v2/cache')).status, 404)
      assert.equal((await call(h, 'alice', 'GET', '/v2/cache')).status, 403)
    } finally {
      await h.close()
    }
  })
})

describe('image cache pruner', () => {
  it('keeps the cache within image_cache_max_size, least recently used copies first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudlet-image-cache-'))
    const h = await startHarness({
      config: { DEFAULT: { image_cache_dir: dir, image_cache_max_size: 500_000 } },
    })
    try {
      const cached = async () =>
        (await call(h, 'admin', 'GET', '/v2/cache')).json.cached_images.map(
          (c: { image_id: string }) => c.image_id,
        )
      const ids: string[] = []
      for (let i = 0; i < 3; i++) {
        const id = await createImage(h, 'alice')
        assert.equal((await upload(h, 'alice', id, Buffer.alloc(200_000, i))).status, 204)
        assert.equal((await call(h, 'admin', 'PUT', `/v2/cache/${id}`)).status, 202)
        await h.image.imageCache!.settle()
        ids.push(id)
        // The first copy is read after the second is made: it becomes the most recent.
        if (i === 1) assert.equal((await call(h, 'alice', 'GET', `/v2/images/${ids[0]}/file`)).status, 200)
      }
      const left = await cached()
      assert.equal(left.length, 2)
      assert.ok(left.includes(ids[0]) && left.includes(ids[2]), `kept ${left}`)
      assert.ok(!existsSync(join(dir, ids[1]!)))
    } finally {
      await h.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
