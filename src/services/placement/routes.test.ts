/**
 * The route table's invariants (as upstream's test_microversion): the kernel's checks
 * (every route has a policy or is public, windows never overlap, every version named is
 * declared), every policy a declared placement rule, every JSON route a body schema,
 * and the count of routes and of versioned handlers.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { placementPolicies } from './policies/index.js'
import { ROUTES } from './routes.js'
import { VERSIONS } from './versions.js'

describe('placement route table', () => {
  it('passes the kernel checks', () => {
    assert.deepEqual(checkRouteTable(ROUTES, VERSIONS), [])
  })

  it('enforces a declared policy rule on every route but the public root', () => {
    const rules = new Set(placementPolicies.map((p) => p.name))
    for (const r of ROUTES) {
      if (r.public) continue
      const policies = policiesOf(r)
      assert.equal(policies.length, 1, `${r.method} ${r.path}`)
      assert.ok(rules.has(policies[0]!), `${r.method} ${r.path}: ${policies[0]}`)
    }
    assert.deepEqual(
      ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`),
      ['GET /'],
    )
  })

  it('has a body schema on every route that takes JSON, and only there', () => {
    for (const r of ROUTES) assert.equal(r.body !== undefined, r.json === true, `${r.method} ${r.path}`)
  })

  it('has the known number of routes and of versioned handlers', () => {
    assert.equal(ROUTES.length, 37)
    assert.equal(ROUTES.filter((r) => r.min !== undefined || r.max !== undefined).length, 20)
    assert.equal(ROUTES.filter((r) => r.body !== undefined).length, 12)
  })
})
