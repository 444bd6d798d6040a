import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { AuthenticatedIdentity, TokenValidator } from '../auth/index.js'
import { apiWgFault, BadRequest, keystoneFault, Unauthorized } from '../errors/index.js'
import { VersionList } from '../microversion/index.js'
import { Enforcer } from '../policy/index.js'
import { createApp } from './app.js'
import { mountRoutes } from './route-table.js'
import { serviceScope } from './service-scope.js'

const identities: Record<string, AuthenticatedIdentity> = {
  'admin-token': { user_id: 'u-admin', project_id: 'p1', roles: ['admin', 'member', 'reader'] },
  'reader-token': { user_id: 'u-reader', project_id: 'p1', roles: ['reader'] },
}
const tokens: TokenValidator = {
  async validate(token) {
    const identity = identities[token]
    if (!identity) throw new Unauthorized('The request you have made requires authentication.')
    return identity
  },
}
const enforcer = new Enforcer([{ name: 'thing:create', checkStr: 'role:admin' }], {
  enforceScope: false,
  enforceNewDefaults: true,
})

function build(options: Parameters<typeof createApp>[0] = {}): FastifyInstance {
  const app = createApp({ logger: false, bodyLimit: 1024, ...options })
  app.register(
    async (scope) => {
      serviceScope(scope, {
        serviceType: 'identity',
        renderFault: keystoneFault,
        tokens,
        enforcer,
        unauthorizedHeaders: () => ({ 'www-authenticate': 'Keystone uri="http://localhost/identity"' }),
      })
      scope.get('/public', { config: { public: true } }, async () => ({ ok: true }))
      scope.post('/things', async (req, reply) => {
        req.ctx.can('thing:create')
        const body = req.body as { thing?: { name?: unknown } } | undefined
        if (typeof body?.thing?.name !== 'string') throw new BadRequest("'name' is a required property")
        return reply.code(201).send({ thing: { name: body.thing.name } })
      })
      scope.get('/boom', async () => {
        throw new Error('secret internal detail')
      })
      mountRoutes(
        scope,
        [
          {
            method: 'GET',
            path: '/things/:id',
            policy: 'thing:create',
            handler: async (req) => ({ id: (req.params as { id: string }).id }),
          },
        ],
        { deps: undefined },
      )
    },
    { prefix: '/identity' },
  )
  app.register(
    async (scope) => {
      serviceScope(scope, {
        serviceType: 'placement',
        renderFault: apiWgFault,
        versions: new VersionList([
          { version: '1.0', summary: 'base' },
          { version: '1.1', summary: 'next' },
        ]),
        authenticate: async () => ({ user_id: 'admin', roles: ['admin'] }),
      })
      scope.get('/', async (req) => ({ version: String(req.version) }))
    },
    { prefix: '/placement' },
  )
  return app
}

