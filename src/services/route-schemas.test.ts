/**
 * Every static request-body schema in the services' route tables is a valid JSON schema.
 * The schema engine skips the meta-schema check at run time (it cost each service ~45 ms
 * on its first request); this test is where a malformed schema is caught instead.
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import type { Ajv as AjvType } from 'ajv'
import { ROUTES as compute } from './compute/routes.js'
import { ROUTES as identity } from './identity/routes.js'
import { ROUTES as image } from './image/routes.js'
import { ROUTES as network } from './network/routes.js'
import { ROUTES as placement } from './placement/routes.js'
import { ROUTES as volume } from './volume/routes.js'

const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: new (o: object) => AjvType }

test('every static body schema of every route table passes the meta-schema', () => {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true })
  const tables = { compute, identity, image, network, placement, volume }
  let checked = 0
  const invalid: string[] = []
  for (const [service, routes] of Object.entries(tables)) {
    for (const r of routes as readonly { method: string; path: string; body?: unknown }[]) {
      if (!r.body || typeof r.body === 'function') continue
      checked++
      if (!ajv.validateSchema(r.body as object))
        invalid.push(`${service} ${r.method} ${r.path}: ${ajv.errorsText(ajv.errors)}`)
    }
  }
  assert.deepEqual(invalid, [])
  assert.ok(checked > 100, `only ${checked} static schemas found`)
})
