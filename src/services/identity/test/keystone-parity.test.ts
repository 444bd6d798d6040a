/**
 * Small Keystone behaviours clients meet, each checked against upstream: an EC2
 * credential for the default domain's project id.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
})
after(async () => h?.close())

describe('Keystone parity', () => {
  it('makes an EC2 credential for tenant_id "default", the domain that answers as a project', async () => {
    assert.equal((await h.call('GET', '/v3/projects/default')).status, 200)
    const users = (await h.call('GET', '/v3/users?name=admin')).json.users
    const ec2 = await h.call('POST', `/v3/users/${users[0].id}/credentials/OS-EC2`, { tenant_id: 'default' })
    assert.equal(ec2.status, 201, JSON.stringify(ec2.json))
    assert.equal(ec2.json.credential.tenant_id, 'default')
    const missing = await h.call('POST', `/v3/users/${users[0].id}/credentials/OS-EC2`, { tenant_id: 'nope' })
    assert.equal(missing.status, 404)
  })
})
