import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { negotiate, Version, VersionList } from './version.js'

const versions = new VersionList([
  { version: '1.0', summary: 'base' },
  { version: '1.1', summary: 'one' },
  { version: '1.2', summary: 'two' },
])
const opts = { serviceType: 'placement', versions }

describe('microversion negotiation', () => {
  it('defaults to the minimum without a header', () => {
    assert.equal(negotiate({}, opts).toString(), '1.0')
  })
  it('maps latest to the maximum', () => {
    assert.equal(negotiate({ 'openstack-api-version': 'placement latest' }, opts).toString(), '1.2')
  })
  it('picks our service out of a list and ignores others', () => {
    const h = { 'openstack-api-version': 'compute 2.1, placement 1.1' }
    assert.equal(negotiate(h, opts).toString(), '1.1')
  })
  it('rejects malformed versions with 400', () => {
    for (const bad of ['pony.horse', '1.2.3', '1']) {
      assert.throws(
        () => negotiate({ 'openstack-api-version': `placement ${bad}` }, opts),
        (e: { status: number }) => e.status === 400,
      )
    }
  })
  it('rejects out-of-window versions with 406', () => {
    for (const v of ['0.5', '1.3', '2.0']) {
      assert.throws(
        () => negotiate({ 'openstack-api-version': `placement ${v}` }, opts),
        (e: { status: number }) => e.status === 406,
      )
    }
  })
  it('reads the legacy compute header', () => {
    const compute = { serviceType: 'compute', versions, legacyHeader: 'x-openstack-nova-api-version' }
    assert.equal(negotiate({ 'x-openstack-nova-api-version': '1.1' }, compute).toString(), '1.1')
  })
  it('compares numerically, not as text', () => {
    assert.ok(Version.of('1.10').gte('1.9'))
    assert.ok(Version.of('1.9').lt('1.10'))
  })
  it('refuses out-of-order lists and undeclared versions', () => {
    assert.throws(
      () =>
        new VersionList([
          { version: '1.1', summary: '' },
          { version: '1.0', summary: '' },
        ]),
    )
    assert.throws(() => versions.assertKnown('1.7'))
  })
})
