/**
 * Who reads /metrics, as `[metrics]` says: by default admins only on the API port (no
 * token: 401, a member's token: 403, an admin's: the figures); `api_access = public`
 * opens it, `disabled` hides it; `bind_port` serves it on a listener of its own without
 * a token, and that listener counts the API port's requests.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fullSchema } from '../../src/cloud.js'
import { loadConfig } from '../../src/kernel/config/index.js'
import { startTestCloud, type TestCloud } from '../support/test-cloud.js'

async function memberToken(t: TestCloud): Promise<string> {
  const h = { 'x-auth-token': t.adminToken }
  const project = await t.cloud.app.inject({
    method: 'POST',
    url: '/identity/v3/projects',
    headers: h,
    payload: { project: { name: 'watchers' } },
  })
  const projectId = (project.json() as { project: { id: string } }).project.id
  const user = await t.cloud.app.inject({
    method: 'POST',
    url: '/identity/v3/users',
    headers: h,
    payload: { user: { name: 'watcher', password: 'watch-pw' } },
  })
  const userId = (user.json() as { user: { id: string } }).user.id
  const roles = await t.cloud.app.inject({ url: '/identity/v3/roles?name=member', headers: h })
  const roleId = (roles.json() as { roles: Array<{ id: string }> }).roles[0]!.id
  const grant = await t.cloud.app.inject({
    method: 'PUT',
    url: `/identity/v3/projects/${projectId}/users/${userId}/roles/${roleId}`,
    headers: h,
  })
  assert.equal(grant.statusCode, 204, grant.body)
  const token = await t.cloud.app.inject({
    method: 'POST',
    url: '/identity/v3/auth/tokens',
    payload: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'watcher', domain: { id: 'default' }, password: 'watch-pw' } },
        },
        scope: { project: { id: projectId } },
      },
    },
  })
  assert.equal(token.statusCode, 201, token.body)
  return String(token.headers['x-subject-token'])
}

describe('/metrics access', () => {
  it('answers only admins on the API port by default', async () => {
    const t = await startTestCloud('sqlite')
    try {
      const anonymous = await t.cloud.app.inject({ url: '/metrics' })
      assert.equal(anonymous.statusCode, 401)
      assert.equal((anonymous.json() as { error: { code: number } }).error.code, 401)
      assert.doesNotMatch(anonymous.body, /cloudlet_http_requests_total/)
      const forged = await t.cloud.app.inject({ url: '/metrics', headers: { 'x-auth-token': 'not-a-token' } })
      assert.equal(forged.statusCode, 401)
      const member = await t.cloud.app.inject({
        url: '/metrics',
        headers: { 'x-auth-token': await memberToken(t) },
      })
      assert.equal(member.statusCode, 403)
      assert.match((member.json() as { error: { message: string } }).error.message, /admin role/)
      const admin = await t.cloud.app.inject({ url: '/metrics', headers: { 'x-auth-token': t.adminToken } })
      assert.equal(admin.statusCode, 200)
      assert.match(
        admin.body,
        /cloudlet_http_requests_total\{method="POST",route="\/identity\/v3\/auth\/tokens"/,
      )
    } finally {
      await t.close()
    }
  })

  it('answers anyone with api_access = public, and no one with disabled', async () => {
    const open = await startTestCloud('sqlite', { env: { OS_METRICS__API_ACCESS: 'public' } })
    try {
      const res = await open.cloud.app.inject({ url: '/metrics' })
      assert.equal(res.statusCode, 200)
      assert.match(res.body, /cloudlet_process_cpu_seconds_total/)
    } finally {
      await open.close()
    }
    const closed = await startTestCloud('sqlite', { env: { OS_METRICS__API_ACCESS: 'disabled' } })
    try {
      const res = await closed.cloud.app.inject({
        url: '/metrics',
        headers: { 'x-auth-token': closed.adminToken },
      })
      assert.equal(res.statusCode, 404)
    } finally {
      await closed.close()
    }
  })

  it('serves a listener of its own at bind_port, without a token', async () => {
    const t = await startTestCloud('sqlite', {
      listen: true,
      env: { OS_METRICS__BIND_PORT: '0', OS_METRICS__API_ACCESS: 'disabled' },
    })
    try {
      const url = t.cloud.app.metrics?.url ?? ''
      assert.ok(url.startsWith('http://127.0.0.1:'), `metrics listener at ${url}`)
      assert.notEqual(new URL(url).port, new URL(t.cloud.url).port)
      await fetch(`${t.cloud.url}/image/v2/images`, { headers: { 'x-auth-token': t.adminToken } })
      const scraped = await fetch(url)
      assert.equal(scraped.status, 200)
      assert.match(scraped.headers.get('content-type') ?? '', /^text\/plain/)
      assert.match(
        await scraped.text(),
        /cloudlet_http_requests_total\{method="GET",route="\/image\/v2\/images",status="200"\} 1/,
      )
      assert.equal((await fetch(url.replace('/metrics', '/identity/v3'))).status, 404)
      assert.equal((await fetch(`${t.cloud.url}/metrics`)).status, 404)
    } finally {
      await t.close()
    }
  })

  it('refuses an unknown api_access value when the configuration is loaded', () => {
    assert.throws(
      () => loadConfig(fullSchema(), { files: [], env: { OS_METRICS__API_ACCESS: 'everyone' } }),
      /api_access.*must be one of: admin, public, disabled/s,
    )
    assert.throws(
      () => loadConfig(fullSchema(), { files: [], env: { OS_METRICS__BIND_PORT: '99999' } }),
      /bind_port/,
    )
  })
})
