/**
 * The resource API through inject(), as the openstack CLI and tempest use it: each
 * resource's lifecycle, the statuses upstream asserts, and the 4xx of bad requests.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness({ security: { unique_last_password_count: 2 } })
})
after(async () => h?.close())

const rnd = () => Math.random().toString(36).slice(2, 8)

describe('bad input gets Keystone-style 4xx', () => {
  const cases: Array<[string, string, string, unknown, number]> = [
    ['malformed JSON', 'POST', '/v3/projects', '{"project": ', 400],
    ['missing name', 'POST', '/v3/projects', { project: {} }, 400],
    ['wrong type', 'POST', '/v3/projects', { project: { name: 5 } }, 400],
    ['name over 64', 'POST', '/v3/domains', { domain: { name: 'x'.repeat(65) } }, 400],
    ['empty name', 'POST', '/v3/domains', { domain: { name: '' } }, 400],
    [
      'enabled as string',
      'POST',
      '/v3/endpoints',
      { endpoint: { service_id: 'x', interface: 'public', url: 'http://a', enabled: 'True' } },
      400,
    ],
    ['no wrapper', 'POST', '/v3/users', { name: 'x' }, 400],
    ['unknown project', 'GET', '/v3/projects/nope', undefined, 404],
    ['unknown user', 'DELETE', '/v3/users/nope', undefined, 404],
    ['unknown domain on user create', 'POST', '/v3/users', { user: { name: 'x', domain_id: 'nope' } }, 404],
    ['405 on collection', 'DELETE', '/v3/projects', undefined, 405],
  ]
  for (const [name, method, url, body, status] of cases) {
    it(`${name}: ${status}`, async () => {
      const r = await h.call(method, url, body)
      assert.equal(r.status, status, JSON.stringify(r.json))
      assert.equal(r.json.error.code, status)
      assert.equal(typeof r.json.error.message, 'string')
      assert.equal(typeof r.json.error.title, 'string')
    })
  }
  it('no token: 401 with WWW-Authenticate', async () => {
    const r = await h.call('GET', '/v3/users', undefined, null)
    assert.equal(r.status, 401)
    assert.ok(r.headers['www-authenticate'])
  })
  it('a member cannot create projects or list users: 403', async () => {
    assert.equal(
      (await h.call('POST', '/v3/projects', { project: { name: rnd() } }, h.memberToken)).status,
      403,
    )
    assert.equal((await h.call('GET', '/v3/users', undefined, h.memberToken)).status, 403)
  })
})

describe('domains and projects', () => {
  it('domain lifecycle: duplicate 409, delete enabled 403, disable then delete 204', async () => {
    const name = `d-${rnd()}`
    const c = await h.call('POST', '/v3/domains', { domain: { name, description: 'x' } })
    assert.equal(c.status, 201)
    const id = c.json.domain.id
    assert.equal((await h.call('POST', '/v3/domains', { domain: { name } })).status, 409)
    assert.equal((await h.call('DELETE', `/v3/domains/${id}`)).status, 403)
    const p = await h.call('POST', '/v3/projects', { project: { name: 'p', domain_id: id } })
    assert.equal(p.status, 201)
    assert.equal(
      (await h.call('PATCH', `/v3/domains/${id}`, { domain: { enabled: false } })).json.domain.enabled,
      false,
    )
    assert.equal((await h.call('DELETE', `/v3/domains/${id}`)).status, 204)
    assert.equal((await h.call('GET', `/v3/projects/${p.json.project.id}`)).status, 404)
    assert.equal((await h.call('GET', '/v3/domains/default')).json.domain.name, 'Default')
  })
  it('project hierarchy, filters and tags', async () => {
    const parent = (await h.call('POST', '/v3/projects', { project: { name: `p-${rnd()}`, tags: ['a'] } }))
      .json.project
    assert.equal(parent.parent_id, 'default')
    assert.equal(parent.domain_id, 'default')
    const child = await h.call('POST', '/v3/projects', {
      project: { name: `c-${rnd()}`, parent_id: parent.id },
    })
    assert.equal(child.status, 201)
    const listed = await h.call('GET', `/v3/projects?parent_id=${parent.id}`)
    assert.deepEqual(
      listed.json.projects.map((p: { id: string }) => p.id),
      [child.json.project.id],
    )
    const sub = await h.call('GET', `/v3/projects/${parent.id}?subtree_as_list`)
    assert.equal(sub.json.project.subtree.length, 1)
    assert.equal((await h.call('DELETE', `/v3/projects/${parent.id}`)).status, 403)
    assert.equal((await h.call('PUT', `/v3/projects/${parent.id}/tags/b`)).status, 201)
    assert.deepEqual((await h.call('GET', `/v3/projects/${parent.id}/tags`)).json.tags, ['a', 'b'])
    assert.equal((await h.call('GET', `/v3/projects?tags=a,b`)).json.projects.length, 1)
    const isDomain = await h.call('POST', '/v3/projects', {
      project: { name: `isd-${rnd()}`, is_domain: true },
    })
    assert.equal(isDomain.status, 201)
    const domains = (await h.call('GET', '/v3/domains')).json.domains.map((d: { id: string }) => d.id)
    assert.ok(domains.includes(isDomain.json.project.id))
  })
})

describe('users, groups, roles and assignments', () => {
  it('the CLI flow: user, group, role add, effective names, password change, disable', async () => {
    const project = (await h.call('POST', '/v3/projects', { project: { name: `p-${rnd()}` } })).json.project
    const uname = `u-${rnd()}`
    const user = (
      await h.call('POST', '/v3/users', { user: { name: uname, password: 'pw-one', email: 'a@b' } })
    ).json.user
    assert.equal(user.email, 'a@b')
    assert.equal('password' in user, false)
    const group = (await h.call('POST', '/v3/groups', { group: { name: `g-${rnd()}` } })).json.group
    assert.equal((await h.call('PUT', `/v3/groups/${group.id}/users/${user.id}`)).status, 204)
    assert.equal((await h.call('HEAD', `/v3/groups/${group.id}/users/${user.id}`)).status, 204)
    const roles = (await h.call('GET', '/v3/roles')).json.roles as Array<{ id: string; name: string }>
    const member = roles.find((r) => r.name === 'member')!
    assert.equal(
      (await h.call('PUT', `/v3/projects/${project.id}/groups/${group.id}/roles/${member.id}`)).status,
      204,
    )
    const eff = await h.call('GET', `/v3/role_assignments?effective&include_names&user.id=${user.id}`)
    const names = eff.json.role_assignments.map((a: { role: { name: string } }) => a.role.name).sort()
    assert.deepEqual(names, ['member', 'reader'])
    assert.equal(eff.json.role_assignments[0].scope.project.name, project.name)

    const token = await h.token(uname, 'pw-one', { project: { id: project.id } })
    const pw = await h.call(
      'POST',
      `/v3/users/${user.id}/password`,
      { user: { original_password: 'pw-one', password: 'pw-two' } },
      token,
    )
    assert.equal(pw.status, 204)
    await assert.rejects(h.token(uname, 'pw-one'))
    const again = await h.call(
      'POST',
      `/v3/users/${user.id}/password`,
      { user: { original_password: 'pw-two', password: 'pw-two' } },
      null,
    )
    assert.equal(again.status, 400, 'a recent password cannot be reused')
    const previous = await h.call(
      'POST',
      `/v3/users/${user.id}/password`,
      { user: { original_password: 'pw-two', password: 'pw-one' } },
      null,
    )
    assert.equal(previous.status, 400, 'nor the one before it (unique_last_password_count 2)')
    const wrong = await h.call(
      'POST',
      `/v3/users/${user.id}/password`,
      { user: { original_password: 'bad', password: 'pw-x' } },
      null,
    )
    assert.equal(wrong.status, 401)
    const t2 = await h.token(uname, 'pw-two', { project: { id: project.id } })
    assert.equal((await h.call('PATCH', `/v3/users/${user.id}`, { user: { enabled: false } })).status, 200)
    await assert.rejects(h.token(uname, 'pw-two'))
    assert.equal(
      (await h.call('GET', '/v3/auth/catalog', undefined, t2)).status,
      401,
      'old tokens stop working',
    )
  })
  it('implied roles, domain roles and system grants', async () => {
    const a = (await h.call('POST', '/v3/roles', { role: { name: `r-${rnd()}` } })).json.role
    const b = (await h.call('POST', '/v3/roles', { role: { name: `r-${rnd()}` } })).json.role
    assert.equal((await h.call('PUT', `/v3/roles/${a.id}/implies/${b.id}`)).status, 201)
    assert.equal((await h.call('HEAD', `/v3/roles/${a.id}/implies/${b.id}`)).status, 204)
    const inf = await h.call('GET', '/v3/role_inferences')
    assert.ok(inf.json.role_inferences.some((x: { prior_role: { id: string } }) => x.prior_role.id === a.id))
    const dom = (await h.call('POST', '/v3/roles', { role: { name: `dr-${rnd()}`, domain_id: 'default' } }))
      .json.role
    assert.equal(dom.domain_id, 'default')
    assert.equal((await h.call('PUT', `/v3/roles/${a.id}/implies/${dom.id}`)).status, 403)
    const user = (await h.call('POST', '/v3/users', { user: { name: `u-${rnd()}` } })).json.user
    assert.equal((await h.call('PUT', `/v3/system/users/${user.id}/roles/${a.id}`)).status, 204)
    const sys = await h.call('GET', `/v3/role_assignments?scope.system=all&user.id=${user.id}`)
    assert.deepEqual(sys.json.role_assignments[0].scope, { system: { all: true } })
    assert.equal((await h.call('DELETE', `/v3/system/users/${user.id}/roles/${a.id}`)).status, 204)
    assert.equal((await h.call('DELETE', `/v3/system/users/${user.id}/roles/${a.id}`)).status, 404)
  })
  it('OS-INHERIT: a domain grant inherited to its projects', async () => {
    const user = (await h.call('POST', '/v3/users', { user: { name: `u-${rnd()}` } })).json.user
    const role = (await h.call('POST', '/v3/roles', { role: { name: `r-${rnd()}` } })).json.role
    const url = `/v3/OS-INHERIT/domains/default/users/${user.id}/roles/${role.id}/inherited_to_projects`
    assert.equal((await h.call('PUT', url)).status, 204)
    assert.equal((await h.call('HEAD', url)).status, 204)
    const list = await h.call(
      'GET',
      `/v3/OS-INHERIT/domains/default/users/${user.id}/roles/inherited_to_projects`,
    )
    assert.equal(list.json.roles[0].id, role.id)
    const eff = await h.call('GET', `/v3/role_assignments?effective&user.id=${user.id}`)
    assert.ok(eff.json.role_assignments.length >= 2)
    assert.equal((await h.call('DELETE', url)).status, 204)
  })
})

describe('catalog, credentials and the rest', () => {
  it('regions, services, endpoints', async () => {
    assert.equal(
      (await h.call('PUT', `/v3/regions/R-${rnd()}`, { region: { description: 'x' } })).status,
      201,
    )
    const s = (await h.call('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } })).json
      .service
    assert.equal(s.name, 'nova')
    const e = await h.call('POST', '/v3/endpoints', {
      endpoint: { service_id: s.id, interface: 'public', url: 'http://x/compute', region_id: 'RegionOne' },
    })
    assert.equal(e.status, 201)
    assert.equal(e.json.endpoint.region, 'RegionOne')
    assert.equal((await h.call('GET', `/v3/endpoints?service_id=${s.id}`)).json.endpoints.length, 1)
    assert.equal((await h.call('DELETE', `/v3/services/${s.id}`)).status, 204)
    assert.equal((await h.call('GET', `/v3/endpoints/${e.json.endpoint.id}`)).status, 404)
  })
  it('application credential: create, then authenticate with it', async () => {
    const me = (await h.call('GET', '/v3/users?name=demo')).json.users[0]
    const ac = await h.call(
      'POST',
      `/v3/users/${me.id}/application_credentials`,
      { application_credential: { name: `ac-${rnd()}` } },
      h.memberToken,
    )
    assert.equal(ac.status, 201, JSON.stringify(ac.json))
    assert.ok(ac.json.application_credential.secret)
    const auth = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: {
              id: ac.json.application_credential.id,
              secret: ac.json.application_credential.secret,
            },
          },
        },
      },
    })
    assert.equal(auth.statusCode, 201, auth.body)
    const rules = await h.call('GET', `/v3/users/${me.id}/access_rules`, undefined, h.memberToken)
    assert.equal(rules.status, 200)
  })
  it('credentials and EC2', async () => {
    const me = (await h.call('GET', '/v3/users?name=admin')).json.users[0]
    const project = (await h.call('GET', '/v3/projects?name=admin')).json.projects[0]
    const ec2 = await h.call('POST', `/v3/users/${me.id}/credentials/OS-EC2`, { tenant_id: project.id })
    assert.equal(ec2.status, 201)
    const access = ec2.json.credential.access
    assert.equal(
      (await h.call('GET', `/v3/users/${me.id}/credentials/OS-EC2/${access}`)).json.credential.secret,
      ec2.json.credential.secret,
    )
    const creds = await h.call('GET', `/v3/credentials?user_id=${me.id}`)
    assert.equal(creds.json.credentials.length, 1)
    assert.equal((await h.call('DELETE', `/v3/users/${me.id}/credentials/OS-EC2/${access}`)).status, 204)
  })
  it('trusts, policies, consumers, domain config', async () => {
    const admin = (await h.call('GET', '/v3/users?name=admin')).json.users[0]
    const demo = (await h.call('GET', '/v3/users?name=demo')).json.users[0]
    const project = (await h.call('GET', '/v3/projects?name=admin')).json.projects[0]
    const bad = await h.call('POST', '/v3/OS-TRUST/trusts', {
      trust: {
        trustor_user_id: admin.id,
        trustee_user_id: demo.id,
        impersonation: false,
        project_id: project.id,
        roles: [{ name: 'member' }],
        expires_at: 'bad.123Z',
      },
    })
    assert.equal(bad.status, 400)
    const t = await h.call('POST', '/v3/OS-TRUST/trusts', {
      trust: {
        trustor_user_id: admin.id,
        trustee_user_id: demo.id,
        impersonation: true,
        project_id: project.id,
        roles: [{ name: 'member' }],
        expires_at: '2099-01-01T00:00:00Z',
      },
    })
    assert.equal(t.status, 201, JSON.stringify(t.json))
    assert.equal(t.json.trust.expires_at, '2099-01-01T00:00:00.000000Z')
    assert.equal(
      (await h.call('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${admin.id}`)).json.trusts.length,
      1,
    )
    assert.equal((await h.call('DELETE', `/v3/OS-TRUST/trusts/${t.json.trust.id}`)).status, 204)

    const p = await h.call('POST', '/v3/policies', { policy: { type: 'application/json', blob: '{}' } })
    assert.equal(p.status, 201)
    const c = await h.call('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'd' } })
    assert.equal(c.status, 201)
    assert.ok(c.json.consumer.secret)
    assert.equal(
      (await h.call('GET', `/v3/OS-OAUTH1/consumers/${c.json.consumer.id}`)).json.consumer.secret,
      undefined,
    )

    const dom = (await h.call('POST', '/v3/domains', { domain: { name: `d-${rnd()}` } })).json.domain
    const cfg = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://x' } }
    const put = await h.call('PUT', `/v3/domains/${dom.id}/config`, { config: cfg })
    assert.equal(put.status, 201)
    assert.deepEqual(put.json.config, cfg)
    const opt = await h.call('PATCH', `/v3/domains/${dom.id}/config/identity/driver`, {
      config: { driver: 'sql' },
    })
    assert.equal(opt.json.config.identity.driver, 'sql')
    assert.equal((await h.call('DELETE', `/v3/domains/${dom.id}/config/identity`)).status, 204)
    assert.equal((await h.call('GET', `/v3/domains/${dom.id}/config/identity`)).status, 404)
    assert.ok((await h.call('GET', '/v3/domains/config/default')).json.config.ldap)
  })
})
