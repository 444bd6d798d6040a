/**
 * /v3/auth/tokens and version discovery through app.inject(), against the in-memory
 * AuthnPorts fake and a real (SQLite) token database.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Harness, passwordAuth, startHarness } from './auth-fakes.js'

let h: Harness
before(async () => {
  h = await startHarness()
})
after(async () => h.close())

async function issue(body: unknown, query = '') {
  return h.app.inject({ method: 'POST', url: `/identity/v3/auth/tokens${query}`, payload: body as object })
}

async function tokenFor(user: string, password: string, scope?: unknown) {
  const res = await issue(
    passwordAuth({ name: user, domain: { id: user === 'bob' ? 'd2' : 'default' } }, password, scope),
  )
  assert.equal(res.statusCode, 201, res.body)
  return { id: res.headers['x-subject-token'] as string, body: res.json().token }
}

const adminScope = { project: { name: 'admin', domain: { id: 'default' } } }

describe('version discovery', () => {
  it('GET /identity is a 300 listing v3 with media types and links', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/identity', headers: { host: 'cloud.test:5000' } })
    assert.equal(res.statusCode, 300)
    const v = res.json().versions.values
    assert.equal(v.length, 1)
    for (const k of ['id', 'links', 'media-types', 'status', 'updated']) assert.ok(k in v[0], k)
    assert.equal(v[0].links[0].href, 'http://cloud.test:5000/identity/v3/')
    assert.equal(res.headers.location, 'http://cloud.test:5000/identity/v3/')
  })
  it('GET /identity/v3 describes v3', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/identity/v3' })
    assert.equal(res.statusCode, 200)
    const v = res.json().version
    assert.match(v.id, /^v3/)
    assert.equal(v.status, 'stable')
    assert.deepEqual(v['media-types'], [
      { base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' },
    ])
  })
})

describe('POST /v3/auth/tokens', () => {
  it('issues an unscoped token by user id: 201, X-Subject-Token, no roles or catalog', async () => {
    const res = await issue(passwordAuth({ id: 'u-alice' }, 'secret-alice'))
    assert.equal(res.statusCode, 201)
    const token = res.json().token
    assert.ok((res.headers['x-subject-token'] as string).split('.').length === 3)
    assert.deepEqual(token.methods, ['password'])
    assert.deepEqual(token.user, {
      domain: { id: 'default', name: 'Default' },
      id: 'u-alice',
      name: 'alice',
      password_expires_at: null,
    })
    assert.equal(token.audit_ids.length, 1)
    assert.ok(token.expires_at > token.issued_at)
    assert.match(token.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    for (const k of ['roles', 'catalog', 'project', 'domain', 'system']) assert.ok(!(k in token), k)
  })

  it('issues a project-scoped token by names with roles, catalog and is_domain', async () => {
    const { body } = await tokenFor('admin', 'secret-admin', adminScope)
    assert.deepEqual(body.project, {
      domain: { id: 'default', name: 'Default' },
      id: 'p-admin',
      name: 'admin',
    })
    assert.equal(body.is_domain, false)
    assert.deepEqual(body.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader'])
    assert.equal(body.catalog[0].type, 'identity')
  })

  it('leaves the catalog out with ?nocatalog', async () => {
    const res = await issue(passwordAuth({ id: 'u-admin' }, 'secret-admin', adminScope), '?nocatalog')
    assert.equal(res.statusCode, 201)
    assert.ok(!('catalog' in res.json().token))
  })

  it('issues domain- and system-scoped tokens', async () => {
    const d = await tokenFor('alice', 'secret-alice', { domain: { name: 'Default' } })
    assert.deepEqual(d.body.domain, { id: 'default', name: 'Default' })
    assert.deepEqual(
      d.body.roles.map((r: { name: string }) => r.name),
      ['reader'],
    )
    const s = await tokenFor('admin', 'secret-admin', { system: { all: true } })
    assert.deepEqual(s.body.system, { all: true })
    assert.ok(!('project' in s.body))
  })

  it('scopes to the default project when the user has one and a role on it', async () => {
    h.ports.users.find((u) => u.id === 'u-alice')!.default_project_id = 'p-demo'
    try {
      const { body } = await tokenFor('alice', 'secret-alice')
      assert.equal(body.project.id, 'p-demo')
      const unscoped = await tokenFor('alice', 'secret-alice', 'unscoped')
      assert.ok(!('project' in unscoped.body))
    } finally {
      h.ports.users.find((u) => u.id === 'u-alice')!.default_project_id = null
    }
  })

  it('authenticates with an application credential, restricted to its roles and project', async () => {
    h.ports.appCreds.push({
      id: 'ac1',
      name: 'ci',
      user_id: 'u-alice',
      project_id: 'p-demo',
      roles: [{ id: 'r-reader', name: 'reader', domain_id: null }],
      unrestricted: false,
      expires_at: null,
      access_rules: [],
      secret: 's3cret',
    })
    const byId = await issue({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: 'ac1', secret: 's3cret' },
        },
      },
    })
    assert.equal(byId.statusCode, 201, byId.body)
    const t = byId.json().token
    assert.deepEqual(t.application_credential, { id: 'ac1', name: 'ci', restricted: true })
    assert.equal(t.project.id, 'p-demo')
    assert.deepEqual(t.roles, [{ id: 'r-reader', name: 'reader' }])
    const byName = await issue({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            name: 'ci',
            secret: 's3cret',
            user: { name: 'alice', domain: { name: 'Default' } },
          },
        },
      },
    })
    assert.equal(byName.statusCode, 201, byName.body)
    const wrong = await issue({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: 'ac1', secret: 'nope' },
        },
      },
    })
    assert.equal(wrong.statusCode, 401)
    const scoped = await issue({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: 'ac1', secret: 's3cret' },
        },
        scope: adminScope,
      },
    })
    assert.equal(scoped.statusCode, 401)
    // A token made from an application credential cannot be rescoped.
    const rescope = await issue({
      auth: { identity: { methods: ['token'], token: { id: byId.headers['x-subject-token'] } } },
    })
    assert.equal(rescope.statusCode, 403)
  })

  it('issues trust-scoped tokens when the resource half provides trusts', async () => {
    h.ports.trusts.push({
      id: 't1',
      trustor_user_id: 'u-admin',
      trustee_user_id: 'u-alice',
      project_id: 'p-admin',
      impersonation: false,
      roles: [{ id: 'r-member', name: 'member', domain_id: null }],
      expires_at: null,
      remaining_uses: null,
      roles_holder_id: 'u-admin',
    })
    const t = await tokenFor('alice', 'secret-alice', { 'OS-TRUST:trust': { id: 't1' } })
    assert.equal(t.body['OS-TRUST:trust'].id, 't1')
    assert.equal(t.body.project.id, 'p-admin')
    assert.deepEqual(t.body.roles, [{ id: 'r-member', name: 'member' }])
    assert.deepEqual(h.ports.trustUses, ['t1'])
    const notTrustee = await issue(
      passwordAuth({ name: 'bob', domain: { id: 'd2' } }, 'secret-bob', { 'OS-TRUST:trust': { id: 't1' } }),
    )
    assert.equal(notTrustee.statusCode, 403)
  })
})

describe("POST /v3/auth/tokens refuses bad requests in Keystone's format", () => {
  const auth = (identity: unknown, scope?: unknown) => ({ auth: { identity, ...(scope ? { scope } : {}) } })
  const pw = (user: unknown) => ({ methods: ['password'], password: { user } })
  const cases: Array<{ name: string; body?: unknown; raw?: string; status: number; message?: RegExp }> = [
    { name: 'malformed JSON', raw: '{"auth": ', status: 400 },
    { name: 'no body', raw: '', status: 400 },
    { name: 'body not an object', body: [1, 2], status: 400 },
    { name: 'no auth', body: { foo: 1 }, status: 400, message: /'auth' is a required property/ },
    { name: 'no identity', body: { auth: {} }, status: 400 },
    { name: 'methods not a list', body: auth({ methods: 'password' }), status: 400 },
    { name: 'empty methods', body: auth({ methods: [] }), status: 400 },
    { name: 'method without its data', body: auth({ methods: ['password'] }), status: 400 },
    { name: 'unknown method', body: auth({ methods: ['kerberos'], kerberos: {} }), status: 401 },
    {
      name: 'password of the wrong type',
      body: auth(pw({ id: 'u-alice', password: 12345 })),
      status: 400,
      message: /is not of type 'string'/,
    },
    { name: 'user id of the wrong type', body: auth(pw({ id: 7, password: 'x' })), status: 400 },
    {
      name: 'name without domain',
      body: auth(pw({ name: 'alice', password: 'secret-alice' })),
      status: 400,
      message: /domain/,
    },
    {
      name: 'no password',
      body: auth({ methods: ['password'], password: { user: { id: 'u-alice' } } }),
      status: 400,
    },
    {
      name: 'two scopes',
      body: auth(pw({ id: 'u-alice', password: 'secret-alice' }), {
        project: { id: 'p-demo' },
        domain: { id: 'default' },
      }),
      status: 400,
    },
    {
      name: 'system without all',
      body: auth(pw({ id: 'u-admin', password: 'secret-admin' }), { system: {} }),
      status: 400,
    },
    {
      name: 'project name without domain',
      body: auth(pw({ id: 'u-alice', password: 'secret-alice' }), { project: { name: 'demo' } }),
      status: 400,
    },
    {
      name: 'wrong password',
      body: auth(pw({ id: 'u-alice', password: 'nope' })),
      status: 401,
      message: /requires authentication/,
    },
    {
      name: 'unknown user id',
      body: auth(pw({ id: 'u-nobody', password: 'nope' })),
      status: 401,
      message: /requires authentication/,
    },
    {
      name: 'unknown user name',
      body: auth(pw({ name: 'nobody', domain: { id: 'default' }, password: 'x' })),
      status: 401,
      message: /requires authentication/,
    },
    {
      name: 'unknown user domain',
      body: auth(pw({ name: 'alice', domain: { name: 'Nowhere' }, password: 'x' })),
      status: 401,
    },
    {
      name: 'unknown project',
      body: auth(pw({ id: 'u-alice', password: 'secret-alice' }), { project: { id: 'p-nope' } }),
      status: 401,
    },
    {
      name: 'no role on the project',
      body: auth(pw({ id: 'u-alice', password: 'secret-alice' }), adminScope),
      status: 401,
      message: /has no access to project p-admin/,
    },
    {
      name: 'no role on the system',
      body: auth(pw({ id: 'u-alice', password: 'secret-alice' }), { system: { all: true } }),
      status: 401,
    },
    {
      name: 'no role on the domain',
      body: auth(pw({ id: 'u-bob', password: 'secret-bob' }), { domain: { id: 'd2' } }),
      status: 401,
    },
    {
      name: 'garbage token to rescope',
      body: auth({ methods: ['token'], token: { id: 'garbage' } }),
      status: 404,
    },
  ]
  for (const c of cases) {
    it(`${c.name} -> ${c.status}`, async () => {
      const res = await h.app.inject({
        method: 'POST',
        url: '/identity/v3/auth/tokens',
        headers: { 'content-type': 'application/json' },
        payload: c.raw ?? JSON.stringify(c.body),
      })
      assert.equal(res.statusCode, c.status, res.body)
      const err = res.json().error
      assert.equal(err.code, c.status)
      assert.equal(typeof err.title, 'string')
      if (c.message) assert.match(err.message, c.message)
      if (c.status === 401)
        assert.match(String(res.headers['www-authenticate']), /^Keystone uri="http:\/\/.+\/identity\/v3"$/)
    })
  }

  it('gives the same answer for a wrong password and an unknown user', async () => {
    const a = await issue(passwordAuth({ name: 'alice', domain: { id: 'default' } }, 'wrong'))
    const b = await issue(passwordAuth({ name: 'nobody', domain: { id: 'default' } }, 'wrong'))
    assert.deepEqual(a.json(), b.json())
  })

  it('refuses an oversized body with 413', async () => {
    const res = await issue(passwordAuth({ id: 'u-alice' }, 'x'.repeat(2 * 1024 * 1024)))
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().error.code, 413)
  })

  it('a disabled user cannot authenticate', async () => {
    const u = h.ports.users.find((x) => x.id === 'u-bob')!
    u.enabled = false
    try {
      const res = await issue(passwordAuth({ id: 'u-bob' }, 'secret-bob'))
      assert.equal(res.statusCode, 401)
    } finally {
      u.enabled = true
    }
  })
})

describe('GET, HEAD and DELETE /v3/auth/tokens', () => {
  it('validates to exactly the body that was issued', async () => {
    const issued = await tokenFor('admin', 'secret-admin', adminScope)
    const res = await h.app.inject({
      method: 'GET',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': issued.id, 'x-subject-token': issued.id },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['x-subject-token'], issued.id)
    assert.deepEqual(res.json().token, issued.body)
  })

  it('checks, revokes, and then answers 404 for the subject and 401 for the caller', async () => {
    const admin = await tokenFor('admin', 'secret-admin', adminScope)
    const alice = await tokenFor('alice', 'secret-alice', { project: { id: 'p-demo' } })
    const as = (caller: string, method: 'GET' | 'HEAD' | 'DELETE') =>
      h.app.inject({
        method,
        url: '/identity/v3/auth/tokens',
        headers: { 'x-auth-token': caller, 'x-subject-token': alice.id },
      })
    assert.equal((await as(alice.id, 'HEAD')).statusCode, 200)
    assert.equal((await as(alice.id, 'GET')).statusCode, 200)
    assert.equal((await as(alice.id, 'DELETE')).statusCode, 204)
    assert.equal((await as(admin.id, 'GET')).statusCode, 404)
    assert.equal((await as(admin.id, 'HEAD')).statusCode, 404)
    const self = await as(alice.id, 'GET')
    assert.equal(self.statusCode, 401)
    assert.match(String(self.headers['www-authenticate']), /Keystone uri=/)
  })

  it('lets only the subject, admins and system readers validate a token (403 otherwise)', async () => {
    const alice = await tokenFor('alice', 'secret-alice', { project: { id: 'p-demo' } })
    const bob = await tokenFor('bob', 'secret-bob')
    h.ports.grants['u-bob'] = { 'p:p-other': ['member'] }
    const bobScoped = await tokenFor('bob', 'secret-bob', { project: { id: 'p-other' } })
    const res = await h.app.inject({
      method: 'GET',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': bobScoped.id, 'x-subject-token': alice.id },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error.code, 403)
    // An unscoped token matches no scope type: 403 under enforce_scope.
    const unscoped = await h.app.inject({
      method: 'DELETE',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': bob.id, 'x-subject-token': alice.id },
    })
    assert.equal(unscoped.statusCode, 403)
  })

  it('answers 401 for garbage, missing and tampered caller tokens', async () => {
    const alice = await tokenFor('alice', 'secret-alice')
    const [h64, p64, s64] = alice.id.split('.')
    const forged = JSON.parse(Buffer.from(p64!, 'base64url').toString())
    forged.sub = 'u-admin'
    const tampered = `${h64}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s64}`
    for (const caller of ['garbage', 'a.b.c', tampered, undefined]) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/identity/v3/auth/tokens',
        headers: { ...(caller ? { 'x-auth-token': caller } : {}), 'x-subject-token': alice.id },
      })
      assert.equal(res.statusCode, 401, String(caller))
      assert.equal(res.json().error.title, 'Unauthorized')
    }
  })

  it('answers 404 for a missing subject token', async () => {
    const admin = await tokenFor('admin', 'secret-admin', adminScope)
    const res = await h.app.inject({
      method: 'GET',
      url: '/identity/v3/auth/tokens',
      headers: { 'x-auth-token': admin.id },
    })
    assert.equal(res.statusCode, 404)
  })

  it('405 for a method /v3/auth/tokens does not have', async () => {
    const res = await h.app.inject({ method: 'PUT', url: '/identity/v3/auth/tokens' })
    assert.equal(res.statusCode, 405)
  })
})

describe('rescoping', () => {
  it('keeps the expiry and user, adds the token method, and survives revoking the rescoped token', async () => {
    const unscoped = await tokenFor('admin', 'secret-admin')
    const rescope = (scope: unknown) =>
      issue({ auth: { identity: { methods: ['token'], token: { id: unscoped.id } }, scope } })
    const first = await rescope(adminScope)
    assert.equal(first.statusCode, 201, first.body)
    const t1 = first.json().token
    assert.equal(t1.expires_at, unscoped.body.expires_at)
    assert.deepEqual(new Set(t1.methods), new Set(['password', 'token']))
    assert.deepEqual(t1.user, unscoped.body.user)
    assert.deepEqual(t1.audit_ids[1], unscoped.body.audit_ids[0])
    const del = await h.app.inject({
      method: 'DELETE',
      url: '/identity/v3/auth/tokens',
      headers: {
        'x-auth-token': first.headers['x-subject-token'] as string,
        'x-subject-token': first.headers['x-subject-token'] as string,
      },
    })
    assert.equal(del.statusCode, 204)
    const second = await rescope({ system: { all: true } })
    assert.equal(second.statusCode, 201, second.body)
  })
})

describe('/v3/auth/catalog, projects, domains, system', () => {
  it('lists what the caller can scope to', async () => {
    const alice = await tokenFor('alice', 'secret-alice')
    const get = (path: string, token = alice.id) =>
      h.app.inject({ method: 'GET', url: `/identity/v3/auth/${path}`, headers: { 'x-auth-token': token } })
    const projects = await get('projects')
    assert.equal(projects.statusCode, 200)
    assert.deepEqual(
      projects.json().projects.map((p: { id: string }) => p.id),
      ['p-demo'],
    )
    assert.match(projects.json().projects[0].links.self, /\/identity\/v3\/projects\/p-demo$/)
    const domains = await get('domains')
    assert.deepEqual(
      domains.json().domains.map((d: { id: string }) => d.id),
      ['default'],
    )
    assert.deepEqual((await get('system')).json().system, [])
    // The catalog needs a project-scoped token.
    assert.equal((await get('catalog')).statusCode, 403)
    const scoped = await tokenFor('alice', 'secret-alice', { project: { id: 'p-demo' } })
    const catalog = await get('catalog', scoped.id)
    assert.equal(catalog.statusCode, 200)
    assert.equal(catalog.json().catalog[0].name, 'keystone')
    const admin = await tokenFor('admin', 'secret-admin', adminScope)
    assert.deepEqual((await get('system', admin.id)).json().system, [{ all: true }])
    assert.equal((await h.app.inject({ method: 'GET', url: '/identity/v3/auth/projects' })).statusCode, 401)
  })
})

describe('expiry', () => {
  it('refuses an expired token, and accepts it with allow_expired inside the window', async () => {
    const short = await startHarness({ token: { expiration: 1, allow_expired_window: 60 } })
    try {
      const res = await short.app.inject({
        method: 'POST',
        url: '/identity/v3/auth/tokens',
        payload: passwordAuth({ id: 'u-admin' }, 'secret-admin', adminScope),
      })
      const id = res.headers['x-subject-token'] as string
      const fresh = await short.app.inject({
        method: 'POST',
        url: '/identity/v3/auth/tokens',
        payload: passwordAuth({ id: 'u-admin' }, 'secret-admin', adminScope),
      })
      await new Promise((r) => setTimeout(r, 1100))
      const caller = await short.app.inject({
        method: 'POST',
        url: '/identity/v3/auth/tokens',
        payload: passwordAuth({ id: 'u-admin' }, 'secret-admin', adminScope),
      })
      const callerId = caller.headers['x-subject-token'] as string
      const get = (url: string) =>
        short.app.inject({ method: 'GET', url, headers: { 'x-auth-token': callerId, 'x-subject-token': id } })
      assert.equal((await get('/identity/v3/auth/tokens')).statusCode, 404)
      assert.equal((await get('/identity/v3/auth/tokens?allow_expired=1')).statusCode, 200)
      const asCaller = await short.app.inject({
        method: 'GET',
        url: '/identity/v3/auth/projects',
        headers: { 'x-auth-token': fresh.headers['x-subject-token'] as string },
      })
      assert.equal(asCaller.statusCode, 401)
    } finally {
      await short.close()
    }
  })
})

describe('revocation events from the resource half', () => {
  const cases: Array<{
    name: string
    event: (t: { audit_ids: string[] }) => Record<string, string>
    dies: boolean
  }> = [
    { name: 'user disabled or password changed', event: () => ({ user_id: 'u-alice' }), dies: true },
    { name: 'another user', event: () => ({ user_id: 'u-bob' }), dies: false },
    { name: 'project disabled', event: () => ({ project_id: 'p-demo' }), dies: true },
    { name: 'user domain disabled', event: () => ({ domain_id: 'default' }), dies: true },
    { name: 'other domain disabled', event: () => ({ domain_id: 'd2' }), dies: false },
    {
      name: 'role removed on the project',
      event: () => ({ user_id: 'u-alice', project_id: 'p-demo', role_id: 'r-member' }),
      dies: true,
    },
    { name: 'role the token lacks', event: () => ({ user_id: 'u-alice', role_id: 'r-admin' }), dies: false },
    { name: 'audit chain', event: (t) => ({ audit_chain_id: t.audit_ids[0]! }), dies: true },
  ]
  for (const c of cases) {
    it(`${c.name}: token ${c.dies ? 'dies' : 'lives'}, new tokens work`, async () => {
      const t = await tokenFor('alice', 'secret-alice', { project: { id: 'p-demo' } })
      await h.sink().record({ ...c.event(t.body), issued_before: new Date().toISOString() })
      const use = (token: string) =>
        h.app.inject({ method: 'GET', url: '/identity/v3/auth/projects', headers: { 'x-auth-token': token } })
      assert.equal((await use(t.id)).statusCode, c.dies ? 401 : 200)
      await new Promise((r) => setTimeout(r, 3))
      const fresh = await tokenFor('alice', 'secret-alice', { project: { id: 'p-demo' } })
      assert.equal((await use(fresh.id)).statusCode, 200)
    })
  }
})
