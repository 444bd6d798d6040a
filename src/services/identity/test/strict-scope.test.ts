/**
 * The two persona models and the lookup/policy order the keystone and glance tempest
 * plugins' RBAC suites check.
 *
 * - `[policy] strict_scope` with `[oslo_policy] enforce_scope` and `enforce_new_defaults`
 *   on: Keystone Zed's secure-RBAC defaults (policies/strict.ts). A project-scoped admin
 *   token is no cloud admin; a domain admin administers its own domain only.
 * - Either model: which of 403 and 404 a caller gets for a missing object follows
 *   Keystone (endpoints, EC2 credentials, groups, domains, projects, application
 *   credentials, grant checks) and Glance (an image the caller may not see is 404).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { withBaseRules } from '../policies/auth.js'
import { resourcePolicies } from '../policies/index.js'
import { policyModel, STRICT_RULE_NAMES, strictRules } from '../policies/strict.js'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

const rnd = () => Math.random().toString(36).slice(2, 8)
const MISSING = 'f'.repeat(32)

async function ok<T = any>(h: ResourceHarness, method: string, url: string, body?: unknown, token?: string) {
  const r = await h.call(method, url, body, token)
  assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`)
  return r.json as T
}

/** A user holding `role` on `grant` (a /v3/... target path), and its token of `scope`. */
async function persona(
  h: ResourceHarness,
  domain: string,
  grant: string,
  roleId: string,
  scope: unknown,
): Promise<{ id: string; token: string }> {
  const name = `p-${rnd()}`
  const u = (await ok(h, 'POST', '/v3/users', { user: { name, domain_id: domain, password: 'pw-persona' } }))
    .user
  await ok(h, 'PUT', `${grant}/users/${u.id}/roles/${roleId}`)
  return { id: u.id, token: await h.token(name, 'pw-persona', scope, domain) }
}

describe('policyModel: the switches that select the persona model', () => {
  it('is strict only with strict_scope, enforce_scope and enforce_new_defaults all on', () => {
    const all = { strictScope: true, enforceScope: true, enforceNewDefaults: true }
    assert.equal(policyModel(all), 'strict')
    assert.equal(policyModel({ ...all, strictScope: false }), 'admin-everywhere')
    assert.equal(policyModel({ ...all, enforceScope: false }), 'admin-everywhere')
    assert.equal(policyModel({ ...all, enforceNewDefaults: false }), 'admin-everywhere')
  })

  it("names only rules identity has, and replaces each with Zed's string and scopes", () => {
    const rules = [...resourcePolicies, ...withBaseRules(resourcePolicies)]
    const names = new Set(rules.map((r) => r.name))
    assert.deepEqual(
      STRICT_RULE_NAMES.filter((n) => !names.has(n)),
      [],
    )
    const strict = new Map(strictRules(rules).map((r) => [r.name, r]))
    assert.equal(strict.get('identity:create_domain')?.checkStr, '(role:admin and system_scope:all)')
    assert.deepEqual(strict.get('identity:create_domain')?.scopeTypes, ['system'])
    assert.equal(strict.get('identity:create_domain')?.deprecatedRule, undefined)
    // Rules Zed does not define keep Cloudlet's.
    const ec2 = rules.find((r) => r.name === 'identity:ec2tokens_validate')
    assert.equal(strict.get('identity:ec2tokens_validate')?.checkStr, ec2?.checkStr)
  })
})

