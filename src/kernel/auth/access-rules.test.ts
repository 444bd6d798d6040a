/** Access rule matching: one segment for `*`, any number for `**`, HEAD as GET. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { permittedByAccessRules } from './access-rules.js'

const rules = [
  { service: 'identity', method: 'GET', path: '/v3/users/*' },
  { service: 'image', method: 'GET', path: '/v2/images/**' },
  { service: 'compute', method: 'POST', path: '/v2.1/servers' },
]

describe('access rules', () => {
  it('admits only the calls a rule names', () => {
    const cases: [string, string, string, boolean][] = [
      ['identity', 'GET', '/v3/users/abc', true],
      ['identity', 'HEAD', '/v3/users/abc', true],
      ['identity', 'GET', '/v3/users', false],
      ['identity', 'GET', '/v3/users/abc/projects', false],
      ['identity', 'DELETE', '/v3/users/abc', false],
      ['image', 'GET', '/v2/images', true],
      ['image', 'GET', '/v2/images/x/members/y?z=1', true],
      ['image', 'DELETE', '/v2/images/x', false],
      ['compute', 'POST', '/v2.1/servers', true],
      ['compute', 'POST', '/v2.1/servers/x/action', false],
      ['placement', 'GET', '/v2/images', false],
    ]
    for (const [service, method, path, expected] of cases)
      assert.equal(
        permittedByAccessRules(rules, service, method, path),
        expected,
        `${service} ${method} ${path}`,
      )
  })
})
