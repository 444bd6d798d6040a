import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { call, createImage, type Harness, startHarness, upload } from './harness.js'

describe('image smoke', () => {
  let h: Harness
  before(async () => {
    h = await startHarness()
  })
  after(async () => h.close())

  it('creates, uploads, downloads', async () => {
    const id = await createImage(h, 'alice', { name: 'a' })
    const data = Buffer.from('hello world'.repeat(100))
    const up = await upload(h, 'alice', id, data)
    assert.equal(up.status, 204, JSON.stringify(up.json))
    const show = await call(h, 'alice', 'GET', `/v2/images/${id}`)
    assert.equal(show.json.status, 'active')
    assert.equal(show.json.checksum, createHash('md5').update(data).digest('hex'))
    const dl = await call(h, 'alice', 'GET', `/v2/images/${id}/file`)
    assert.equal(dl.status, 200)
    assert.deepEqual(dl.raw, data)
  })
})
