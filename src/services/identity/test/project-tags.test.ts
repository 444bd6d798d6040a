/**
 * Project tags as Keystone checks them: a list with a repeated tag is a 400 (on create,
 * update and PUT .../tags) and changes nothing; more than 80 tags is a 400.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
})
after(async () => h?.close())

describe('project tags', () => {
  it('refuses a repeated tag in a list, and keeps the old tags', async () => {
    const p = await h.call('POST', '/v3/projects', { project: { name: 'tagged', tags: ['a'] } })
    assert.equal(p.status, 201)
    const id = p.json.project.id
    const put = await h.call('PUT', `/v3/projects/${id}/tags`, { tags: ['b', 'b'] })
    assert.equal(put.status, 400, JSON.stringify(put.json))
    assert.match(put.json.error.message, /non-unique/)
    const patch = await h.call('PATCH', `/v3/projects/${id}`, { project: { tags: ['c', 'c'] } })
    assert.equal(patch.status, 400)
    assert.deepEqual((await h.call('GET', `/v3/projects/${id}/tags`)).json.tags, ['a'])
    const create = await h.call('POST', '/v3/projects', { project: { name: 'twice', tags: ['x', 'x'] } })
    assert.equal(create.status, 400)
    assert.equal((await h.call('GET', '/v3/projects?name=twice')).json.projects.length, 0)
  })

  it('refuses more than 80 tags', async () => {
    const p = await h.call('POST', '/v3/projects', { project: { name: 'many' } })
    const tags = Array.from({ length: 81 }, (_, i) => `t${i}`)
    const put = await h.call('PUT', `/v3/projects/${p.json.project.id}/tags`, { tags })
    assert.equal(put.status, 400)
    assert.deepEqual((await h.call('GET', `/v3/projects/${p.json.project.id}/tags`)).json.tags, [])
  })

  it('refuses a tag the project already has (PUT .../tags/t1 twice), as upstream', async () => {
    const p = await h.call('POST', '/v3/projects', { project: { name: 'once' } })
    const url = `/v3/projects/${p.json.project.id}/tags/t1`
    assert.equal((await h.call('PUT', url)).status, 201)
    const again = await h.call('PUT', url)
    assert.equal(again.status, 400)
    assert.match(again.json.error.message, /non-unique/)
    assert.deepEqual((await h.call('GET', `/v3/projects/${p.json.project.id}/tags`)).json.tags, ['t1'])
  })
})
