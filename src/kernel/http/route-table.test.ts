/**
 * The kernel route table: 405 with Allow from the table, version windows, body schemas
 * through the one engine, route- and handler-enforced policy.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { BadRequest, computeFault } from '../errors/index.js'
import { VersionList } from '../microversion/index.js'
import { Enforcer } from '../policy/index.js'
import { FakeTokens } from '../testing/index.js'
import { SchemaEngine } from '../validation/index.js'
import { createApp } from './app.js'
import { checkRouteTable, mountRoutes, type Route } from './route-table.js'
import { serviceScope } from './service-scope.js'

const versions = new VersionList([
  { version: '2.1', summary: 'base' },
  { version: '2.2', summary: 'widgets get a color' },
  { version: '2.3', summary: 'PATCH widgets' },
])

const widget = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 5 } },
  required: ['name'],
  additionalProperties: false,
}

const routes: Route<{ seen: string[] }>[] = [
  { method: 'GET', path: '/', public: true, handler: async () => ({ root: true }) },
  { method: 'GET', path: '/widgets', policy: 'w:list', handler: async () => ({ widgets: [] }) },
  {
    method: 'POST',
    path: '/widgets',
    policy: 'w:create',
    body: widget,
    handler: async (req, reply) => reply.code(201).send({ widget: req.body }),
  },
  { method: 'GET', path: '/widgets/detail', policy: 'w:list', handler: async () => ({ widgets: [] }) },
  { method: 'GET', path: '/widgets/:id', max: '2.1', policy: 'w:show', handler: async () => ({ v: 'old' }) },
  { method: 'GET', path: '/widgets/:id', min: '2.2', policy: 'w:show', handler: async () => ({ v: 'new' }) },
  {
    method: 'PATCH',
    path: '/widgets/:id',
    min: '2.3',
    policy: 'w:update',
    enforce: 'handler',
    handler: async (req) => {
      // Enforces against the loaded object, unless asked to forget.
      if (!(req.query as Record<string, string>).forget) req.ctx.can('w:update', { project_id: 'p-own' })
      return { ok: true }
    },
  },
]

describe('route table', () => {
  it('finds routes without a policy, undeclared versions and overlapping windows', () => {
    const bad: Route<unknown>[] = [
      { method: 'GET', path: '/a', handler: async () => ({}) },
      { method: 'GET', path: '/b', min: '2.9', policy: 'x', handler: async () => ({}) },
      { method: 'GET', path: '/c', max: '2.2', policy: 'x', handler: async () => ({}) },
      { method: 'GET', path: '/c', min: '2.2', policy: 'x', handler: async () => ({}) },
    ]
    assert.deepEqual(checkRouteTable(bad, versions), [
      'GET /a has no policy and is not public',
      'GET /b names undeclared microversion 2.9',
      'GET /c: windows [-, 2.2] and [2.2, -] overlap',
    ])
    assert.deepEqual(checkRouteTable(routes, versions), [])
  })

  describe('mounted', async () => {
    const tokens = new FakeTokens()
    const enforcer = new Enforcer(
      ['w:list', 'w:create', 'w:show', 'w:update'].map((name) => ({
        name,
        checkStr: name === 'w:update' ? 'role:member and project_id:%(project_id)s' : 'role:reader',
      })),
      { enforceScope: false, enforceNewDefaults: true },
    )
    const engine = new SchemaEngine()
    const app = createApp({ logger: false, metrics: false })
    await app.register(
      async (scope) => {
        serviceScope(scope, { serviceType: 'compute', renderFault: computeFault, tokens, enforcer, versions })
        mountRoutes(scope, routes, {
          deps: { seen: [] },
          versions,
          validateBody: (req, schema) => {
            const errors = engine.validate(schema, req.body)
            if (errors) throw new BadRequest(`Invalid input: ${errors[0]!.message}`)
          },
        })
      },
      { prefix: '/compute' },
    )
    after(() => app.close())
    const call = (method: string, url: string, as?: string, body?: unknown, version = '2.3') =>
      app.inject({
        method: method as 'GET',
        url: `/compute${url}`,
        headers: { 'openstack-api-version': `compute ${version}`, ...(as ? { 'x-auth-token': as } : {}) },
        ...(body === undefined ? {} : { payload: body as object }),
      })

    it('answers a method the path lacks with 405 and Allow, before asking for a token', async () => {
      const res = await call('DELETE', '/widgets')
      assert.equal(res.statusCode, 405)
      assert.equal(res.headers.allow, 'GET, POST, HEAD')
      assert.equal(res.json().badMethod.code, 405)
    })

    it('finds the 405 path as the router would: static segments first, a trailing slash ignored', async () => {
      // PUT has no route anywhere: /widgets/detail (static) wins over /widgets/:id.
      const detail = await call('PUT', '/widgets/detail')
      assert.equal(detail.statusCode, 405)
      assert.equal(detail.headers.allow, 'GET, HEAD')
      const byId = await call('PUT', '/widgets/w1/')
      assert.equal(byId.statusCode, 405)
      assert.equal(byId.headers.allow, 'GET, PATCH, HEAD')
      // A path no table knows: a 404 (after authentication), not a 405.
      assert.equal((await call('PUT', '/gadgets')).statusCode, 401)
      assert.equal((await call('PUT', '/gadgets', 'project-reader')).statusCode, 404)
      assert.equal((await call('PUT', '/widgets/w1/parts', 'project-reader')).statusCode, 404)
    })

    it('requires a token on private routes only', async () => {
      assert.equal((await call('GET', '/')).statusCode, 200)
      assert.equal((await call('GET', '/widgets')).statusCode, 401)
      assert.equal((await call('GET', '/widgets', 'project-reader')).statusCode, 200)
    })

    it('picks the handler by microversion and 404s outside every window', async () => {
      assert.equal((await call('GET', '/widgets/1', 'project-reader', undefined, '2.1')).json().v, 'old')
      assert.equal((await call('GET', '/widgets/1', 'project-reader', undefined, '2.2')).json().v, 'new')
      assert.equal((await call('PATCH', '/widgets/1', 'project-member', {}, '2.2')).statusCode, 404)
    })

    it('validates bodies with the schema engine, in the service format', async () => {
      const long = await call('POST', '/widgets', 'project-member', { name: 'toolong' })
      assert.equal(long.statusCode, 400)
      assert.match(long.json().badRequest.message, /must NOT have more than 5 characters/)
      const typed = await call('POST', '/widgets', 'project-member', { name: 5 })
      assert.equal(typed.statusCode, 400, 'no type coercion')
      assert.equal((await call('POST', '/widgets', 'project-member', { name: 'ok' })).statusCode, 201)
    })

    it('enforces route policies before the handler and proves handler-enforced ones', async () => {
      assert.equal((await call('GET', '/widgets', 'nobody')).statusCode, 401)
      assert.equal((await call('PATCH', '/widgets/1', 'project-member', {})).statusCode, 200)
      assert.equal((await call('PATCH', '/widgets/1', 'other-project-member', {})).statusCode, 403)
      // A handler that returns without enforcing its declared policy is a server error, not a leak.
      const forgot = await call('PATCH', '/widgets/1?forget=1', 'project-member', {})
      assert.equal(forgot.statusCode, 500)
    })
  })
})
