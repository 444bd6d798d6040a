/**
 * What the persona matrix found between projects, as Nova answers it: a list of every
 * project's servers (`all_tenants`) asked for without the right is a 403, not a quiet
 * list of the caller's own; the instance actions of another project's server are a 404
 * to a caller that is no admin, as the server itself is (its existence is not told).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startServersCloud, type TestCloud, waitFor } from './cloud-harness.js'

const S = '/compute/v2.1/servers'

describe('servers across projects', () => {
  let c: TestCloud
  let id = ''
  let requestId = ''
  before(async () => {
    c = await startServersCloud({ hosts: [{ name: 'cmp-1' }] })
    const res = await c.t.call('POST', S, {
      as: 'project-member',
      version: '2.74',
      body: { server: { name: 'mine', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    id = res.body.server.id
    await waitFor(c.t, id, ['ACTIVE'])
    const actions = await c.t.call('GET', `${S}/${id}/os-instance-actions`, { as: 'project-member' })
    requestId = actions.body.instanceActions[0].request_id
  })
  after(() => c.close())

  for (const list of [S, `${S}/detail`]) {
    it(`GET ${list.replace('/compute/v2.1', '')}?all_tenants=1: 403 to a member, every project to an admin`, async () => {
      for (const as of ['project-member', 'project-reader', 'other-project-member']) {
        const r = await c.t.call('GET', `${list}?all_tenants=1`, { as })
        assert.equal(r.status, 403, `${as}: ${JSON.stringify(r.body)}`)
        assert.match(r.body.forbidden.message, /get_all_tenants/)
      }
      const admin = await c.t.call('GET', `${list}?all_tenants=1`, { as: 'project-admin' })
      assert.equal(admin.status, 200)
      assert.ok(admin.body.servers.some((s: { id: string }) => s.id === id))
      // A false value asks for nothing more: the caller's own list.
      const own = await c.t.call('GET', `${list}?all_tenants=0`, { as: 'project-member' })
      assert.equal(own.status, 200)
      assert.deepEqual(
        own.body.servers.map((s: { id: string }) => s.id),
        [id],
      )
    })
  }

  it("another project's server's instance actions are a 404 to a non-admin, readable by an admin", async () => {
    for (const url of [`${S}/${id}/os-instance-actions`, `${S}/${id}/os-instance-actions/${requestId}`]) {
      const other = await c.t.call('GET', url, { as: 'other-project-member' })
      assert.equal(other.status, 404, JSON.stringify(other.body))
      assert.equal(other.body.itemNotFound.message, `Instance ${id} could not be found.`)
      const admin = await c.t.call('GET', url, { as: 'project-admin' })
      assert.equal(admin.status, 200, JSON.stringify(admin.body))
      const own = await c.t.call('GET', url, { as: 'project-reader' })
      assert.equal(own.status, 200, JSON.stringify(own.body))
    }
  })
})
