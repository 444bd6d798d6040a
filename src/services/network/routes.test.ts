/**
 * The route table's own checks: every route has a policy, is public or says it needs
 * only a token; no method and path twice; every policy a route names is a Neutron rule
 * this service declares.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { NETWORK_POLICY_RULES } from './policies/index.js'
import { ROUTES } from './routes.js'

describe('network route table', () => {
  it('passes the kernel checks', () => {
    assert.deepEqual(checkRouteTable(ROUTES), [])
  })

  it('names only rules the service declares', () => {
    const known = new Set(NETWORK_POLICY_RULES.map((r) => r.name))
    for (const route of ROUTES)
      for (const rule of policiesOf(route))
        assert.ok(known.has(rule), `${route.method} ${route.path}: ${rule}`)
  })

  it('declares each method and path once, all under /v2.0 but the version list', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`)
    assert.equal(new Set(keys).size, keys.length)
    for (const r of ROUTES) if (r.path !== '/') assert.match(r.path, /^\/v2\.0(\/|$)/)
  })

  it('keeps public only the discovery documents', () => {
    assert.deepEqual(
      ROUTES.filter((r) => r.public).map((r) => r.path),
      ['/', '/v2.0'],
    )
  })
})
