/**
 * Small Keystone behaviours clients meet, each checked against upstream: an EC2
 * credential for the default domain's project id; the policy checked before the lookup,
 * so a caller without permission cannot tell a missing id from a forbidden one.
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

  it('answers 403 alike for existing and missing ids to a caller the policy refuses, 404 to one it allows', async () => {
    const other = (await h.call('POST', '/v3/users', { user: { name: 'someone' } })).json.user
    const group = (await h.call('POST', '/v3/groups', { group: { name: 'some-group' } })).json.group
    const project = (await h.call('POST', '/v3/projects', { project: { name: 'some-project' } })).json.project
    const missing = 'f'.repeat(32)
    for (const [kind, id] of [
      ['users', other.id],
      ['groups', group.id],
      ['projects', project.id],
    ] as const) {
      const existing = await h.call('GET', `/v3/${kind}/${id}`, undefined, h.memberToken)
      const absent = await h.call('GET', `/v3/${kind}/${missing}`, undefined, h.memberToken)
      assert.equal(existing.status, 403, `${kind} existing`)
      assert.equal(absent.status, 403, `${kind} missing: ${JSON.stringify(absent.json)}`)
      assert.equal((await h.call('GET', `/v3/${kind}/${missing}`)).status, 404, `${kind} missing, as admin`)
    }
    const cred = await h.call('GET', `/v3/credentials/${missing}`, undefined, h.memberToken)
    assert.equal(cred.status, 403)
    assert.equal((await h.call('GET', `/v3/credentials/${missing}`)).status, 404)
  })

  it('an empty update: 404 for a missing domain (looked up first), 400 for a missing project (body first)', async () => {
    assert.equal((await h.call('PATCH', '/v3/domains/nope', { domain: {} })).status, 404)
    assert.equal((await h.call('PATCH', '/v3/projects/nope', { project: {} })).status, 400)
    assert.equal((await h.call('PATCH', '/v3/domains/default', { domain: {} })).status, 400)
    const renamed = await h.call('PATCH', '/v3/domains/default', { domain: { description: 'd' } })
    assert.equal(renamed.status, 200)
  })

  it('grants a domain-specific role on any domain, and on projects of its own domain only', async () => {
    const id = async (url: string, key: string, body: object) => {
      const r = await h.call('POST', url, { [key]: body })
      assert.equal(r.status, 201, JSON.stringify(r.json))
      return r.json[key].id as string
    }
    const a = await id('/v3/domains', 'domain', { name: 'dom-a' })
    const b = await id('/v3/domains', 'domain', { name: 'dom-b' })
    const role = await id('/v3/roles', 'role', { name: 'only-a', domain_id: a })
    const user = await id('/v3/users', 'user', { name: 'in-b', domain_id: b })
    const inA = await id('/v3/projects', 'project', { name: 'pa', domain_id: a })
    const inB = await id('/v3/projects', 'project', { name: 'pb', domain_id: b })
    assert.equal((await h.call('PUT', `/v3/domains/${b}/users/${user}/roles/${role}`)).status, 204)
    assert.equal((await h.call('PUT', `/v3/projects/${inA}/users/${user}/roles/${role}`)).status, 204)
    const refused = await h.call('PUT', `/v3/projects/${inB}/users/${user}/roles/${role}`)
    assert.equal(refused.status, 403)
    assert.equal(
      refused.json.error.message,
      `Project ${inB} must be in the same domain as the role ${role} being assigned.`,
    )
  })

  it('lets any token read the password rules of the default domain, and nothing else of it', async () => {
    const all = await h.call(
      'GET',
      '/v3/domains/default/config/security_compliance',
      undefined,
      h.memberToken,
    )
    assert.equal(all.status, 200, JSON.stringify(all.json))
    assert.deepEqual(all.json, {
      config: { security_compliance: { password_regex: null, password_regex_description: null } },
    })
    const one = await h.call(
      'GET',
      '/v3/domains/default/config/security_compliance/password_regex',
      undefined,
      h.memberToken,
    )
    assert.deepEqual(one.json, { config: { password_regex: null } })
    const other = await h.call('GET', '/v3/domains/default/config/security_compliance/lockout_duration')
    assert.equal(other.status, 403)
    const domain = (await h.call('POST', '/v3/domains', { domain: { name: 'not-default' } })).json.domain
    assert.equal((await h.call('GET', `/v3/domains/${domain.id}/config/security_compliance`)).status, 403)
  })
})