describe('the strict persona model (Keystone Zed secure RBAC)', () => {
  let h: ResourceHarness
  let projectAdmin: string
  const roles: Record<string, string> = {}
  let A = ''
  let B = ''
  let P = ''
  let PB = ''
  let domAdmin = ''
  let projAdminP = ''
  let sysReader = ''

  before(async () => {
    h = await startResourceHarness({ sections: { policy: { strict_scope: true } }, image: {} })
    projectAdmin = h.adminToken
    h.adminToken = await h.token('admin', 'secret-admin', { system: { all: true } })
    for (const r of (await ok(h, 'GET', '/v3/roles')).roles) roles[r.name] = r.id
    A = (await ok(h, 'POST', '/v3/domains', { domain: { name: `A-${rnd()}` } })).domain.id
    B = (await ok(h, 'POST', '/v3/domains', { domain: { name: `B-${rnd()}` } })).domain.id
    P = (await ok(h, 'POST', '/v3/projects', { project: { name: `P-${rnd()}`, domain_id: A } })).project.id
    PB = (await ok(h, 'POST', '/v3/projects', { project: { name: `PB-${rnd()}`, domain_id: B } })).project.id
    domAdmin = (await persona(h, A, `/v3/domains/${A}`, roles.admin!, { domain: { id: A } })).token
    projAdminP = (await persona(h, A, `/v3/projects/${P}`, roles.admin!, { project: { id: P } })).token
    sysReader = (await persona(h, 'default', '/v3/system', roles.reader!, { system: { all: true } })).token
  })
  after(async () => h?.close())

  it('keeps cloud-wide administration to system-scoped tokens: a project admin gets 403', async () => {
    const body = () => ({ domain: { name: `d-${rnd()}` } })
    assert.equal((await h.call('POST', '/v3/domains', body(), projectAdmin)).status, 403)
    assert.equal((await h.call('GET', '/v3/users', undefined, projectAdmin)).status, 403)
    assert.equal((await h.call('GET', '/v3/endpoints', undefined, projAdminP)).status, 403)
    assert.equal((await h.call('POST', '/v3/domains', body())).status, 201)
    assert.equal((await h.call('GET', '/v3/users', undefined, sysReader)).status, 200)
    assert.equal((await h.call('POST', '/v3/domains', body(), sysReader)).status, 403)
  })

  it('lets a domain admin administer its own domain only', async () => {
    const user = (d: string) => ({ user: { name: `u-${rnd()}`, domain_id: d } })
    assert.equal((await h.call('POST', '/v3/users', user(A), domAdmin)).status, 201)
    assert.equal((await h.call('POST', '/v3/users', user(B), domAdmin)).status, 403)
    const project = (d: string) => ({ project: { name: `p-${rnd()}`, domain_id: d } })
    assert.equal((await h.call('POST', '/v3/projects', project(A), domAdmin)).status, 201)
    assert.equal((await h.call('POST', '/v3/projects', project(B), domAdmin)).status, 403)
    assert.equal((await h.call('GET', `/v3/domains/${A}`, undefined, domAdmin)).status, 200)
    assert.equal((await h.call('GET', '/v3/domains', undefined, domAdmin)).status, 403)
    assert.equal((await h.call('POST', '/v3/roles', { role: { name: `r-${rnd()}` } }, domAdmin)).status, 403)
  })

  it("lets a project admin change its own project's tags, not another's", async () => {
    assert.equal((await h.call('PUT', `/v3/projects/${P}/tags/t1`, undefined, projAdminP)).status, 201)
    assert.equal((await h.call('PUT', `/v3/projects/${PB}/tags/t1`, undefined, projAdminP)).status, 403)
    assert.equal(
      (await h.call('PATCH', `/v3/projects/${P}`, { project: { description: 'x' } }, projAdminP)).status,
      403,
    )
  })

  it("lists only the limits of the caller's own project to a project admin", async () => {
    const service = (await ok(h, 'GET', '/v3/services')).services[0].id
    const resource = `r${rnd()}`
    await ok(h, 'POST', '/v3/registered_limits', {
      registered_limits: [
        { service_id: service, region_id: 'RegionOne', resource_name: resource, default_limit: 5 },
      ],
    })
    const limit = (project_id: string) => ({
      project_id,
      service_id: service,
      region_id: 'RegionOne',
      resource_name: resource,
      resource_limit: 3,
    })
    await ok(h, 'POST', '/v3/limits', { limits: [limit(P), limit(PB)] })
    const seen = (await ok(h, 'GET', `/v3/limits?resource_name=${resource}`, undefined, projAdminP)).limits
    assert.deepEqual(
      seen.map((l: { project_id: string }) => l.project_id),
      [P],
    )
    const all = (await ok(h, 'GET', `/v3/limits?resource_name=${resource}`)).limits
    assert.equal(all.length, 2)
  })

  it('gives a system-scoped token 404 for a project image it may not see (Glance)', async () => {
    const member = await persona(h, A, `/v3/projects/${P}`, roles.member!, { project: { id: P } })
    const image = await h.imageCall(
      'POST',
      '/v2/images',
      { disk_format: 'raw', container_format: 'bare', visibility: 'private' },
      member.token,
    )
    assert.equal(image.status, 201, JSON.stringify(image.json))
    const id = (image.json as { id: string }).id
    assert.equal((await h.imageCall('GET', `/v2/images/${id}`, undefined, h.adminToken)).status, 404)
    assert.equal((await h.imageCall('DELETE', `/v2/images/${id}`, undefined, h.adminToken)).status, 404)
    assert.equal((await h.imageCall('GET', `/v2/images/${id}`, undefined, member.token)).status, 200)
  })
})

