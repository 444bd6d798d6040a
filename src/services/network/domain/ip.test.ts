/** Address arithmetic: parsing, canonical IPv6 text, CIDRs, pools and EUI-64. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { canonical, eui64, formatAddress, formatCidr, parseAddress, parseCidr, usableRange } from './ip.js'

describe('ip', () => {
  it('parses and prints IPv4 and IPv6 as netaddr does', () => {
    assert.equal(canonical('2001:DB8:0:0:0:0:0:1'), '2001:db8::1')
    assert.equal(canonical('2001:db8:0:1:0:0:0:0'), '2001:db8:0:1::')
    assert.equal(canonical('::ffff:10.0.0.1'), '::ffff:a00:1')
    assert.equal(canonical('0:0:0:0:0:0:0:0'), '::')
    assert.equal(canonical('1:0:0:2:0:0:0:3'), '1:0:0:2::3')
    assert.equal(parseAddress('10.0.0.256'), undefined)
    assert.equal(parseAddress('10.0.0.01'), undefined)
    assert.equal(parseAddress('1::2::3'), undefined)
    assert.equal(parseAddress('abc'), undefined)
  })

  it('refuses host bits in strict CIDRs and normalises otherwise', () => {
    assert.equal(parseCidr('10.0.0.1/24', true), undefined)
    assert.equal(formatCidr(parseCidr('10.0.0.1/24')!), '10.0.0.0/24')
    assert.equal(formatCidr(parseCidr('2001:db8::/64', true)!), '2001:db8::/64')
    assert.equal(parseCidr('10.0.0.0/33'), undefined)
  })

  it('leaves network and broadcast out of IPv4 pools, the anycast address out of IPv6', () => {
    const [a, b] = usableRange(parseCidr('10.0.0.0/30')!)
    assert.deepEqual([a, b], [parseAddress('10.0.0.1')!.value, parseAddress('10.0.0.2')!.value])
    const [c] = usableRange(parseCidr('2001:db8::/64')!)
    assert.equal(c, parseAddress('2001:db8::1')!.value)
  })

  it('makes the modified EUI-64 address of a MAC', () => {
    const v = eui64(parseCidr('2001:db8::/64')!, 'fa:16:3e:12:34:56')
    assert.equal(formatAddress(6, v), '2001:db8::f816:3eff:fe12:3456')
  })
})
