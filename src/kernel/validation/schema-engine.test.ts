/**
 * The schema engine compiles a schema once per content, not once per object: services
 * that build a schema per request (per microversion) must not pay a compile each time.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SchemaEngine } from './schema-engine.js'

const build = () => ({
  $id: 'https://cloudlet.test/widget',
  type: 'object',
  properties: { name: { type: 'string', maxLength: 3 } },
  required: ['name'],
})

describe('schema engine', () => {
  it('reuses the compiled form for a rebuilt schema of the same content', () => {
    const engine = new SchemaEngine()
    // Ajv refuses a second compile of a schema whose $id it already holds; a rebuilt
    // object passes only because the engine does not compile it again.
    assert.equal(engine.validate(build(), { name: 'abc' }), undefined)
    assert.equal(engine.validate(build(), { name: 'abc' }), undefined)
    const errors = engine.validate(build(), { name: 'abcd' })
    assert.equal(errors?.[0]?.keyword, 'maxLength')
  })

  it('keeps schemas of different content apart', () => {
    const engine = new SchemaEngine()
    const short = { type: 'string', maxLength: 1 }
    const long = { type: 'string', maxLength: 9 }
    assert.ok(engine.validate(short, 'abc'))
    assert.equal(engine.validate(long, 'abc'), undefined)
  })
})
