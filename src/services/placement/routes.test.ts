/**
 * The route table's invariants (as upstream's test_microversion): windows of one method
 * and path never overlap, every version named is declared, every route but the public
 * root enforces a declared policy rule, and the count of versioned handlers is known.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Version } from '../../kernel/microversion/index.js'
import { placementPolicies } from './policies/index.js'
import { ROUTES } from './routes.js'
import { VERSIONS } from './versions.js'

describe('placement route table', () => {
  it('names only declared microversions', () => {
    for (const r of ROUTES) {
      assert.doesNotThrow(() => VERSIONS.assertKnown(r.min), `${r.method} ${r.path}`)
      assert.doesNotThrow(() => VERSIONS.assertKnown(r.max), `${r.method} ${r.path}`)
    }
  })

  it('never has two handlers for one method, path and version', () => {
    for (const entry of VERSIONS.entries) {
      const v = Version.of(entry.version)
      const seen = new Set<string>()
      for (const r of ROUTES.filter((x) => v.matches(x.min, x.max))) {
        const key = `${r.method} ${r.path}`
        assert.ok(!seen.has(key), `${key} twice at ${entry.version}`)
        seen.add(key)
      }
    }
  })

  it('enforces a declared policy rule on every route but the public root', () => {
    const rules = new Set(placementPolicies.map((p) => p.name))
    for (const r of ROUTES) {
      if (r.public) continue
      assert.ok(r.policy && rules.has(r.policy), `${r.method} ${r.path}: ${r.policy}`)
    }
    assert.deepEqual(
      ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`),
      ['GET /'],
    )
  })

  it('has the known number of routes and of versioned handlers', () => {
    assert.equal(ROUTES.length, 37)
    assert.equal(ROUTES.filter((r) => r.min !== undefined || r.max !== undefined).length, 20)
  })
})
