/**
 * The delegation findings of issue 11, each reproduced as the attacker did it, with
 * identity and image mounted on one app the way a cloud process runs them:
 *
 * - a token from a deleted application credential, or from a deleted trust, or from a
 *   trust whose trustor or trustee was deleted, must stop working everywhere (401);
 * - a restricted application credential may not create application credentials or
 *   trusts (403, Keystone's wording);
 * - a trust-scoped token carries the delegated roles and the roles they imply;
 * - `GET /v3/credentials?user_id=` honours the filter;
 * - redelegation follows Keystone's rules (allow_redelegation, redelegation_count,
 *   remaining_uses, expiry, roles, impersonation).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { enabledDialects } from '../../../kernel/db/testing.js'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
const rnd = () => Math.random().toString(36).slice(2, 8)

interface Person {
  id: string
  name: string
  password: string
  token: string
}

/** A new user with `roles` on a new project, and a token scoped to it. */
async function person(roles: string[], projectId?: string): Promise<Person & { project: string }> {
  const name = `u-${rnd()}`
  const password = `pw-${rnd()}`
  const user = (await h.call('POST', '/v3/users', { user: { name, password, domain_id: 'default' } })).json
    .user
  const project =
    projectId ??
    (await h.call('POST', '/v3/projects', { project: { name: `p-${rnd()}`, domain_id: 'default' } })).json
      .project.id
  for (const role of roles) {
    const r = (await h.call('GET', `/v3/roles?name=${role}`)).json.roles[0]
    assert.equal((await h.call('PUT', `/v3/projects/${project}/users/${user.id}/roles/${r.id}`)).status, 204)
  }
  const token = roles.length > 0 ? await h.token(name, password, { project: { id: project } }) : ''
  return { id: user.id, name, password, token, project }
}

async function unscopedToken(p: Person): Promise<string> {
  return h.token(p.name, p.password)
}

async function appCred(p: Person, body: Record<string, unknown> = {}) {
  const r = await h.call(
    'POST',
    `/v3/users/${p.id}/application_credentials`,
    { application_credential: { name: `ac-${rnd()}`, ...body } },
    p.token,
  )
  assert.equal(r.status, 201, JSON.stringify(r.json))
  return r.json.application_credential as { id: string; secret: string }
}

// biome-ignore lint/suspicious/noExplicitAny: tests read the token body by path
async function tokenFrom(payload: unknown): Promise<{ status: number; token: string; body: any }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/identity/v3/auth/tokens',
    payload: payload as object,
  })
  return {
    status: res.statusCode,
    token: String(res.headers['x-subject-token'] ?? ''),
    body: res.body ? JSON.parse(res.body) : undefined,
  }
}

async function appCredToken(ac: { id: string; secret: string }): Promise<string> {
  const r = await tokenFrom({
    auth: {
      identity: { methods: ['application_credential'], application_credential: ac },
    },
  })
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.token
}

async function trustToken(trustee: Person, trustId: string) {
  return tokenFrom({
    auth: {
      identity: { methods: ['token'], token: { id: await unscopedToken(trustee) } },
      scope: { 'OS-TRUST:trust': { id: trustId } },
    },
  })
}

async function createTrust(
  trustor: Person,
  trustee: Person,
  project: string,
  extra: Record<string, unknown> = {},
  token = trustor.token,
) {
  return h.call(
    'POST',
    '/v3/OS-TRUST/trusts',
    {
      trust: {
        trustor_user_id: trustor.id,
        trustee_user_id: trustee.id,
        impersonation: false,
        project_id: project,
        roles: [{ name: 'member' }],
        ...extra,
      },
    },
    token,
  )
}

/** Whether a token still authenticates on identity and on image: [identity, image] statuses. */
async function works(token: string, project: string): Promise<[number, number]> {
  const id = await h.call('GET', `/v3/projects/${project}`, undefined, token)
  const img = await h.imageCall('GET', '/v2/images', undefined, token)
  return [id.status, img.status]
}

