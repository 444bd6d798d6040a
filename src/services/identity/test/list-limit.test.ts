/**
 * `[DEFAULT] list_limit` and the per-section limits (`[identity]`, `[resource]`,
 * `[role]`, `[catalog]`, `[policy]`): a list longer than the limit is cut to it and the
 * body says `"truncated": true`, as Keystone's wrap_collection does; a list that fits
 * has no `truncated` key.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

const rnd = () => Math.random().toString(36).slice(2, 8)

describe('list_limit', () => {
  let h: ResourceHarness
  let plain: ResourceHarness
  let domain = ''
  before(async () => {
    ;[h, plain] = await Promise.all([
      startResourceHarness({ sections: { DEFAULT: { list_limit: 2 }, identity: { list_limit: 3 } } }),
      startResourceHarness(),
    ])
    for (const x of [h, plain]) {
      const d = await x.call('POST', '/v3/domains', { domain: { name: 'D' } })
      domain = d.json.domain.id
      for (let i = 0; i < 3; i++) {
        await x.call('POST', '/v3/users', { user: { name: `u${i}`, domain_id: domain } })
        await x.call('POST', '/v3/projects', { project: { name: `p${i}`, domain_id: domain } })
      }
    }
  })
  after(async () => Promise.all([h?.close(), plain?.close()]))

  const list = async (x: ResourceHarness, url: string, key: string) => {
    const r = await x.call('GET', url)
    assert.equal(r.status, 200, JSON.stringify(r.json))
    return { n: r.json[key].length as number, truncated: r.json.truncated as unknown }
  }

  it('[identity] list_limit wins over [DEFAULT] for users; a list that fits is not truncated', async () => {
    const d = (await h.call('GET', '/v3/domains?name=D')).json.domains[0].id
    assert.deepEqual(await list(h, `/v3/users?domain_id=${d}`, 'users'), { n: 3, truncated: undefined })
    await h.call('POST', '/v3/users', { user: { name: `u-${rnd()}`, domain_id: d } })
    assert.deepEqual(await list(h, `/v3/users?domain_id=${d}`, 'users'), { n: 3, truncated: true })
  })

  it('[DEFAULT] list_limit applies where the section sets none', async () => {
    const d = (await h.call('GET', '/v3/domains?name=D')).json.domains[0].id
    assert.deepEqual(await list(h, `/v3/projects?domain_id=${d}`, 'projects'), { n: 2, truncated: true })
    assert.deepEqual(await list(h, '/v3/roles', 'roles'), { n: 2, truncated: true })
    assert.deepEqual(await list(h, '/v3/regions', 'regions'), { n: 1, truncated: undefined })
    await h.call('POST', '/v3/regions', { region: { id: `r-${rnd()}` } })
    assert.deepEqual(await list(h, '/v3/regions', 'regions'), { n: 2, truncated: undefined })
    await h.call('POST', '/v3/regions', { region: { id: `r-${rnd()}` } })
    assert.deepEqual(await list(h, '/v3/regions', 'regions'), { n: 2, truncated: true })
  })

  it('no limit configured: whole lists, no truncated key', async () => {
    const d = (await plain.call('GET', '/v3/domains?name=D')).json.domains[0].id
    assert.deepEqual(await list(plain, `/v3/users?domain_id=${d}`, 'users'), { n: 3, truncated: undefined })
    assert.deepEqual(await list(plain, '/v3/roles', 'roles'), { n: 5, truncated: undefined })
  })
})