describe('kernel HTTP app', () => {
  const cases: Array<{
    name: string
    method: 'GET' | 'POST' | 'PUT' | 'HEAD'
    url: string
    token?: string
    body?: string
    headers?: Record<string, string>
    status: number
    check?: (json: Record<string, unknown>, headers: Record<string, unknown>) => void
  }> = [
    { name: 'public route answers without a token', method: 'GET', url: '/identity/public', status: 200 },
    {
      name: 'missing token is 401 in Keystone format with WWW-Authenticate',
      method: 'POST',
      url: '/identity/things',
      body: '{"thing": {"name": "x"}}',
      status: 401,
      check: (json, headers) => {
        assert.deepEqual(Object.keys(json.error as object).sort(), ['code', 'message', 'title'])
        assert.equal((json.error as { code: number }).code, 401)
        assert.match(String(headers['www-authenticate']), /^Keystone uri=/)
      },
    },
    {
      name: 'garbage token is 401',
      method: 'POST',
      url: '/identity/things',
      token: 'nope',
      body: '{}',
      status: 401,
    },
    {
      name: 'policy denial is 403',
      method: 'POST',
      url: '/identity/things',
      token: 'reader-token',
      body: '{"thing":{"name":"x"}}',
      status: 403,
    },
    {
      name: 'malformed JSON is 400 in Keystone format',
      method: 'POST',
      url: '/identity/things',
      token: 'admin-token',
      body: '{"thing": ',
      status: 400,
      check: (json) => assert.equal((json.error as { title: string }).title, 'Bad Request'),
    },
    {
      name: 'domain validation error is 400',
      method: 'POST',
      url: '/identity/things',
      token: 'admin-token',
      body: '{"thing": {}}',
      status: 400,
    },
    {
      name: 'oversized body is 413',
      method: 'POST',
      url: '/identity/things',
      token: 'admin-token',
      body: JSON.stringify({ thing: { name: 'x'.repeat(2000) } }),
      status: 413,
    },
    {
      name: 'wrong content type is 415',
      method: 'POST',
      url: '/identity/things',
      token: 'admin-token',
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
    },
    {
      name: 'valid create is 201',
      method: 'POST',
      url: '/identity/things',
      token: 'admin-token',
      body: '{"thing":{"name":"x"}}',
      status: 201,
    },
    {
      name: 'unexpected errors are a generic 500 without details',
      method: 'GET',
      url: '/identity/boom',
      token: 'admin-token',
      status: 500,
      check: (json) => assert.doesNotMatch(JSON.stringify(json), /secret internal detail/),
    },
    {
      name: 'unsupported method is 405 with Allow',
      method: 'PUT',
      url: '/identity/things/1',
      token: 'admin-token',
      body: '{}',
      status: 405,
      check: (_json, headers) => assert.equal(headers.allow, 'GET, HEAD'),
    },
    {
      name: 'unknown path inside a service is 404 in its format',
      method: 'GET',
      url: '/identity/nowhere',
      token: 'admin-token',
      status: 404,
    },
    {
      name: 'placement errors use the API-WG format with request_id',
      method: 'GET',
      url: '/placement/',
      headers: { 'openstack-api-version': 'placement 9.9' },
      status: 406,
      check: (json) => {
        const [e] = json.errors as Array<Record<string, unknown>>
        assert.equal(e?.status, 406)
        assert.match(String(e?.request_id), /^req-/)
      },
    },
    {
      name: 'microversion is negotiated and echoed with Vary',
      method: 'GET',
      url: '/placement/',
      headers: { 'openstack-api-version': 'placement latest' },
      status: 200,
      check: (json, headers) => {
        assert.equal(json.version, '1.1')
        assert.equal(headers['openstack-api-version'], 'placement 1.1')
        assert.match(String(headers.vary), /openstack-api-version/)
      },
    },
  ]

  for (const c of cases) {
    it(c.name, async () => {
      const app = build()
      const res = await app.inject({
        method: c.method,
        url: c.url,
        payload: c.body,
        headers: {
          ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(c.token ? { 'x-auth-token': c.token } : {}),
          ...c.headers,
        },
      })
      assert.equal(res.statusCode, c.status, res.body)
      assert.match(String(res.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/)
      if (res.body) assert.equal(res.headers['content-type'], 'application/json')
      c.check?.(res.body ? res.json() : {}, res.headers)
      await app.close()
    })
  }

  it('HEAD on an error gets the status and no body', async () => {
    const app = build()
    const res = await app.inject({ method: 'HEAD', url: '/identity/things/1' })
    assert.equal(res.statusCode, 401)
    assert.equal(res.body, '')
    await app.close()
  })

  it('serves /healthcheck and Prometheus /metrics', async () => {
    const app = build({ metrics: { access: 'public' } })
    assert.equal((await app.inject({ url: '/healthcheck' })).body, 'OK')
    await app.inject({ url: '/identity/public' })
    const metrics = await app.inject({ url: '/metrics' })
    assert.match(
      metrics.body,
      /cloudlet_http_requests_total\{method="GET",route="\/identity\/public",status="200"\} 1/,
    )
    await app.close()
  })

  it('serves /metrics to admins only by default', async () => {
    const app = build({ metrics: { tokens } })
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 401)
    const reader = await app.inject({ url: '/metrics', headers: { 'x-auth-token': 'reader-token' } })
    assert.equal(reader.statusCode, 403)
    assert.equal(reader.json().error.title, 'Forbidden')
    const admin = await app.inject({ url: '/metrics', headers: { 'x-auth-token': 'admin-token' } })
    assert.equal(admin.statusCode, 200)
    assert.match(admin.body, /cloudlet_http_requests_total/)
    await app.close()
  })
})

describe('405 from the route table', () => {
  it('answers every method a path lacks, HEAD included for a path without GET', async () => {
    const app = createApp({ logger: false })
    app.register(
      async (scope) => {
        serviceScope(scope, { serviceType: 'identity', renderFault: keystoneFault, tokens, enforcer })
        mountRoutes(
          scope,
          [{ method: 'POST', path: '/only-post', public: true, handler: async () => ({ ok: true }) }],
          {
            deps: undefined,
          },
        )
      },
      { prefix: '/x' },
    )
    await app.ready()
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/x/only-post' })
      assert.equal(res.statusCode, 405, method)
      assert.equal(res.headers.allow, 'POST')
    }
    await app.close()
  })
})

describe('requests the HTTP parser refuses', () => {
  it('answer in the fault format of the service the path names', async () => {
    const app = build()
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as import('node:net').AddressInfo
    const raw = async (path: string) => {
      const net = await import('node:net')
      return new Promise<string>((done) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: hi mom\r\n\r\n{}`,
          )
        })
        let data = ''
        socket.on('data', (c) => {
          data += c
        })
        socket.on('close', () => done(data))
      })
    }
    const placement = await raw('/placement/resource_providers')
    assert.match(placement, /^HTTP\/1.1 400/)
    assert.match(placement, /"errors":\[\{"status":400.*content-length header must be an integer/)
    const identity = await raw('/identity/v3/users')
    assert.match(identity, /"error":\{"code":400,"title":"Bad Request"/)
    await app.close()
  })
})
