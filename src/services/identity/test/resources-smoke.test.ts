/**
 * First end-to-end pass over the resource API through inject(): the admin's CRUD on
 * each resource, and the 4xx a bad request gets.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
})
after(async () => h?.close())

describe('identity resources smoke', () => {
  it('lists the bootstrap state', async () => {
    for (const [url, key] of [
      ['/v3/domains', 'domains'],
      ['/v3/projects', 'projects'],
      ['/v3/users', 'users'],
      ['/v3/roles', 'roles'],
      ['/v3/services', 'services'],
      ['/v3/endpoints', 'endpoints'],
      ['/v3/regions', 'regions'],
      ['/v3/role_assignments?include_names', 'role_assignments'],
    ] as const) {
      const r = await h.call('GET', url)
      assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.json)}`)
      assert.ok(r.json[key].length > 0, url)
    }
  })
})
