/**
 * Keystone's inexact list filters: `name__contains`, `__startswith`, `__endswith` match
 * case-sensitively, their `i` forms case-insensitively; an attribute the list does not
 * filter by is ignored, as upstream ignores it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
  for (const name of ['Alpha-one', 'alpha-two', 'beta-ONE'])
    assert.equal((await h.call('POST', '/v3/users', { user: { name } })).status, 201)
  for (const type of ['kv-store', 'KV-cache'])
    assert.equal((await h.call('POST', '/v3/services', { service: { type, name: type } })).status, 201)
})
after(async () => h?.close())

const names = async (url: string, key = 'users') => {
  const r = await h.call('GET', url)
  assert.equal(r.status, 200, JSON.stringify(r.json))
  return (r.json[key] as { name: string }[]).map((u) => u.name).sort()
}

describe('list filters with comparators', () => {
  it('contains, startswith and endswith are case-sensitive', async () => {
    assert.deepEqual(await names('/v3/users?name__contains=zzz'), [])
    assert.deepEqual(await names('/v3/users?name__contains=lpha'), ['Alpha-one', 'alpha-two'])
    assert.deepEqual(await names('/v3/users?name__startswith=alpha'), ['alpha-two'])
    assert.deepEqual(await names('/v3/users?name__endswith=one'), ['Alpha-one'])
  })

  it('the i-forms ignore case', async () => {
    assert.deepEqual(await names('/v3/users?name__istartswith=ALPHA'), ['Alpha-one', 'alpha-two'])
    assert.deepEqual(await names('/v3/users?name__iendswith=one'), ['Alpha-one', 'beta-ONE'])
    assert.deepEqual(await names('/v3/users?name__icontains=A-O'), ['Alpha-one', 'beta-ONE'])
  })

  it('combine with each other and apply to other lists and attributes', async () => {
    assert.deepEqual(await names('/v3/users?name__icontains=alpha&name__endswith=two'), ['alpha-two'])
    assert.deepEqual(await names('/v3/services?type__contains=kv', 'services'), ['kv-store'])
    assert.deepEqual(await names('/v3/services?type__icontains=kv', 'services'), ['KV-cache', 'kv-store'])
  })

  it('ignores comparators on attributes the list does not filter by, and unknown comparators', async () => {
    const all = await names('/v3/users')
    assert.deepEqual(await names('/v3/users?email__contains=zzz'), all)
    assert.deepEqual(await names('/v3/users?name__like=zzz'), all)
  })
})
