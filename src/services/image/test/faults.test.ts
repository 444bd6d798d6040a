/**
 * Faults, over real sockets where the fault is on the wire: an upload cut off
 * mid-stream, a client that lies about its size, two concurrent uploads to one image, a
 * full disk, a restart during an upload and a crash between rename and commit. After
 * each: every active image's data matches its os_hash_value, nothing is stuck in
 * `saving`, and no orphan file remains.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, enabledDialects } from '../../../kernel/db/testing.js'
import { openDataFile } from '../files/data-file.js'
import { call, createImage, type Harness, startHarness, upload } from './harness.js'

const sockets = new Set<ReturnType<typeof connect>>()

/** Sends a raw HTTP request and returns the status line's code (or 'closed'). */
function rawPut(
  port: number,
  path: string,
  headers: Record<string, string | number>,
  chunks: Buffer[],
  opts: { end: 'close' | 'wait'; pauseMs?: number },
) {
  const sock = connect(port, '127.0.0.1')
  sockets.add(sock)
  return new Promise<{ status: number | 'closed'; sock: ReturnType<typeof connect> }>((resolve) => {
    let buf = ''
    sock.on('data', (d) => {
      buf += d.toString()
      const m = /^HTTP\/1\.1 (\d+)/.exec(buf)
      if (m) resolve({ status: Number(m[1]), sock })
    })
    sock.on('close', () => resolve({ status: 'closed', sock }))
    sock.on('error', () => {})
    const head = [
      `PUT ${path} HTTP/1.1`,
      'host: localhost',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n')
    sock.write(head)
    ;(async () => {
      for (const c of chunks) {
        sock.write(c)
        await new Promise((r) => setTimeout(r, opts.pauseMs ?? 5))
      }
      if (opts.end === 'close') sock.destroy()
    })()
  })
}

/** The invariants every fault must leave intact. */
async function assertConsistent(h: Harness) {
  const rows = await h.db.selectFrom('images').selectAll().where('deleted', '=', 0).execute()
  const storeDir = h.image.stores.default.dir
  const live = new Set<string>()
  for (const r of rows) {
    assert.notEqual(r.status, 'saving', `image ${r.id} stuck in saving`)
    if (r.status === 'active') {
      assert.ok(r.location, `active image ${r.id} has a location`)
      const data = readFileSync(fileURLToPath(r.location!))
      assert.equal(
        createHash('sha512').update(data).digest('hex'),
        r.os_hash_value,
        `data of ${r.id} matches os_hash_value`,
      )
      assert.equal(data.length, Number(r.size))
    }
    if (r.location) live.add(fileURLToPath(r.location))
  }
  for (const f of readdirSync(storeDir)) {
    if (f === '.tmp') continue
    assert.ok(live.has(join(storeDir, f)), `orphan file ${f}`)
  }
  assert.deepEqual(readdirSync(join(storeDir, '.tmp')), [], 'no temp file left behind')
}

const waitFor = async (pred: () => Promise<boolean>, ms = 3000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await pred()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('condition not reached')
}

describe('image data faults', () => {
  let h: Harness
  let port: number
  before(async () => {
    h = await startHarness()
    await h.app.listen({ port: 0, host: '127.0.0.1' })
    port = (h.app.server.address() as { port: number }).port
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await h.close()
  })

  const status = async (id: string) => (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json.status
  const tmpFiles = () => readdirSync(join(h.image.stores.default.dir, '.tmp'))

  it('an upload cut off mid-stream leaves the image queued, no data, no temp file', async () => {
    const id = await createImage(h, 'alice')
    await rawPut(
      port,
      `/image/v2/images/${id}/file`,
      { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      [Buffer.from('10000\r\n'), Buffer.alloc(30000, 1)],
      { end: 'close' },
    )
    await waitFor(async () => (await status(id)) === 'queued' && tmpFiles().length === 0)
    assert.equal((await call(h, 'alice', 'GET', `/v2/images/${id}/file`)).status, 204)
    await assertConsistent(h)
    // The image can be uploaded again afterwards.
    assert.equal((await upload(h, 'alice', id, Buffer.from('retry'))).status, 204)
    await assertConsistent(h)
  })

  it('a client announcing more bytes than it sends never makes an active image', async () => {
    const id = await createImage(h, 'alice')
    await rawPut(
      port,
      `/image/v2/images/${id}/file`,
      { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream', 'content-length': 100000 },
      [Buffer.alloc(50000, 2)],
      { end: 'close' },
    )
    await waitFor(async () => (await status(id)) === 'queued' && tmpFiles().length === 0)
    await assertConsistent(h)
  })

  it('two concurrent uploads to one image: one wins, the other gets 409', async () => {
    const id = await createImage(h, 'alice')
    const data = Buffer.alloc(200_000, 3)
    const slow = rawPut(
      port,
      `/image/v2/images/${id}/file`,
      { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream', 'content-length': data.length },
      [data.subarray(0, 100_000), data.subarray(100_000)],
      { end: 'wait', pauseMs: 200 },
    )
    await waitFor(async () => (await status(id)) === 'saving')
    const second = await upload(h, 'alice', id, Buffer.alloc(10, 9))
    assert.equal(second.status, 409)
    const first = await slow
    first.sock.destroy()
    assert.equal(first.status, 204)
    const img = (await call(h, 'alice', 'GET', `/v2/images/${id}`)).json
    assert.equal(img.size, data.length)
    assert.equal(img.os_hash_value, createHash('sha512').update(data).digest('hex'))
    await assertConsistent(h)
  })

  it('deleting an image while it uploads leaves no data behind', async () => {
    const id = await createImage(h, 'alice')
    const pending = rawPut(
      port,
      `/image/v2/images/${id}/file`,
      { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream', 'content-length': 20_000 },
      [Buffer.alloc(10_000), Buffer.alloc(10_000)],
      { end: 'wait', pauseMs: 200 },
    )
    await waitFor(async () => (await status(id)) === 'saving')
    assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${id}`)).status, 204)
    const r = await pending
    r.sock.destroy()
    assert.equal(r.status, 409)
    await waitFor(async () => tmpFiles().length === 0)
    await assertConsistent(h)
  })

  it('a full disk: 413, image back to queued, nothing written', async () => {
    const full = await startHarness({
      hooks: {
        // A disk that takes the first 1000 bytes and then is full; the real file is
        // created, so the test also sees that the failed upload removes it.
        storeFile: async (path) => {
          const real = await openDataFile(path)
          let n = 0
          return {
            direct: real.direct,
            alignIn: (ring) => real.alignIn(ring),
            async write(data, position) {
              n += data.length
              if (n > 1000) {
                const err = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException
                err.code = 'ENOSPC'
                throw err
              }
              await real.write(data, position)
            },
            finish: (size) => real.finish(size),
            close: () => real.close(),
          }
        },
      },
    })
    try {
      const id = await createImage(full, 'alice')
      const r = await upload(full, 'alice', id, Buffer.alloc(5000))
      assert.equal(r.status, 413)
      assert.match(r.json.message, /storage media is full/)
      assert.equal((await call(full, 'alice', 'GET', `/v2/images/${id}`)).json.status, 'queued')
      await assertConsistent(full)
    } finally {
      await full.close()
    }
  })

  it('a restart during an upload: recovery puts the image back to queued and removes its data', async () => {
    const id = await createImage(h, 'alice')
    const pending = rawPut(
      port,
      `/image/v2/images/${id}/file`,
      { 'x-auth-token': 'alice', 'content-type': 'application/octet-stream', 'content-length': 50_000 },
      [Buffer.alloc(20_000, 5)],
      { end: 'wait' },
    )
    await waitFor(async () => (await status(id)) === 'saving' && tmpFiles().length === 1)
    // The "new process" starts on the same database and data directory.
    const again = await h.restart()
    assert.ok(again.recovered.reset.includes(id))
    assert.equal((await h.repo().get(id))?.status, 'queued')
    void pending
    for (const s of sockets) s.destroy()
    await assertConsistent(h)
  })

  it('a crash between rename and commit: the file is removed, the image is queued', async () => {
    const id = await createImage(h, 'alice')
    await h.db
      .updateTable('images')
      .set({ status: 'saving', upload_token: 'dead' })
      .where('id', '=', id)
      .execute()
    writeFileSync(join(h.image.stores.default.dir, id), 'half')
    writeFileSync(join(h.image.stores.default.dir, '.tmp', `${id}.dead`), 'partial')
    writeFileSync(join(h.image.stores.default.dir, 'stray-file'), 'orphan')
    const again = await h.restart()
    assert.ok(again.recovered.reset.includes(id))
    assert.equal((await h.repo().get(id))?.status, 'queued')
    assert.equal(tmpFiles().length, 0)
    await assertConsistent(h)
  })
})

describe('image storage on every dialect', () => {
  for (const dialect of enabledDialects()) {
    it(`${dialect}: create, list, patch, upload, quota, delete`, async () => {
      const tdb = await createTestDatabase(dialect)
      const h = await startHarness({
        connection: tdb.connection,
        config: { image_quota: { image_count_total: 3 } },
      })
      try {
        const a = await createImage(h, 'alice', { name: 'a', tags: ['t'], k: 'v' })
        const b = await createImage(h, 'alice', { name: 'b' })
        await createImage(h, 'alice', { name: 'c' })
        assert.equal((await call(h, 'alice', 'POST', '/v2/images', {})).status, 413)
        const data = Buffer.alloc(70_000, 7)
        assert.equal((await upload(h, 'alice', a, data)).status, 204)
        const r = await call(h, 'alice', 'GET', '/v2/images?sort=size:desc&tag=t&k=v')
        assert.deepEqual(
          r.json.images.map((i: { id: string }) => i.id),
          [a],
        )
        assert.equal(r.json.images[0].size, 70_000)
        const page1 = await call(h, 'alice', 'GET', '/v2/images?sort=name:asc&limit=1')
        const page2 = await call(h, 'alice', 'GET', page1.json.next)
        assert.equal(page2.json.images[0].id, b)
        await call(h, 'alice', 'POST', `/v2/images/${b}/members`, { member: 'p-bob' })
        await call(h, 'bob', 'PUT', `/v2/images/${b}/members/p-bob`, { status: 'accepted' })
        assert.ok(
          (await call(h, 'bob', 'GET', '/v2/images')).json.images.some((i: { id: string }) => i.id === b),
        )
        assert.equal((await call(h, 'alice', 'DELETE', `/v2/images/${a}`)).status, 204)
        assert.equal((await call(h, 'alice', 'POST', '/v2/images', {})).status, 201)
        await assertConsistent(h)
      } finally {
        await h.close()
        await tdb.drop()
      }
    })
  }
})