for (const dialect of enabledDialects()) {
  describe(`on ${dialect}`, () => {
    before(async () => {
      h = await startResourceHarness({ dialect, image: {} })
    })
    after(async () => h?.close())

    describe('tokens die with the delegation they came from', () => {
      it('a deleted application credential: its tokens get 401 on identity and image', async () => {
        const alice = await person(['member'])
        const ac = await appCred(alice)
        const token = await appCredToken(ac)
        assert.deepEqual(await works(token, alice.project), [200, 200])
        const del = await h.call('DELETE', `/v3/users/${alice.id}/application_credentials/${ac.id}`)
        assert.equal(del.status, 204)
        assert.deepEqual(await works(token, alice.project), [401, 401])
        const check = await h.app.inject({
          method: 'GET',
          url: '/identity/v3/auth/tokens',
          headers: { 'x-auth-token': h.adminToken, 'x-subject-token': token },
        })
        assert.equal(check.statusCode, 404)
        // The user's own password token is untouched.
        assert.deepEqual(await works(alice.token, alice.project), [200, 200])
      })

      it('a deleted trust: its tokens get 401 on identity and image', async () => {
        const trustor = await person(['member'])
        const trustee = await person([])
        const t = await createTrust(trustor, trustee, trustor.project)
        assert.equal(t.status, 201, JSON.stringify(t.json))
        const tt = await trustToken(trustee, t.json.trust.id)
        assert.equal(tt.status, 201, JSON.stringify(tt.body))
        assert.deepEqual(await works(tt.token, trustor.project), [200, 200])
        assert.equal((await h.call('DELETE', `/v3/OS-TRUST/trusts/${t.json.trust.id}`)).status, 204)
        assert.deepEqual(await works(tt.token, trustor.project), [401, 401])
        assert.deepEqual(await works(trustor.token, trustor.project), [200, 200])
      })

      for (const side of ['trustor', 'trustee'] as const) {
        it(`a deleted ${side}: the trust is gone and its tokens get 401`, async () => {
          const trustor = await person(['member'])
          const trustee = await person([])
          const t = await createTrust(trustor, trustee, trustor.project)
          const tt = await trustToken(trustee, t.json.trust.id)
          assert.equal(tt.status, 201)
          const gone = side === 'trustor' ? trustor : trustee
          assert.equal((await h.call('DELETE', `/v3/users/${gone.id}`)).status, 204)
          assert.deepEqual(await works(tt.token, trustor.project), [401, 401])
          assert.equal((await h.call('GET', `/v3/OS-TRUST/trusts/${t.json.trust.id}`)).status, 404)
          const listed = await h.call('GET', '/v3/OS-TRUST/trusts')
          assert.ok(!listed.json.trusts.some((x: { id: string }) => x.id === t.json.trust.id))
        })
      }
    })

    describe('a restricted application credential manages no delegation', () => {
      it('cannot create a trust (403) nor an application credential (403), as Keystone says', async () => {
        const alice = await person(['member'])
        const outsider = await person([])
        const token = await appCredToken(await appCred(alice))
        const trust = await createTrust(alice, outsider, alice.project, {}, token)
        assert.equal(trust.status, 403, JSON.stringify(trust.json))
        assert.equal(
          trust.json.error.message,
          "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing trusts.",
        )
        const list = await h.call('GET', `/v3/OS-TRUST/trusts?trustor_user_id=${alice.id}`)
        assert.equal(list.json.trusts.length, 0, 'nothing was written')
        const ac = await h.call(
          'POST',
          `/v3/users/${alice.id}/application_credentials`,
          { application_credential: { name: `ac-${rnd()}` } },
          token,
        )
        assert.equal(ac.status, 403)
        assert.equal(
          ac.json.error.message,
          "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials.",
        )
      })

      it('the attack chain ends: no trust, so no token as the trustor after the credential is deleted', async () => {
        const alice = await person(['member'])
        const outsider = await person([])
        const ac = await appCred(alice)
        const token = await appCredToken(ac)
        const trust = await createTrust(alice, outsider, alice.project, { impersonation: true }, token)
        assert.equal(trust.status, 403)
        await h.call('DELETE', `/v3/users/${alice.id}/application_credentials/${ac.id}`)
        const img = await h.imageCall(
          'POST',
          '/v2/images',
          { name: 'x', disk_format: 'raw', container_format: 'bare' },
          token,
        )
        assert.equal(img.status, 401)
      })

      it('an unrestricted one may create application credentials, but no trusts', async () => {
        const alice = await person(['member'])
        const token = await appCredToken(await appCred(alice, { unrestricted: true }))
        const ac = await h.call(
          'POST',
          `/v3/users/${alice.id}/application_credentials`,
          { application_credential: { name: `ac-${rnd()}` } },
          token,
        )
        assert.equal(ac.status, 201, JSON.stringify(ac.json))
        const trust = await createTrust(alice, await person([]), alice.project, {}, token)
        assert.equal(trust.status, 403)
      })
    })

    describe('trust-scoped tokens', () => {
      it('carry the delegated role and what it implies: member brings reader', async () => {
        const trustor = await person(['member'])
        const trustee = await person([])
        const t = await createTrust(trustor, trustee, trustor.project)
        const tt = await trustToken(trustee, t.json.trust.id)
        assert.equal(tt.status, 201)
        const names = tt.body.token.roles.map((r: { name: string }) => r.name).sort()
        assert.deepEqual(names, ['member', 'reader'])
        const created = await h.imageCall(
          'POST',
          '/v2/images',
          { name: 'by-trustee', disk_format: 'raw', container_format: 'bare' },
          tt.token,
        )
        assert.equal(created.status, 201)
        const listed = await h.imageCall('GET', '/v2/images', undefined, tt.token)
        assert.equal(listed.status, 200)
        assert.ok(listed.json.images.some((i: { id: string }) => i.id === created.json.id))
      })

      it('stop issuing when the trustor no longer holds a delegated role (403)', async () => {
        const trustor = await person(['member'])
        const trustee = await person([])
        const t = await createTrust(trustor, trustee, trustor.project)
        const member = (await h.call('GET', '/v3/roles?name=member')).json.roles[0]
        await h.call('DELETE', `/v3/projects/${trustor.project}/users/${trustor.id}/roles/${member.id}`)
        const tt = await trustToken(trustee, t.json.trust.id)
        assert.equal(tt.status, 403)
      })
    })

    describe('GET /v3/credentials honours user_id', () => {
      it('a user asking for another user gets none of their own; an admin gets exactly that user', async () => {
        const alice = await person(['member'])
        const bob = await person(['member'])
        for (const p of [alice, bob]) {
          const c = await h.call(
            'POST',
            '/v3/credentials',
            { credential: { user_id: p.id, type: 'totp', blob: `b-${rnd()}` } },
            p.token,
          )
          assert.equal(c.status, 201, JSON.stringify(c.json))
        }
        const mine = await h.call('GET', `/v3/credentials?user_id=${alice.id}`, undefined, alice.token)
        assert.deepEqual(
          mine.json.credentials.map((c: { user_id: string }) => c.user_id),
          [alice.id],
        )
        const other = await h.call('GET', `/v3/credentials?user_id=${bob.id}`, undefined, alice.token)
        assert.equal(other.status, 200)
        assert.deepEqual(other.json.credentials, [])
        const all = await h.call('GET', '/v3/credentials', undefined, alice.token)
        assert.deepEqual(
          all.json.credentials.map((c: { user_id: string }) => c.user_id),
          [alice.id],
        )
        const admin = await h.call('GET', `/v3/credentials?user_id=${bob.id}`)
        assert.deepEqual(
          admin.json.credentials.map((c: { user_id: string }) => c.user_id),
          [bob.id],
        )
      })
    })

    describe('redelegation', () => {
      /**
       * trustor -> a (impersonated, `first`), then a's trust token, which acts as the
       * trustor, redelegates: trustor -> b (`second`). As in Keystone, only an impersonated
       * trust can be passed on, since the new trust's trustor must hold the roles.
       */
      async function chain(
        first: Record<string, unknown>,
        second: Record<string, unknown> = {},
        roles = ['member'],
      ) {
        const trustor = await person(roles)
        const a = await person([])
        const b = await person([])
        const t1 = await createTrust(trustor, a, trustor.project, { impersonation: true, ...first })
        assert.equal(t1.status, 201, JSON.stringify(t1.json))
        const at = await trustToken(a, t1.json.trust.id)
        assert.equal(at.status, 201, JSON.stringify(at.body))
        const t2 = await createTrust(
          trustor,
          b,
          trustor.project,
          { impersonation: true, ...second },
          at.token,
        )
        return { trustor, a, b, t1: t1.json.trust, t2, aToken: at.token }
      }

      it('a trust without allow_redelegation has count 0 and cannot be redelegated (403)', async () => {
        const { t1, t2 } = await chain({})
        assert.equal(t1.redelegation_count, 0)
        assert.equal('allow_redelegation' in t1, false)
        assert.equal(t2.status, 403, JSON.stringify(t2.json))
      })

      it('allow_redelegation: count defaults to 3, the child gets one less and points at its parent', async () => {
        const { trustor, b, t1, t2 } = await chain({ allow_redelegation: true }, { allow_redelegation: true })
        assert.equal(t1.redelegation_count, 3)
        assert.equal(t2.status, 201, JSON.stringify(t2.json))
        assert.equal(t2.json.trust.redelegated_trust_id, t1.id)
        assert.equal(t2.json.trust.redelegation_count, 2)
        const bt = await trustToken(b, t2.json.trust.id)
        assert.equal(bt.status, 201, JSON.stringify(bt.body))
        assert.equal(bt.body.token.project.id, trustor.project)
        // Deleting the parent deletes the child and ends its tokens.
        assert.equal((await h.call('DELETE', `/v3/OS-TRUST/trusts/${t1.id}`)).status, 204)
        assert.equal((await h.call('GET', `/v3/OS-TRUST/trusts/${t2.json.trust.id}`)).status, 404)
        assert.deepEqual(await works(bt.token, trustor.project), [401, 401])
      })

      it('a child that does not ask to redelegate further gets count 0', async () => {
        const { t2 } = await chain({ allow_redelegation: true })
        assert.equal(t2.status, 201, JSON.stringify(t2.json))
        assert.equal(t2.json.trust.redelegation_count, 0)
      })

      it('a count above [trust] max_redelegation_count is refused (403)', async () => {
        const trustor = await person(['member'])
        const r = await createTrust(trustor, await person([]), trustor.project, {
          allow_redelegation: true,
          redelegation_count: 4,
        })
        assert.equal(r.status, 403)
      })

      it('remaining_uses with allow_redelegation is refused (400)', async () => {
        const trustor = await person(['member'])
        const r = await createTrust(trustor, await person([]), trustor.project, {
          allow_redelegation: true,
          remaining_uses: 2,
        })
        assert.equal(r.status, 400)
      })

      it('the end of the chain: count 1 gives a child with 0 that cannot redelegate again', async () => {
        const { b, t2, trustor } = await chain(
          { allow_redelegation: true, redelegation_count: 1 },
          { allow_redelegation: true },
        )
        assert.equal(t2.status, 201, JSON.stringify(t2.json))
        assert.equal(t2.json.trust.redelegation_count, 0)
        const bt = await trustToken(b, t2.json.trust.id)
        assert.equal(bt.status, 201)
        const t3 = await createTrust(
          trustor,
          await person([]),
          trustor.project,
          { impersonation: true },
          bt.token,
        )
        assert.equal(t3.status, 403, JSON.stringify(t3.json))
      })

      it('a child may not change the count, widen roles, outlive its parent or take a use count (403)', async () => {
        const expires = new Date(Date.now() + 3600_000).toISOString()
        const later = new Date(Date.now() + 7200_000).toISOString()
        const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
          [{ allow_redelegation: true }, { allow_redelegation: true, redelegation_count: 1 }],
          [{ allow_redelegation: true }, { roles: [{ name: 'manager' }] }],
          [{ allow_redelegation: true, expires_at: expires }, { expires_at: later }],
          [{ allow_redelegation: true }, { remaining_uses: 1 }],
        ]
        for (const [first, second] of cases) {
          const { t2 } = await chain(first, second, ['manager'])
          assert.equal(t2.status, 403, `${JSON.stringify(second)}: ${JSON.stringify(t2.json)}`)
        }
      })

      it('a child may not impersonate when its parent does not (403)', async () => {
        // a holds the role herself, so her own (not impersonated) trust token may delegate it.
        const trustor = await person(['member'])
        const a = await person(['member'], trustor.project)
        const t1 = await createTrust(trustor, a, trustor.project, { allow_redelegation: true })
        const at = await trustToken(a, t1.json.trust.id)
        assert.equal(at.status, 201)
        const t2 = await createTrust(a, await person([]), trustor.project, { impersonation: true }, at.token)
        assert.equal(t2.status, 403, JSON.stringify(t2.json))
        const ok = await createTrust(a, await person([]), trustor.project, {}, at.token)
        assert.equal(ok.status, 201, JSON.stringify(ok.json))
      })

      it('a trustee that is not the trustor cannot redelegate roles it does not hold (404)', async () => {
        const trustor = await person(['member'])
        const a = await person([])
        const t1 = await createTrust(trustor, a, trustor.project, { allow_redelegation: true })
        const at = await trustToken(a, t1.json.trust.id)
        const t2 = await createTrust(a, await person([]), trustor.project, {}, at.token)
        assert.equal(t2.status, 404)
      })

      it('a child without expires_at inherits its parent’s', async () => {
        const expires = new Date(Date.now() + 3600_000).toISOString()
        const { t1, t2 } = await chain({ allow_redelegation: true, expires_at: expires })
        assert.equal(t2.status, 201)
        assert.equal(t2.json.trust.expires_at, t1.expires_at)
      })

      it('a trust with a project must name roles (403)', async () => {
        const trustor = await person(['member'])
        const r = await createTrust(trustor, await person([]), trustor.project, { roles: [] })
        assert.equal(r.status, 403)
      })
    })
  })
}
