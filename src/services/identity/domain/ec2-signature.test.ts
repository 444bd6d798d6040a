import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import { ec2Signature, ec2SignatureMatches, s3Signature } from './ec2-signature.js'

// Expected values computed with keystoneclient's Ec2Signer and keystone's s3tokens
// functions (python3-keystoneclient 5.0.1 / keystone 22.0), for the secret 'secret-key'.
const SECRET = 'secret-key'

describe('EC2 and S3 signatures', () => {
  it('version 2 (HmacSHA256 over verb, host, path and the sorted query)', () => {
    const c = {
      access: 'ak',
      host: 'ec2.example.org:8773',
      verb: 'GET',
      path: '/services/Cloud',
      params: {
        SignatureVersion: '2',
        Action: 'DescribeInstances',
        Timestamp: '2024-01-02T03:04:05Z',
        AWSAccessKeyId: 'ak',
        'a b': 'c~d*',
      },
    }
    assert.equal(ec2Signature(SECRET, c), EXPECTED.v2)
    assert.ok(ec2SignatureMatches(SECRET, { ...c, signature: EXPECTED.v2 }))
    assert.ok(!ec2SignatureMatches('other', { ...c, signature: EXPECTED.v2 }))
  })

  it('version 4 from the Authorization header', () => {
    const c = {
      access: 'ak',
      host: 'ec2.example.org',
      verb: 'GET',
      path: '/',
      params: { Action: 'DescribeRegions' },
      headers: {
        Host: 'ec2.example.org',
        'X-Amz-Date': '20240102T030405Z',
        Authorization:
          'AWS4-HMAC-SHA256 Credential=ak/20240102/RegionOne/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=x',
      },
      body_hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    }
    assert.equal(ec2Signature(SECRET, c), EXPECTED.v4)
  })

  it('versions 0 and 1', () => {
    assert.equal(
      ec2Signature(SECRET, { access: 'ak', params: { SignatureVersion: '0', Action: 'A', Timestamp: 'T' } }),
      EXPECTED.v0,
    )
    assert.equal(
      ec2Signature(SECRET, { access: 'ak', params: { SignatureVersion: '1', b: '2', A: '1' } }),
      EXPECTED.v1,
    )
  })

  it('S3 v2 and v4 over the string to sign', () => {
    const v2 = Buffer.from('GET\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n/bucket/key').toString('base64')
    assert.equal(
      s3Signature(SECRET, v2),
      createHmac('sha1', SECRET).update(Buffer.from(v2, 'base64')).digest('base64'),
    )
    const v4 = Buffer.from(
      'AWS4-HMAC-SHA256\n20240102T030405Z\n20240102/RegionOne/s3/aws4_request\nabc',
    ).toString('base64')
    assert.equal(s3Signature(SECRET, v4), EXPECTED.s3v4)
    const badService = Buffer.from(
      'AWS4-HMAC-SHA256\n20240102T030405Z\n20240102/RegionOne/ec2/aws4_request\nabc',
    ).toString('base64')
    assert.equal(s3Signature(SECRET, badService), undefined)
  })
})

const EXPECTED = {
  v0: 'bM/RDlsjXPxmIaI4ifhDyZuJ2Dw=',
  v1: '7nEmTluUc1GujTG9d6KOhADUqsg=',
  v2: 'POjRg6Zaxq8H2DpjJpduh6FYmAEvQGjMJjQsn2xL1sg=',
  v4: '4566d46181b11b9cc2e4fa0f6f8bc66973b349f398950882000e25ed590b40c9',
  s3v4: 'a6dc2aae1f46846f4b663f64d562b4cef69979d4431f35b8324bbbb46e328101',
}
