/**
 * The formatter picks the failure upstream's validator reports first and words it as
 * jsonschema does: the message, then the keyword and where it sits in the schema.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Version } from '../../../kernel/microversion/index.js'
import * as S from './bodies.js'
import { describeViolation, pyRepr, type Schema, validate } from './validation.js'

const message = (schema: Schema, value: unknown) => {
  const v = validate(value, schema)
  return v && describeViolation(v)
}
const at = (keyword: string, path = '') => `\n\nFailed validating '${keyword}' in schema${path}`

describe('placement validation messages', () => {
  it('accepts a valid body', () => {
    assert.equal(message(S.POST_RP, { name: 'rp', uuid: '9cb7a9a8-2f77-4bbb-8a52-c3a4b0f0b6f8' }), undefined)
  })

  it('names a missing property', () => {
    assert.equal(message(S.POST_RP, {}), `'name' is a required property${at('required')}`)
  })

  it('reports a member before unexpected properties, and lists those sorted', () => {
    assert.equal(
      message(S.POST_RP, { name: 5, zzz: 1 }),
      `5 is not of type 'string'${at('type', "['properties']['name']")}`,
    )
    assert.equal(
      message(S.POST_RP, { name: 'a', foo: 1, bar: 2 }),
      `Additional properties are not allowed ('bar', 'foo' were unexpected)${at('additionalProperties')}`,
    )
  })

  it('words lengths, formats and ranges as jsonschema does', () => {
    assert.equal(
      message(S.POST_RP, { name: 'a', uuid: 'nope' }),
      `'nope' is not a 'uuid'${at('format', "['properties']['uuid']")}`,
    )
    assert.equal(
      message(S.PUT_INVENTORIES, { resource_provider_generation: 1, inventories: { VCPU: { total: 0 } } }),
      `0 is less than the minimum of 1${at('minimum', "['properties']['inventories']['patternProperties']['^[A-Z0-9_]+$']['properties']['total']")}`,
    )
    assert.equal(
      message(S.SET_RP_TRAITS, { traits: ['A', ''], resource_provider_generation: 1 }),
      `'' should be non-empty${at('minLength', "['properties']['traits']['items']")}`,
    )
  })

  it('reports a failed anyOf as a whole', () => {
    assert.equal(
      message(S.POST_RP_1_14, { name: 'a', parent_provider_uuid: 5 }),
      `5 is not valid under any of the given schemas${at('anyOf', "['properties']['parent_provider_uuid']")}`,
    )
  })

  it('names the patterns a key does not match', () => {
    const body = { allocations: { 'not-a-uuid': { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u' }
    assert.equal(
      message(S.putAllocationSchema(Version.of('1.12')), body),
      `'not-a-uuid' does not match any of the regexes: '^[0-9a-fA-F-]{36}$'${at('additionalProperties', "['properties']['allocations']")}`,
    )
  })

  it('builds a version-dependent schema once per version', () => {
    assert.equal(S.candidatesQuery(Version.of('1.33')), S.candidatesQuery(Version.of('1.33')))
    assert.notEqual(S.candidatesQuery(Version.of('1.33')), S.candidatesQuery(Version.of('1.32')))
  })

  it("shows values as Python's repr", () => {
    assert.equal(pyRepr({ a: [true, null, 1.5, 2] }), "{'a': [True, None, 1.5, 2]}")
    assert.equal(pyRepr("it's"), '"it\'s"')
  })
})
