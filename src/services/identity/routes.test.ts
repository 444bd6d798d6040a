/**
 * Identity's route table: the kernel's checks find nothing, every rule named is one
 * identity declares, the public routes are the four Keystone leaves open, and every
 * route that takes a JSON body has a schema.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { authPolicies, baseRules } from './policies/auth.js'
import { resourcePolicies } from './policies/index.js'
import { ROUTES } from './routes.js'

describe('identity route table', () => {
  it('passes the kernel checks: a policy or public on every route, no two of one method and path', () => {
    assert.deepEqual(checkRouteTable(ROUTES), [])
  })

  it('has every route of Keystone v3 that identity answers', () => {
    assert.equal(ROUTES.length, 228)
    const grants = ROUTES.filter((r) => r.path.includes('/:actor/roles'))
    assert.equal(
      grants.length,
      40,
      'grants: 10 families (actor x target x inherited) of list, create, check, revoke',
    )
  })

  it('names only rules identity declares', () => {
    const declared = new Set([...resourcePolicies, ...authPolicies, ...baseRules].map((p) => p.name))
    for (const r of ROUTES)
      for (const rule of policiesOf(r)) assert.ok(declared.has(rule), `${r.method} ${r.path}: ${rule}`)
  })

  it('leaves open only version discovery, token issue, the password change, federated login and the OAuth1 exchanges', () => {
    assert.deepEqual(
      ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`),
      [
        'GET /',
        'GET /v3',
        'POST /v3/auth/tokens',
        'POST /v3/users/:id/password',
        'GET /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth',
        'POST /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth',
        'POST /v3/OS-OAUTH1/request_token',
        'POST /v3/OS-OAUTH1/access_token',
      ],
    )
  })

  it('has a body schema on every POST and PATCH, and on the PUTs that take a body', () => {
    // The handler checks these bodies, after the lookup upstream does first (404 before 400)
    // or, for a project update, after the policy (403 before 400).
    // Federated login and the OAuth1 exchanges take no body (headers carry what they read);
    // EC2/S3 token bodies answer 401 for what they lack, as upstream.
    const checkedByHandler = [
      'PATCH /v3/domains/:id',
      'PATCH /v3/projects/:id',
      'POST /v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol/auth',
      'POST /v3/OS-OAUTH1/request_token',
      'POST /v3/OS-OAUTH1/access_token',
      'POST /v3/ec2tokens',
      'POST /v3/s3tokens',
    ]
    for (const r of ROUTES) {
      if (
        (r.method === 'POST' || r.method === 'PATCH') &&
        !checkedByHandler.includes(`${r.method} ${r.path}`)
      )
        assert.ok(r.body, `${r.method} ${r.path} has no body schema`)
      if (r.method === 'GET' || r.method === 'DELETE')
        assert.equal(r.body, undefined, `${r.method} ${r.path}`)
    }
    const puts = ROUTES.filter((r) => r.method === 'PUT' && r.body).map((r) => r.path)
    assert.deepEqual(puts, [
      '/v3/projects/:id/tags',
      '/v3/regions/:id',
      '/v3/domains/:id/config',
      '/v3/OS-FEDERATION/identity_providers/:idp',
      '/v3/OS-FEDERATION/identity_providers/:idp/protocols/:protocol',
      '/v3/OS-FEDERATION/mappings/:id',
      '/v3/OS-FEDERATION/service_providers/:id',
      '/v3/OS-OAUTH1/authorize/:id',
    ])
  })
})
