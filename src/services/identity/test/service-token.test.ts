/**
 * The service token identity provides to the host: another module's ServiceClient
 * reaches identity's authenticated routes with it, as the bootstrap admin on the
 * system scope; before bootstrap the call fails with a clear error.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { defineSections } from '../../../kernel/config/index.js'
import type { AnyServiceModule, ServiceClient } from '../../../kernel/host/index.js'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import type { Authenticator } from '../domain/auth.js'
import { ServiceToken } from '../domain/service-token.js'
import { identityModule } from '../module.js'

let client: ServiceClient
/** A module that only calls identity, as compute will call placement. */
const caller: AnyServiceModule = {
  name: 'caller',
  serviceType: 'caller',
  prefix: '/caller',
  configSchema: defineSections({}),
  migrations: [],
  roles: [],
  create: async (ctx) => {
    client = ctx.client('identity')
    return {}
  },
}

let t: TestHost
before(async () => {
  t = await startTestHost({
    modules: [identityModule, caller],
    config: { identity: { password_hash_rounds: 4 } },
  })
})
after(async () => t.close())

describe('the service token', () => {
  it('is refused with a clear error before bootstrap', async () => {
    await assert.rejects(client.get('/v3/users'), /identity has not been bootstrapped/)
  })

  it("reaches an admin-only route from another module's client once identity is bootstrapped", async () => {
    await t.host.capability('identityAdmin')!.bootstrap({
      adminUsername: 'admin',
      adminPassword: 'secret-admin',
      adminProjectName: 'admin',
      regionId: 'RegionOne',
      services: [],
    })
    const users = await client.get<{ users: { name: string }[] }>('/v3/users')
    assert.deepEqual(
      users.users.map((u) => u.name),
      ['admin'],
    )
    const system = await client.get<{ system: unknown[] }>('/v3/auth/system')
    assert.deepEqual(system.system, [{ all: true }])
  })

  it('is a token of the bootstrap admin on its project, kept between calls', async () => {
    const issue = t.host.capability('serviceToken')!
    const token = await issue()
    assert.equal(await issue(), token)
    const res = await t.call('GET', '/identity/v3/auth/tokens', {
      as: token,
      headers: { 'x-subject-token': token },
    })
    assert.equal(res.status, 200)
    assert.equal(res.body.token.user.name, 'admin')
    // Project-scoped, as upstream's service users: placement accepts project scope only.
    assert.equal(res.body.token.project.name, 'admin')
    assert.equal(res.body.token.system, undefined)
    assert.ok(res.body.token.roles.some((r: { name: string }) => r.name === 'admin'))
  })
})

describe('ServiceToken', () => {
  it('issues once for concurrent callers and again only near expiry', async () => {
    let now = 0
    let issued = 0
    const authenticator = {
      issueServiceToken: async (userId: string) => {
        issued++
        return { id: `${userId}-${issued}`, expiresAtMs: now + 3_600_000 }
      },
    } as unknown as Authenticator
    const st = new ServiceToken({
      serviceActor: async () => ({ userId: 'u', projectId: 'p' }),
      authenticator,
      now: () => now,
    })
    assert.deepEqual(await Promise.all([st.get(), st.get()]), ['u-1', 'u-1'])
    now = 3_600_000 - 61_000
    assert.equal(await st.get(), 'u-1')
    now = 3_600_000 - 59_000
    assert.equal(await st.get(), 'u-2')
    assert.equal(issued, 2)
  })
})
