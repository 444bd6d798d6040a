/**
 * The route table's invariants: every route enforces a declared Glance rule, is public
 * (version documents) or says it needs a token only (schema and info documents, which
 * Glance guards by no rule); every JSON-body route has a schema; and the counts are known.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkRouteTable, policiesOf } from '../../kernel/http/index.js'
import { imageServicePolicies } from './policies/index.js'
import { ROUTES } from './routes.js'

describe('image route table', () => {
  it('has no problems the kernel can see', () => {
    assert.deepEqual(checkRouteTable(ROUTES), [])
  })

  it('names only declared policy rules', () => {
    const rules = new Set(imageServicePolicies.map((p) => p.name))
    for (const r of ROUTES)
      for (const rule of policiesOf(r)) assert.ok(rules.has(rule), `${r.method} ${r.path}: ${rule}`)
  })

  it('leaves only discovery without a rule', () => {
    assert.deepEqual(
      ROUTES.filter((r) => r.public).map((r) => `${r.method} ${r.path}`),
      ['GET /', 'GET /versions'],
    )
    assert.deepEqual(
      ROUTES.filter((r) => r.authenticated).map((r) => `${r.method} ${r.path}`),
      [
        'GET /v2/schemas/:name',
        'GET /v2/schemas/metadefs/:name',
        'GET /v2/info/import',
        'GET /v2/info/stores',
      ],
    )
  })

  it('gives every POST, PUT and PATCH with a JSON body a schema', () => {
    const raw = new Set(['PUT /v2/images/:image_id/file', 'PUT /v2/images/:image_id/stage'])
    // These take no body: actions, tags and members by path, and the cache queue.
    const bodiless = new Set([
      'POST /v2/images/:image_id/actions/deactivate',
      'POST /v2/images/:image_id/actions/reactivate',
      'PUT /v2/images/:image_id/tags/:tag',
      'PUT /v2/cache/:image_id',
      'POST /v2/metadefs/namespaces/:namespace/tags/:name',
    ])
    for (const r of ROUTES) {
      const key = `${r.method} ${r.path}`
      if (r.method === 'GET' || r.method === 'DELETE' || raw.has(key) || bodiless.has(key)) continue
      assert.ok(r.body, `${key} has no body schema`)
    }
  })

  it('has the known number of routes, most enforced where the object is loaded', () => {
    assert.equal(ROUTES.length, 61)
    assert.equal(ROUTES.filter((r) => r.enforce === 'handler').length, 48)
    assert.equal(ROUTES.filter((r) => r.policy && r.enforce !== 'handler').length, 7)
  })
})
