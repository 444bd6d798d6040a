/**
 * OS-EP-FILTER applied to the catalog, as Keystone's sql catalog driver: a project with
 * endpoint or endpoint-group associations gets only those endpoints in its token (and
 * /v3/auth/catalog), services left without endpoints drop out; other projects keep the
 * whole catalog, unless `[endpoint_filter] return_all_endpoints_if_no_filter = false`.
 * Plus the project-endpoint association API itself.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

const rnd = () => Math.random().toString(36).slice(2, 8)

// biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely
async function ok<T = any>(h: ResourceHarness, method: string, url: string, body?: unknown): Promise<T> {
  const r = await h.call(method, url, body)
  assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json as T
}

/** endpoint ids of a token's catalog, by POST /v3/auth/tokens and by GET /v3/auth/catalog. */
async function catalogOf(h: ResourceHarness, user: string, projectId: string): Promise<string[]> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/identity/v3/auth/tokens',
    payload: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user, domain: { id: 'default' }, password: 'pw' } },
        },
        scope: { project: { id: projectId } },
      },
    },
  })
  assert.equal(res.statusCode, 201, res.body)
  type Cat = Array<{ endpoints: Array<{ id: string }> }>
  const ids = (cat: Cat) => cat.flatMap((s) => s.endpoints.map((e: { id: string }) => e.id)).sort()
  const fromToken = ids(JSON.parse(res.body).token.catalog)
  const auth = await h.call('GET', '/v3/auth/catalog', undefined, res.headers['x-subject-token'] as string)
  assert.equal(auth.status, 200)
  assert.deepEqual(ids(auth.json.catalog), fromToken, '/v3/auth/catalog agrees with the token')
  for (const s of JSON.parse(res.body).token.catalog as Cat)
    assert.ok(s.endpoints.length > 0, 'no empty service')
  return fromToken
}

