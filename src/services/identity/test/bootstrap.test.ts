/**
 * Bootstrap run again, as every `cloudlet up` restart runs it: it resets the admin's
 * password as upstream's bootstrap does, unless the caller hands back the password hash
 * the last bootstrap left and the admin's password still carries it (no bcrypt then).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../../../kernel/db/testing.js'
import { startTestHost, type TestHost } from '../../../kernel/testing/index.js'
import { identityModule } from '../module.js'

const BASE = {
  adminUsername: 'admin',
  adminProjectName: 'admin',
  regionId: 'RegionOne',
  services: [{ type: 'identity', name: 'keystone', url: 'http://cloud.test/identity' }],
}

let tdb: TestDatabase
let t: TestHost
before(async () => {
  tdb = await createTestDatabase('sqlite')
  t = await startTestHost({
    modules: [identityModule],
    config: { database: { connection: tdb.connection }, identity: { password_hash_rounds: 4 } },
  })
})
after(async () => {
  await t?.close()
  await tdb?.drop()
})

async function canLogIn(password: string): Promise<boolean> {
  const res = await t.host.app.inject({
    method: 'POST',
    url: '/identity/v3/auth/tokens',
    payload: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password } },
        },
      },
    },
  })
  return res.statusCode === 201
}

// NOTE: first, while the admin's password has never been reset: a reset revokes the
// admin's tokens of that second, as Keystone's revocation events do.
describe('bootstrap', () => {
  it("makes Keystone's chain of implied roles, and takes out the direct admin > member", async () => {
    const admin = t.host.capability('identityAdmin')!
    const { adminPasswordHash } = await admin.bootstrap({ ...BASE, adminPassword: 'first-secret' })
    let token = await projectToken('first-secret')
    const call = (method: 'GET' | 'PUT', url: string) =>
      t.host.app.inject({
        method,
        url: `/identity/v3${url}`,
        headers: { host: 'cloud.test', 'x-auth-token': token },
      })
    const chain = async () => {
      const res = await call('GET', '/role_inferences')
      assert.equal(res.statusCode, 200, res.body)
      const body = res.json() as {
        role_inferences: { prior_role: { name: string }; implies: { name: string }[] }[]
      }
      return body.role_inferences
        .flatMap((r) => r.implies.map((i) => `${r.prior_role.name}>${i.name}`))
        .sort()
    }
    assert.deepEqual(await chain(), ['admin>manager', 'manager>member', 'member>reader'])

    // A data directory an earlier bootstrap left with admin > member directly.
    const roles = ((await call('GET', '/roles')).json() as { roles: { id: string; name: string }[] }).roles
    const id = (name: string) => roles.find((r) => r.name === name)!.id
    assert.equal((await call('PUT', `/roles/${id('admin')}/implies/${id('member')}`)).statusCode, 201)
    assert.ok((await chain()).includes('admin>member'))
    await admin.bootstrap({
      ...BASE,
      adminPassword: 'first-secret',
      ...(adminPasswordHash ? { adminPasswordHash } : {}),
    })
    // NOTE: taking an implication out revokes the tokens issued up to that second (their
    // role lists were expanded through it); a token of the next second reads the result.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    token = await projectToken('first-secret')
    assert.deepEqual(await chain(), ['admin>manager', 'manager>member', 'member>reader'])
  })
})

describe('bootstrap again', () => {
  it('trusts an unchanged password hash, and resets a password that changed', async () => {
    const admin = t.host.capability('identityAdmin')!
    const first = await admin.bootstrap({ ...BASE, adminPassword: 'first-secret' })
    assert.ok(first.adminPasswordHash)

    // The hash still matches: the password is taken as unchanged (not even checked).
    const same = await admin.bootstrap({
      ...BASE,
      adminPassword: 'not-checked',
      adminPasswordHash: first.adminPasswordHash,
    })
    assert.equal(same.adminPasswordHash, first.adminPasswordHash)
    assert.equal(await canLogIn('first-secret'), true)
    assert.equal(await canLogIn('not-checked'), false)

    // Without the hash: checked, found different, reset (upstream's bootstrap).
    const reset = await admin.bootstrap({ ...BASE, adminPassword: 'second-secret' })
    assert.notEqual(reset.adminPasswordHash, first.adminPasswordHash)
    assert.equal(await canLogIn('second-secret'), true)

    // A stale hash (the password changed since): checked again and reset.
    const back = await admin.bootstrap({
      ...BASE,
      adminPassword: 'first-secret',
      adminPasswordHash: first.adminPasswordHash,
    })
    assert.equal(await canLogIn('first-secret'), true)
    assert.notEqual(back.adminPasswordHash, reset.adminPasswordHash)
  })
})

describe('bootstrap with [identity] bootstrap_manager_role off', () => {
  it("makes Keystone Zed's chain, and turns a 2023.2 chain into it", async () => {
    const db = await createTestDatabase('sqlite')
    const hostWith = (managerRole: boolean) =>
      startTestHost({
        modules: [identityModule],
        config: {
          database: { connection: db.connection },
          identity: { password_hash_rounds: 4, bootstrap_manager_role: managerRole },
        },
      })
    const chainOf = async (h: TestHost) => {
      const admin = h.host.capability('identityAdmin')!
      await admin.bootstrap({ ...BASE, adminPassword: 'zed-secret' })
      const token = await projectToken('zed-secret', h)
      const get = (url: string) =>
        h.host.app.inject({
          method: 'GET',
          url: `/identity/v3${url}`,
          headers: { host: 'cloud.test', 'x-auth-token': token },
        })
      const inferences = (await get('/role_inferences')).json() as {
        role_inferences: { prior_role: { name: string }; implies: { name: string }[] }[]
      }
      const roles = (await get('/roles')).json() as { roles: { name: string }[] }
      return {
        chain: inferences.role_inferences
          .flatMap((r) => r.implies.map((i) => `${r.prior_role.name}>${i.name}`))
          .sort(),
        roles: roles.roles.map((r) => r.name).sort(),
      }
    }
    try {
      const newer = await hostWith(true)
      try {
        assert.deepEqual((await chainOf(newer)).chain, ['admin>manager', 'manager>member', 'member>reader'])
      } finally {
        await newer.close()
      }
      const zed = await hostWith(false)
      try {
        // NOTE: the implications taken out revoke the tokens of that second.
        await zed.host.capability('identityAdmin')!.bootstrap({ ...BASE, adminPassword: 'zed-secret' })
        await new Promise((resolve) => setTimeout(resolve, 1100))
        const seen = await chainOf(zed)
        assert.deepEqual(seen.chain, ['admin>member', 'member>reader'])
        // The manager role an earlier bootstrap made stays (it may hold assignments).
        assert.deepEqual(seen.roles, ['admin', 'manager', 'member', 'reader', 'service'])
      } finally {
        await zed.close()
      }
    } finally {
      await db.drop()
    }
  })

  it('makes no manager role on a fresh data directory', async () => {
    const db = await createTestDatabase('sqlite')
    const h = await startTestHost({
      modules: [identityModule],
      config: {
        database: { connection: db.connection },
        identity: { password_hash_rounds: 4, bootstrap_manager_role: false },
      },
    })
    try {
      await h.host.capability('identityAdmin')!.bootstrap({ ...BASE, adminPassword: 'zed-secret' })
      const token = await projectToken('zed-secret', h)
      const res = await h.host.app.inject({
        method: 'GET',
        url: '/identity/v3/roles',
        headers: { host: 'cloud.test', 'x-auth-token': token },
      })
      const names = (res.json() as { roles: { name: string }[] }).roles.map((r) => r.name).sort()
      assert.deepEqual(names, ['admin', 'member', 'reader', 'service'])
    } finally {
      await h.close()
      await db.drop()
    }
  })
})

async function projectToken(password: string, on: TestHost = t): Promise<string> {
  const res = await on.host.app.inject({
    method: 'POST',
    url: '/identity/v3/auth/tokens',
    headers: { host: 'cloud.test' },
    payload: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    },
  })
  assert.equal(res.statusCode, 201)
  return res.headers['x-subject-token'] as string
}