describe('which of 403 and 404 a caller gets, as Keystone and Glance answer (either model)', () => {
  let h: ResourceHarness
  let memberId = ''
  let adminId = ''

  before(async () => {
    h = await startResourceHarness({ image: {} })
    // The user a token was issued to, from the token's own body.
    const me = async (token: string) => {
      const r = await h.app.inject({
        method: 'GET',
        url: '/identity/v3/auth/tokens',
        headers: { host: 'cloud.test', 'x-auth-token': token, 'x-subject-token': token },
      })
      return JSON.parse(r.body).token.user.id as string
    }
    memberId = await me(h.memberToken)
    adminId = await me(h.adminToken)
  })
  after(async () => h?.close())

  const status = async (method: string, url: string, body?: unknown, token?: string) =>
    (await h.call(method, url, body, token)).status

  it('looks endpoints up first: a missing one is 404 even to a caller the policy refuses', async () => {
    assert.equal(await status('GET', `/v3/endpoints/${MISSING}`, undefined, h.memberToken), 404)
    assert.equal(
      await status('PATCH', `/v3/endpoints/${MISSING}`, { endpoint: { enabled: false } }, h.memberToken),
      404,
    )
    assert.equal(await status('DELETE', `/v3/endpoints/${MISSING}`, undefined, h.memberToken), 404)
    const ep = (await ok(h, 'GET', '/v3/endpoints')).endpoints[0].id
    assert.equal(await status('GET', `/v3/endpoints/${ep}`, undefined, h.memberToken), 403)
  })

  it('looks EC2 credentials up by access key, then checks the policy against the owner', async () => {
    const cred = (await ok(h, 'POST', `/v3/users/${adminId}/credentials/OS-EC2`, { tenant_id: 'default' }))
      .credential
    const path = (user: string, access: string) => `/v3/users/${user}/credentials/OS-EC2/${access}`
    // Missing: 404 whoever's path it is under.
    assert.equal(await status('GET', path(adminId, MISSING), undefined, h.memberToken), 404)
    assert.equal(await status('DELETE', path(adminId, MISSING), undefined, h.memberToken), 404)
    // Another user's credential, even under the caller's own id: 403.
    assert.equal(await status('GET', path(memberId, cred.access), undefined, h.memberToken), 403)
    assert.equal(await status('DELETE', path(memberId, cred.access), undefined, h.memberToken), 403)
    assert.equal(await status('GET', path(adminId, cred.access), undefined, h.memberToken), 403)
  })

  it('answers 404 for a group to delete and a domain to update, 403 for a missing group member or domain read', async () => {
    const user = (await ok(h, 'POST', '/v3/users', { user: { name: `u-${rnd()}` } })).user.id
    assert.equal(await status('DELETE', `/v3/groups/${MISSING}`, undefined, h.memberToken), 404)
    assert.equal(await status('PATCH', `/v3/domains/${MISSING}`, { domain: {} }, h.memberToken), 404)
    assert.equal(await status('GET', `/v3/domains/${MISSING}`, undefined, h.memberToken), 403)
    assert.equal(await status('PUT', `/v3/groups/${MISSING}/users/${user}`, undefined, h.memberToken), 403)
    assert.equal(await status('HEAD', `/v3/groups/${MISSING}/users/${user}`, undefined, h.memberToken), 403)
    assert.equal(await status('DELETE', `/v3/groups/${MISSING}/users/${user}`, undefined, h.memberToken), 403)
    // A caller the policy allows still learns that it is missing.
    assert.equal(await status('PUT', `/v3/groups/${MISSING}/users/${user}`), 404)
    assert.equal(await status('GET', `/v3/domains/${MISSING}`), 404)
  })

  it('checks a project update against the policy before its body', async () => {
    assert.equal(await status('PATCH', `/v3/projects/${MISSING}`, { project: {} }, h.memberToken), 403)
    assert.equal(await status('PATCH', `/v3/projects/${MISSING}`, { project: {} }), 400)
    assert.equal(await status('PATCH', `/v3/projects/${MISSING}`, { project: { description: 'x' } }), 404)
  })

  it("answers 404 for one's own missing application credential, 403 for another user's under one's own id", async () => {
    const mine = `/v3/users/${memberId}/application_credentials`
    assert.equal(await status('GET', `${mine}/${MISSING}`, undefined, h.memberToken), 404)
    assert.equal(await status('DELETE', `${mine}/${MISSING}`, undefined, h.memberToken), 404)
    const theirs = (
      await ok(h, 'POST', `/v3/users/${adminId}/application_credentials`, {
        application_credential: { name: `ac-${rnd()}` },
      })
    ).application_credential.id
    assert.equal(await status('GET', `${mine}/${theirs}`, undefined, h.memberToken), 403)
    assert.equal(await status('DELETE', `${mine}/${theirs}`, undefined, h.memberToken), 403)
    assert.equal(
      await status(
        'GET',
        `/v3/users/${adminId}/application_credentials/${MISSING}`,
        undefined,
        h.memberToken,
      ),
      403,
    )
  })

  it('answers 404 to a check of a domain role on a project of another domain (no such grant can exist)', async () => {
    const d = (await ok(h, 'POST', '/v3/domains', { domain: { name: `d-${rnd()}` } })).domain.id
    const role = (await ok(h, 'POST', '/v3/roles', { role: { name: `r-${rnd()}`, domain_id: d } })).role.id
    const project = (await ok(h, 'GET', '/v3/projects?name=demo')).projects[0].id
    assert.equal(await status('HEAD', `/v3/projects/${project}/users/${memberId}/roles/${role}`), 404)
    assert.equal(await status('PUT', `/v3/projects/${project}/users/${memberId}/roles/${role}`), 403)
  })

  it("shows a domain-scoped reader a user's groups of its own domain only", async () => {
    const d = (await ok(h, 'POST', '/v3/domains', { domain: { name: `d-${rnd()}` } })).domain.id
    const reader = await persona(
      h,
      d,
      `/v3/domains/${d}`,
      (await ok(h, 'GET', '/v3/roles?name=reader')).roles[0].id,
      {
        domain: { id: d },
      },
    )
    const user = (await ok(h, 'POST', '/v3/users', { user: { name: `u-${rnd()}`, domain_id: d } })).user.id
    const own = (await ok(h, 'POST', '/v3/groups', { group: { name: `g-${rnd()}`, domain_id: d } })).group.id
    const foreign = (await ok(h, 'POST', '/v3/groups', { group: { name: `g-${rnd()}` } })).group.id
    await ok(h, 'PUT', `/v3/groups/${own}/users/${user}`)
    await ok(h, 'PUT', `/v3/groups/${foreign}/users/${user}`)
    const seen = (await ok(h, 'GET', `/v3/users/${user}/groups`, undefined, reader.token)).groups
    assert.deepEqual(
      seen.map((g: { id: string }) => g.id),
      [own],
    )
    assert.equal((await ok(h, 'GET', `/v3/users/${user}/groups`)).groups.length, 2)
  })

  it('lets an admin answer for an image member (Glance), not another member', async () => {
    const image = await h.imageCall(
      'POST',
      '/v2/images',
      { disk_format: 'raw', container_format: 'bare', visibility: 'shared' },
      h.memberToken,
    )
    const id = (image.json as { id: string }).id
    const other = (await ok(h, 'POST', '/v3/projects', { project: { name: `o-${rnd()}` } })).project.id
    assert.equal(
      (await h.imageCall('POST', `/v2/images/${id}/members`, { member: other }, h.memberToken)).status,
      200,
    )
    const set = (token: string) =>
      h.imageCall('PUT', `/v2/images/${id}/members/${other}`, { status: 'accepted' }, token)
    assert.equal((await set(h.memberToken)).status, 403)
    assert.equal((await set(h.adminToken)).status, 200)
  })
})
