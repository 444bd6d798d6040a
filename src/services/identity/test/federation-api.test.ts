/**
 * OS-FEDERATION over HTTP: identity providers, protocols, mappings and service
 * providers with Keystone's shapes and statuses, and the federated login: attributes a
 * trusted proxy asserts (headers) give an unscoped token with the mapped method, which
 * lists and rescopes to the projects the mapping granted (through groups and through
 * `projects`).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness({ sections: { federation: { trusted_proxy_addresses: '127.0.0.1' } } })
})
after(async () => h?.close())

const F = '/v3/OS-FEDERATION'

async function login(
  idp: string,
  protocol: string,
  attrs: Record<string, string>,
  remoteAddress = '127.0.0.1',
) {
  const headers: Record<string, string> = { host: 'cloud.test' }
  for (const [k, v] of Object.entries(attrs)) headers[`X-Federation-${k}`] = v
  const res = await h.app.inject({
    method: 'POST',
    url: `/identity${F}/identity_providers/${idp}/protocols/${protocol}/auth`,
    headers,
    remoteAddress,
  })
  return {
    status: res.statusCode,
    json: JSON.parse(res.body || 'null'),
    token: res.headers['x-subject-token'] as string,
  }
}

describe('identity providers, protocols, mappings, service providers', () => {
  it('creates an identity provider disabled by default, in a domain of its own', async () => {
    const r = await h.call('PUT', `${F}/identity_providers/idp-a`, {
      identity_provider: { remote_ids: ['https://a'] },
    })
    assert.equal(r.status, 201, JSON.stringify(r.json))
    const i = r.json.identity_provider
    assert.equal(i.enabled, false)
    assert.deepEqual(i.remote_ids, ['https://a'])
    assert.equal(i.authorization_ttl, null)
    assert.match(i.links.protocols, /identity_providers\/idp-a\/protocols$/)
    const dom = await h.call('GET', `/v3/domains/${i.domain_id}`)
    assert.equal(dom.status, 200)
    assert.match(dom.json.domain.description, /idp-a/)
    assert.equal(
      (await h.call('PUT', `${F}/identity_providers/idp-a`, { identity_provider: {} })).status,
      409,
    )
    const dupRemote = await h.call('PUT', `${F}/identity_providers/idp-b`, {
      identity_provider: { remote_ids: ['https://a'] },
    })
    assert.equal(dupRemote.status, 409)
    const bad = await h.call('PUT', `${F}/identity_providers/idp-c`, {
      identity_provider: { domain_id: 'nope' },
    })
    assert.equal(bad.status, 404)
    const patched = await h.call('PATCH', `${F}/identity_providers/idp-a`, {
      identity_provider: { enabled: true, authorization_ttl: 60, remote_ids: ['https://a2'] },
    })
    assert.equal(patched.status, 200)
    assert.equal(patched.json.identity_provider.enabled, true)
    assert.equal(patched.json.identity_provider.authorization_ttl, 60)
    assert.deepEqual(patched.json.identity_provider.remote_ids, ['https://a2'])
    const noDomainChange = await h.call('PATCH', `${F}/identity_providers/idp-a`, {
      identity_provider: { domain_id: 'x' },
    })
    assert.equal(noDomainChange.status, 400)
    const list = await h.call('GET', `${F}/identity_providers?enabled=true`)
    assert.deepEqual(
      list.json.identity_providers.map((x: { id: string }) => x.id),
      ['idp-a'],
    )
    assert.equal((await h.call('GET', `${F}/identity_providers/missing`)).status, 404)
    assert.equal((await h.call('GET', `${F}/identity_providers`, undefined, h.memberToken)).status, 403)
  })

  it('validates mappings (400 with the schema problems) and ties protocols to them', async () => {
    const bad = await h.call('PUT', `${F}/mappings/m-bad`, {
      mapping: { rules: [{ local: [], remote: [] }] },
    })
    assert.equal(bad.status, 400)
    assert.equal((await h.call('GET', `${F}/mappings/m-bad`)).status, 404)
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'REMOTE_USER' }] }]
    const m = await h.call('PUT', `${F}/mappings/m-1`, { mapping: { rules } })
    assert.equal(m.status, 201)
    assert.deepEqual(m.json.mapping.rules, rules)
    assert.equal((await h.call('PUT', `${F}/mappings/m-1`, { mapping: { rules } })).status, 409)
    const noMapping = await h.call('PUT', `${F}/identity_providers/idp-a/protocols/saml2`, {
      protocol: { mapping_id: 'nope' },
    })
    assert.equal(noMapping.status, 400)
    assert.match(noMapping.json.error.message, /Invalid mapping id: nope/)
    const p = await h.call('PUT', `${F}/identity_providers/idp-a/protocols/saml2`, {
      protocol: { mapping_id: 'm-1' },
    })
    assert.equal(p.status, 201)
    assert.equal(p.json.protocol.mapping_id, 'm-1')
    assert.match(p.json.protocol.links.identity_provider, /identity_providers\/idp-a$/)
    assert.equal((await h.call('GET', `${F}/identity_providers/idp-a/protocols`)).json.protocols.length, 1)
    assert.equal((await h.call('DELETE', `${F}/identity_providers/idp-a/protocols/saml2`)).status, 204)
    assert.equal((await h.call('GET', `${F}/identity_providers/idp-a/protocols/saml2`)).status, 404)
  })

  it('service providers: created disabled with the default relay state prefix', async () => {
    const r = await h.call('PUT', `${F}/service_providers/sp-1`, {
      service_provider: { auth_url: 'https://sp/v3/auth', sp_url: 'https://sp/Shibboleth.sso/SAML2/ECP' },
    })
    assert.equal(r.status, 201)
    assert.equal(r.json.service_provider.enabled, false)
    assert.equal(r.json.service_provider.relay_state_prefix, 'ss:mem:')
    const missing = await h.call('PUT', `${F}/service_providers/sp-2`, {
      service_provider: { auth_url: 'https://x' },
    })
    assert.equal(missing.status, 400)
    const up = await h.call('PATCH', `${F}/service_providers/sp-1`, { service_provider: { enabled: true } })
    assert.equal(up.json.service_provider.enabled, true)
    // Enabled service providers are listed in every token body (K2K), as upstream.
    const tok = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret-demo' } },
          },
        },
      },
    })
    assert.deepEqual(JSON.parse(tok.body).token.service_providers, [
      { id: 'sp-1', auth_url: 'https://sp/v3/auth', sp_url: 'https://sp/Shibboleth.sso/SAML2/ECP' },
    ])
    assert.equal((await h.call('DELETE', `${F}/service_providers/sp-1`)).status, 204)
  })
})

describe('federated login', () => {
  let groupProject: string
  before(async () => {
    const idp = await h.call('PUT', `${F}/identity_providers/corp`, {
      identity_provider: { enabled: true, remote_ids: ['https://idp.corp'] },
    })
    assert.equal(idp.status, 201)
    const g = await h.call('POST', '/v3/groups', { group: { name: 'corp-dev', domain_id: 'default' } })
    const p = await h.call('POST', '/v3/projects', {
      project: { name: 'corp-dev-project', domain_id: 'default' },
    })
    groupProject = p.json.project.id
    const member = (await h.call('GET', '/v3/roles?name=member')).json.roles[0].id
    assert.equal(
      (await h.call('PUT', `/v3/projects/${groupProject}/groups/${g.json.group.id}/roles/${member}`)).status,
      204,
    )
    const reader = (await h.call('GET', '/v3/roles?name=reader')).json.roles[0].id
    assert.equal(
      (await h.call('PUT', `/v3/domains/default/groups/${g.json.group.id}/roles/${reader}`)).status,
      204,
    )
    const rules = [
      {
        remote: [{ type: 'REMOTE_USER' }, { type: 'Groups', whitelist: ['dev'] }],
        local: [{ user: { name: '{0}' } }, { groups: 'corp-{1}', domain: { id: 'default' } }],
      },
      {
        remote: [{ type: 'REMOTE_USER' }, { type: 'Affiliation', any_one_of: ['staff'] }],
        local: [{ user: { name: '{0}' }, projects: [{ name: 'staff-{0}', roles: [{ name: 'member' }] }] }],
      },
    ]
    assert.equal((await h.call('PUT', `${F}/mappings/corp-map`, { mapping: { rules } })).status, 201)
    const proto = await h.call('PUT', `${F}/identity_providers/corp/protocols/openid`, {
      protocol: { mapping_id: 'corp-map', remote_id_attribute: 'Issuer' },
    })
    assert.equal(proto.status, 201)
  })

  it('gives an unscoped mapped token that rescopes to the projects the mapping granted', async () => {
    const r = await login('corp', 'openid', {
      REMOTE_USER: 'alice',
      Groups: 'dev;sales',
      Affiliation: 'staff',
      Issuer: 'https://idp.corp',
    })
    assert.equal(r.status, 201, JSON.stringify(r.json))
    const t = r.json.token
    assert.deepEqual(t.methods, ['mapped'])
    assert.equal(t.user.name, 'alice')
    assert.equal(t.user['OS-FEDERATION'].identity_provider.id, 'corp')
    assert.equal(t.user['OS-FEDERATION'].protocol.id, 'openid')
    assert.equal(t.user['OS-FEDERATION'].groups.length, 1)
    assert.equal(t.project, undefined)
    const idpDomain = (await h.call('GET', `${F}/identity_providers/corp`)).json.identity_provider.domain_id
    assert.equal(t.user.domain.id, idpDomain)

    const projects = await h.call('GET', '/v3/auth/projects', undefined, r.token)
    assert.equal(projects.status, 200)
    const names = projects.json.projects.map((p: { name: string }) => p.name).sort()
    assert.deepEqual(names, ['corp-dev-project', 'staff-alice'])
    const fedProjects = await h.call('GET', `${F}/projects`, undefined, r.token)
    assert.equal(fedProjects.json.projects.length, 2)
    const domains = await h.call('GET', '/v3/auth/domains', undefined, r.token)
    assert.equal(domains.status, 200)
    assert.deepEqual(
      domains.json.domains.map((x: { id: string }) => x.id),
      ['default'],
    )

    const rescope = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: { methods: ['token'], token: { id: r.token } },
          scope: { project: { id: groupProject } },
        },
      },
    })
    assert.equal(rescope.statusCode, 201, rescope.body)
    const scoped = JSON.parse(rescope.body).token
    assert.equal(scoped.project.id, groupProject)
    assert.ok(scoped.roles.some((x: { name: string }) => x.name === 'member'))
    assert.deepEqual(scoped.methods, ['token', 'mapped'])
    assert.equal(scoped.user['OS-FEDERATION'].identity_provider.id, 'corp')

    // A later login is the same shadow user; a group the mapping no longer gives is gone.
    const again = await login('corp', 'openid', {
      REMOTE_USER: 'alice',
      Groups: 'sales',
      Issuer: 'https://idp.corp',
    })
    assert.equal(again.status, 201, JSON.stringify(again.json))
    assert.equal(again.json.token.user.id, t.user.id)
    assert.deepEqual(again.json.token.user['OS-FEDERATION'].groups, [])
    const after = await h.call('GET', '/v3/auth/projects', undefined, again.token)
    assert.deepEqual(
      after.json.projects.map((p: { name: string }) => p.name),
      ['staff-alice'],
    )
    const none = await login('corp', 'openid', { Affiliation: 'staff', Issuer: 'https://idp.corp' })
    assert.equal(none.status, 401, 'no rule applies without REMOTE_USER')
  })

  it('refuses assertions from an untrusted peer, a foreign remote id, and a disabled provider', async () => {
    const attrs = { REMOTE_USER: 'bob', Groups: 'dev', Issuer: 'https://idp.corp' }
    assert.equal((await login('corp', 'openid', attrs, '10.0.0.9')).status, 401)
    assert.equal((await login('corp', 'openid', { ...attrs, Issuer: 'https://evil' })).status, 403)
    assert.equal((await login('corp', 'openid', { REMOTE_USER: 'bob', Groups: 'dev' })).status, 401)
    assert.equal((await login('corp', 'nope', attrs)).status, 404)
    const ok = await login('corp', 'openid', attrs)
    assert.equal(ok.status, 201)
    await h.call('PATCH', `${F}/identity_providers/corp`, { identity_provider: { enabled: false } })
    try {
      assert.equal((await login('corp', 'openid', attrs)).status, 403)
      const rescope = await h.app.inject({
        method: 'POST',
        url: '/identity/v3/auth/tokens',
        payload: {
          auth: {
            identity: { methods: ['token'], token: { id: ok.token } },
            scope: { project: { id: groupProject } },
          },
        },
      })
      assert.equal(rescope.statusCode, 403)
    } finally {
      await h.call('PATCH', `${F}/identity_providers/corp`, { identity_provider: { enabled: true } })
    }
  })

  it('the mapped method of POST /v3/auth/tokens takes the same assertion', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      headers: {
        'X-Federation-REMOTE_USER': 'carol',
        'X-Federation-Groups': 'dev',
        'X-Federation-Issuer': 'https://idp.corp',
      },
      payload: {
        auth: {
          identity: { methods: ['mapped'], mapped: { identity_provider: 'corp', protocol: 'openid' } },
        },
      },
    })
    assert.equal(res.statusCode, 201, res.body)
    assert.deepEqual(JSON.parse(res.body).token.methods, ['mapped'])
  })
})
