/**
 * Bad input never gets a 500. Every route of a whole cloud (identity, placement, image)
 * is called with malformed JSON, bodies of the wrong type, garbage path parameters and
 * no token, as an admin and anonymously; every answer must be a 4xx (or a success), in
 * a JSON body.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type Cloud, startCloud } from '../../src/cloud.js'

interface Route {
  method: string
  url: string
}

const BODIES: Array<[string, string]> = [
  ['malformed JSON', '{"a": '],
  ['a JSON array', '[1, 2]'],
  ['a JSON string', '"text"'],
  ['a JSON number', '42'],
  ['null', 'null'],
  [
    'wrong nested types',
    '{"user": 5, "project": [], "image": "x", "name": {"a": 1}, "resource_provider": null, "inventories": "no", "allocations": 7, "auth": {"identity": 3}}',
  ],
  ['deep nesting', `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`],
]

const GARBAGE_QUERIES = [
  '?limit=-1&marker=nope&sort_key=zzz&sort_dir=sideways',
  '?limit=99999999999999999999&sort=name:up,status:&created_at=gte:notadate&size_min=abc',
  '?member_of=in:&resources=VCPU:abc&required=!&in_tree=x&group_policy=maybe&same_subtree=_',
  '?name=%ff%fe&enabled=perhaps&domain_id=&parent_id=..&visibility=everyone&tag=',
  '?effective&include_names=maybe&scope.project.id=x&user.id=&include_subtree=1',
]

const GARBAGE_PARAMS = ['x', '%00', "'or'1'='1", 'a'.repeat(300), '..%2F..%2Fetc']

describe('no request gets a 5xx', () => {
  let cloud: Cloud
  let dataDir: string
  let adminToken: string
  const routes: Route[] = []

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cloudlet-no500-'))
    cloud = await startCloud({
      dataDir,
      port: 0,
      logger: false,
      env: { OS_IDENTITY__PASSWORD_HASH_ROUNDS: '4' },
      onRoute: (r) => routes.push(r),
    })
    await cloud.identity!.bootstrap({
      adminUsername: 'admin',
      adminPassword: 'pw',
      adminProjectName: 'admin',
      regionId: 'RegionOne',
      services: cloud.services.map((s) => ({
        type: s.serviceType,
        name: s.name,
        url: `${cloud.url}${s.prefix}`,
      })),
    })
    const res = await cloud.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: 'pw' } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    })
    assert.equal(res.statusCode, 201)
    adminToken = String(res.headers['x-subject-token'])
  })
  after(async () => {
    await cloud?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('covers the routes of every service', () => {
    for (const prefix of ['/identity/v3/', '/placement/', '/image/v2/']) {
      assert.ok(routes.filter((r) => r.url.startsWith(prefix)).length > 10, `routes under ${prefix}`)
    }
  })

  it('answers every route with malformed or mistyped input without a server error', async () => {
    const failures: string[] = []
    let calls = 0
    for (const route of routes) {
      if (route.method === 'HEAD' || route.method === 'OPTIONS' || route.url.startsWith('/metrics')) continue
      const urls = new Set<string>()
      for (const garbage of GARBAGE_PARAMS)
        urls.add(route.url.replace(/:[A-Za-z_]+/g, garbage).replace(/\*/g, garbage))
      if (route.method === 'GET' && !route.url.includes(':'))
        for (const q of GARBAGE_QUERIES) urls.add(route.url + q)
      const bodies: Array<[string, string | undefined]> =
        route.method === 'GET' || route.method === 'DELETE' ? [['no body', undefined]] : BODIES
      for (const url of urls) {
        for (const [what, body] of bodies) {
          for (const token of [adminToken, undefined]) {
            const res = await cloud.app.inject({
              method: route.method as 'GET',
              url,
              payload: body,
              headers: {
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
                ...(token ? { 'x-auth-token': token } : {}),
                'openstack-api-version': url.startsWith('/placement') ? 'placement latest' : 'image 2.16',
              },
            })
            calls++
            if (res.statusCode >= 500)
              failures.push(
                `${route.method} ${url} (${what}, ${token ? 'admin' : 'anonymous'}): ${res.statusCode} ${res.body.slice(0, 200)}`,
              )
          }
        }
      }
    }
    console.log(`${calls} calls over ${routes.length} routes`)
    assert.ok(calls > 1000, `made ${calls} calls`)
    assert.deepEqual(failures, [])
  })
})