describe('OS-EP-FILTER in the token catalog', () => {
  let h: ResourceHarness
  let q = ''
  let other = ''
  let user = ''
  let all: string[] = []
  const ep: Record<string, string> = {}
  before(async () => {
    h = await startResourceHarness()
    const s1 = (await ok(h, 'POST', '/v3/services', { service: { type: `a-${rnd()}` } })).service.id
    const s2 = (await ok(h, 'POST', '/v3/services', { service: { type: `b-${rnd()}` } })).service.id
    for (const [name, service, iface] of [
      ['e1', s1, 'public'],
      ['e2', s1, 'internal'],
      ['e3', s2, 'public'],
    ] as const) {
      ep[name] = (
        await ok(h, 'POST', '/v3/endpoints', {
          endpoint: { service_id: service, interface: iface, url: `http://${name}` },
        })
      ).endpoint.id
    }
    ep.s2 = s2
    q = (await ok(h, 'POST', '/v3/projects', { project: { name: `q-${rnd()}` } })).project.id
    other = (await ok(h, 'POST', '/v3/projects', { project: { name: `o-${rnd()}` } })).project.id
    user = `u-${rnd()}`
    const u = (await ok(h, 'POST', '/v3/users', { user: { name: user, password: 'pw' } })).user.id
    const member = (await ok(h, 'GET', '/v3/roles?name=member')).roles[0].id
    await ok(h, 'PUT', `/v3/projects/${q}/users/${u}/roles/${member}`)
    await ok(h, 'PUT', `/v3/projects/${other}/users/${u}/roles/${member}`)
    all = await catalogOf(h, user, q)
  })
  after(async () => h?.close())

  it('no association: the whole catalog', async () => {
    assert.ok(all.length >= 4, JSON.stringify(all))
    for (const e of ['e1', 'e2', 'e3']) assert.ok(all.includes(ep[e]!))
  })

  it('an endpoint association narrows the project catalog to it, and only that project', async () => {
    const url = `/v3/OS-EP-FILTER/projects/${q}/endpoints/${ep.e1}`
    assert.equal((await h.call('PUT', url)).status, 204)
    assert.equal((await h.call('PUT', url)).status, 409)
    assert.equal((await h.call('HEAD', url)).status, 204)
    assert.deepEqual(await catalogOf(h, user, q), [ep.e1])
    assert.deepEqual(await catalogOf(h, user, other), all)
    const listed = await ok(h, 'GET', `/v3/OS-EP-FILTER/projects/${q}/endpoints`)
    assert.deepEqual(
      listed.endpoints.map((e: { id: string }) => e.id),
      [ep.e1],
    )
    const projects = await ok(h, 'GET', `/v3/OS-EP-FILTER/endpoints/${ep.e1}/projects`)
    assert.deepEqual(
      projects.projects.map((p: { id: string }) => p.id),
      [q],
    )
  })

  it('an endpoint group association adds the endpoints its filters match', async () => {
    const g = (
      await ok(h, 'POST', '/v3/OS-EP-FILTER/endpoint_groups', {
        endpoint_group: { name: 'g', filters: { service_id: ep.s2 } },
      })
    ).endpoint_group.id
    await ok(h, 'PUT', `/v3/OS-EP-FILTER/endpoint_groups/${g}/projects/${q}`)
    assert.deepEqual(await catalogOf(h, user, q), [ep.e1, ep.e3].sort())
    const groups = await ok(h, 'GET', `/v3/OS-EP-FILTER/projects/${q}/endpoint_groups`)
    assert.deepEqual(
      groups.endpoint_groups.map((x: { id: string }) => x.id),
      [g],
    )

    // A disabled endpoint stays out even when associated.
    await ok(h, 'PATCH', `/v3/endpoints/${ep.e3}`, { endpoint: { enabled: false } })
    assert.deepEqual(await catalogOf(h, user, q), [ep.e1])
    await ok(h, 'PATCH', `/v3/endpoints/${ep.e3}`, { endpoint: { enabled: true } })

    const url = `/v3/OS-EP-FILTER/projects/${q}/endpoints/${ep.e1}`
    assert.equal((await h.call('DELETE', url)).status, 204)
    assert.equal((await h.call('DELETE', url)).status, 404)
    assert.equal((await h.call('HEAD', url)).status, 404)
    assert.deepEqual(await catalogOf(h, user, q), [ep.e3])

    await ok(h, 'DELETE', `/v3/OS-EP-FILTER/endpoint_groups/${g}/projects/${q}`)
    assert.deepEqual(await catalogOf(h, user, q), all)
  })

  it('bad associations and callers get Keystone errors', async () => {
    const cases: Array<[string, string, string | undefined, number]> = [
      ['PUT', `/v3/OS-EP-FILTER/projects/${q}/endpoints/nope`, undefined, 404],
      ['PUT', `/v3/OS-EP-FILTER/projects/nope/endpoints/${ep.e1}`, undefined, 404],
      ['GET', '/v3/OS-EP-FILTER/projects/nope/endpoints', undefined, 404],
      ['GET', '/v3/OS-EP-FILTER/endpoints/nope/projects', undefined, 404],
      ['PUT', `/v3/OS-EP-FILTER/projects/${q}/endpoints/${ep.e2}`, h.memberToken, 403],
      ['GET', `/v3/OS-EP-FILTER/projects/${q}/endpoints`, h.memberToken, 403],
    ]
    for (const [method, url, token, status] of cases) {
      const r = await h.call(method, url, undefined, token)
      assert.equal(r.status, status, `${method} ${url}`)
      assert.equal(r.json.error.code, status)
    }
    assert.equal((await h.call('HEAD', `/v3/OS-EP-FILTER/projects/${q}/endpoints/${ep.e2}`)).status, 404)
  })
})

describe('[endpoint_filter] return_all_endpoints_if_no_filter = false', () => {
  it('a project without associations gets an empty catalog; one with gets its endpoints', async () => {
    const h = await startResourceHarness({
      sections: { endpoint_filter: { return_all_endpoints_if_no_filter: false } },
    })
    try {
      const q = (await ok(h, 'POST', '/v3/projects', { project: { name: 'q' } })).project.id
      await ok(h, 'POST', '/v3/users', { user: { name: 'u', password: 'pw' } })
      const u = (await ok(h, 'GET', '/v3/users?name=u')).users[0].id
      const member = (await ok(h, 'GET', '/v3/roles?name=member')).roles[0].id
      await ok(h, 'PUT', `/v3/projects/${q}/users/${u}/roles/${member}`)
      assert.deepEqual(await catalogOf(h, 'u', q), [])
      const e = (await ok(h, 'GET', '/v3/endpoints')).endpoints[0].id
      await ok(h, 'PUT', `/v3/OS-EP-FILTER/projects/${q}/endpoints/${e}`)
      assert.deepEqual(await catalogOf(h, 'u', q), [e])
    } finally {
      await h.close()
    }
  })
})
