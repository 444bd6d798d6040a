/**
 * Keystone behaviours tempest relies on that are easy to get subtly wrong: the legacy
 * `region` of an endpoint, ec2 credential updates, is_domain projects through the
 * project API, and application credential expiry rendering.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
before(async () => {
  h = await startResourceHarness()
})
after(async () => h?.close())

const rnd = () => Math.random().toString(36).slice(2, 8)

describe('endpoints: legacy region', () => {
  it('`region` naming an unknown region creates it; `region_id` does not', async () => {
    const s = (await h.call('POST', '/v3/services', { service: { type: `t-${rnd()}` } })).json.service
    const region = `r-${rnd()}`
    const byId = await h.call('POST', '/v3/endpoints', {
      endpoint: { service_id: s.id, interface: 'public', url: 'http://a', region_id: region },
    })
    assert.equal(byId.status, 400)
    assert.equal((await h.call('GET', `/v3/regions/${region}`)).status, 404, 'nothing half-written')

    const legacy = await h.call('POST', '/v3/endpoints', {
      endpoint: { service_id: s.id, interface: 'public', url: 'http://a', region },
    })
    assert.equal(legacy.status, 201, JSON.stringify(legacy.json))
    assert.equal(legacy.json.endpoint.region_id, region)
    assert.equal(legacy.json.endpoint.region, region)
    assert.equal((await h.call('GET', `/v3/regions/${region}`)).status, 200)

    const region2 = `r-${rnd()}`
    const upd = await h.call('PATCH', `/v3/endpoints/${legacy.json.endpoint.id}`, {
      endpoint: { region: region2, enabled: false },
    })
    assert.equal(upd.status, 200, JSON.stringify(upd.json))
    assert.equal(upd.json.endpoint.region_id, region2)

    const orphan = `r-${rnd()}`
    const noService = await h.call('POST', '/v3/endpoints', {
      endpoint: { service_id: 'nope', interface: 'public', url: 'http://a', region: orphan },
    })
    assert.equal(noService.status, 400)
    assert.equal(
      (await h.call('GET', `/v3/regions/${orphan}`)).status,
      404,
      'a failed create leaves no region',
    )
  })
})

describe('ec2 credentials: update', () => {
  it('access and secret may change; the scoping keys may not', async () => {
    const me = (await h.call('GET', '/v3/users?name=admin')).json.users[0]
    const project = (await h.call('GET', '/v3/projects?name=admin')).json.projects[0]
    const blob = (o: Record<string, unknown>) => JSON.stringify(o)
    const c = await h.call('POST', '/v3/credentials', {
      credential: {
        user_id: me.id,
        project_id: project.id,
        type: 'ec2',
        blob: blob({ access: 'a1', secret: 's1' }),
      },
    })
    assert.equal(c.status, 201)
    const id = c.json.credential.id
    const ok = await h.call('PATCH', `/v3/credentials/${id}`, {
      credential: { type: 'ec2', blob: blob({ access: 'a2', secret: 's2' }) },
    })
    assert.equal(ok.status, 200, JSON.stringify(ok.json))
    assert.equal(ok.json.credential.id, id)
    assert.equal(JSON.parse(ok.json.credential.blob).access, 'a2')
    for (const key of ['trust_id', 'app_cred_id', 'access_token_id', 'access_id']) {
      const r = await h.call('PATCH', `/v3/credentials/${id}`, {
        credential: { blob: blob({ access: 'a3', secret: 's3', [key]: 'x' }) },
      })
      assert.equal(r.status, 400, key)
      assert.match(r.json.error.message, new RegExp(key))
    }
    const noAccess = await h.call('PATCH', `/v3/credentials/${id}`, {
      credential: { blob: blob({ secret: 's3' }) },
    })
    assert.equal(noAccess.status, 400)
    assert.equal(JSON.parse((await h.call('GET', `/v3/credentials/${id}`)).json.credential.blob).access, 'a2')
  })
})

describe('projects acting as domains', () => {
  it('are shown, updated and (once disabled) deleted through /v3/projects', async () => {
    const c = await h.call('POST', '/v3/projects', { project: { name: `isd-${rnd()}`, is_domain: true } })
    assert.equal(c.status, 201)
    const id = c.json.project.id
    const got = await h.call('GET', `/v3/projects/${id}`)
    assert.equal(got.status, 200)
    assert.equal(got.json.project.is_domain, true)
    assert.equal(got.json.project.domain_id, null)
    assert.equal((await h.call('DELETE', `/v3/projects/${id}`)).status, 403, 'an enabled domain')
    const off = await h.call('PATCH', `/v3/projects/${id}`, { project: { enabled: false } })
    assert.equal(off.status, 200)
    assert.equal((await h.call('GET', `/v3/domains/${id}`)).json.domain.enabled, false)
    assert.equal((await h.call('DELETE', `/v3/projects/${id}`)).status, 204)
    assert.equal((await h.call('GET', `/v3/domains/${id}`)).status, 404)
  })
})

describe('application credentials: expires_at', () => {
  it('keeps microseconds and renders a naive UTC time, as Keystone', async () => {
    const me = (await h.call('GET', '/v3/users?name=demo')).json.users[0]
    const url = `/v3/users/${me.id}/application_credentials`
    const expires = `${new Date(Date.now() + 3600_000).toISOString().slice(0, 19)}.123456`
    const ac = await h.call(
      'POST',
      url,
      { application_credential: { name: `ac-${rnd()}`, expires_at: expires } },
      h.memberToken,
    )
    assert.equal(ac.status, 201, JSON.stringify(ac.json))
    assert.equal(ac.json.application_credential.expires_at, expires)
    const got = await h.call('GET', `${url}/${ac.json.application_credential.id}`, undefined, h.memberToken)
    assert.equal(got.json.application_credential.expires_at, expires)

    const offset = await h.call(
      'POST',
      url,
      { application_credential: { name: `ac-${rnd()}`, expires_at: '2099-01-01T02:00:00.5+02:00' } },
      h.memberToken,
    )
    assert.equal(offset.json.application_credential.expires_at, '2099-01-01T00:00:00.500000')

    const past = await h.call(
      'POST',
      url,
      { application_credential: { name: `ac-${rnd()}`, expires_at: '2001-01-01T00:00:00Z' } },
      h.memberToken,
    )
    assert.equal(past.status, 400)
  })
})

describe('security compliance: lockout and password history (tempest settings)', () => {
  let s: ResourceHarness
  before(async () => {
    s = await startResourceHarness({
      security: { lockout_failure_attempts: 2, lockout_duration: 1, unique_last_password_count: 2 },
    })
  })
  after(async () => s?.close())

  it('locks after 2 failures, even for the right password, until lockout_duration passes', async () => {
    const name = `u-${rnd()}`
    const user = (await s.call('POST', '/v3/users', { user: { name, password: 'right-1' } })).json.user
    await s.token(name, 'right-1')
    for (let i = 0; i < 2; i++) await assert.rejects(s.token(name, 'wrong'), /401/)
    await assert.rejects(s.token(name, 'right-1'), /401/, 'locked')
    await new Promise((r) => setTimeout(r, 1100))
    await s.token(name, 'right-1')
    assert.equal(user.name, name)
  })

  it('self-service: the current and the previous password cannot be reused; admin reset may', async () => {
    const name = `u-${rnd()}`
    const user = (await s.call('POST', '/v3/users', { user: { name, password: 'p0' } })).json.user
    const change = (original: string, password: string) =>
      s.call(
        'POST',
        `/v3/users/${user.id}/password`,
        { user: { original_password: original, password } },
        null,
      )
    assert.equal((await change('p0', 'p1')).status, 204)
    assert.equal((await change('p1', 'p1')).status, 400)
    assert.equal((await change('p1', 'p0')).status, 400)
    assert.equal((await change('p1', 'p2')).status, 204)
    assert.equal((await change('p2', 'p3')).status, 204)
    assert.equal((await change('p3', 'p1')).status, 204, 'p1 is older than the last two')
    const reset = await s.call('PATCH', `/v3/users/${user.id}`, { user: { password: 'p1' } })
    assert.equal(reset.status, 200, 'the admin reset does not check history')
    await s.token(name, 'p1')
  })
})
