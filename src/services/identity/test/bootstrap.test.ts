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
