/**
 * The image module on a real host (the kernel's test host, personas' tokens): the host
 * builds it from its module context alone, serves its routes at /image, and closes it
 * with an import and a cache fill in the background.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startTestHost } from '../../../kernel/testing/index.js'
import { imageModule } from '../module.js'

describe('image module on the host', () => {
  it('serves as personas, answers 405 from the table, and closes with work in the background', async () => {
    const t = await startTestHost({
      modules: [imageModule],
      config: { DEFAULT: { image_cache_dir: 'cache' } },
    })
    try {
      const create = await t.call('POST', '/image/v2/images', {
        as: 'project-member',
        body: { name: 'x', disk_format: 'raw', container_format: 'bare' },
      })
      assert.equal(create.status, 201)
      const id = create.body.id as string
      const octet = { 'content-type': 'application/octet-stream' }
      const put = await t.call('PUT', `/image/v2/images/${id}/file`, {
        as: 'project-member',
        body: 'data',
        headers: octet,
      })
      assert.equal(put.status, 204)
      const got = await t.call('GET', `/image/v2/images/${id}/file`, { as: 'project-member' })
      assert.equal(got.body, 'data')
      assert.equal(
        (await t.call('GET', `/image/v2/images/${id}`, { as: 'other-project-member' })).status,
        404,
      )
      const put405 = await t.call('PUT', '/image/v2/images', { as: 'project-member', body: {} })
      assert.equal(put405.status, 405)
      assert.equal(put405.headers.allow, 'POST, GET, HEAD')
      assert.equal((await t.call('PUT', `/image/v2/cache/${id}`, { as: 'project-admin' })).status, 202)
      const staged = await t.call('POST', '/image/v2/images', { as: 'project-member', body: {} })
      const sid = staged.body.id as string
      await t.call('PUT', `/image/v2/images/${sid}/stage`, {
        as: 'project-member',
        body: 'more',
        headers: octet,
      })
      const imported = await t.call('POST', `/image/v2/images/${sid}/import`, {
        as: 'project-member',
        body: { method: { name: 'glance-direct' } },
      })
      assert.equal(imported.status, 202)
    } finally {
      await t.close()
    }
  })
})
