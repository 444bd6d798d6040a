import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseOAuthHeader, verifyHmacSha1 } from './oauth1-signature.js'

describe('OAuth1 signatures', () => {
  // Signed by oauthlib 3.2.2 (the library keystoneclient signs with):
  //   oauth1.Client('consumer-key', client_secret='consumer secret/+', resource_owner_key='tok',
  //     resource_owner_secret='tok-secret', verifier='v123', timestamp='1700000000', nonce='abcdef123')
  //   .sign('http://Cloud.Test:80/identity/v3/OS-OAUTH1/access_token?x=1%202', http_method='POST')
  const header =
    'OAuth oauth_nonce="abcdef123", oauth_timestamp="1700000000", oauth_version="1.0", oauth_signature_method="HMAC-SHA1", oauth_consumer_key="consumer-key", oauth_token="tok", oauth_verifier="v123", oauth_signature="%2FsPFYeuWxFiUfAjJgOxfV%2BNsfJA%3D"'
  const url = 'http://Cloud.Test:80/identity/v3/OS-OAUTH1/access_token?x=1%202'

  it('verifies a signature oauthlib made (default port, host case, query parameters)', () => {
    const oauth = parseOAuthHeader(header)!
    assert.equal(oauth.oauth_signature, '/sPFYeuWxFiUfAjJgOxfV+NsfJA=')
    assert.ok(verifyHmacSha1('POST', url, oauth, 'consumer secret/+', 'tok-secret'))
    assert.ok(
      verifyHmacSha1(
        'POST',
        'http://cloud.test/identity/v3/OS-OAUTH1/access_token?x=1%202',
        oauth,
        'consumer secret/+',
        'tok-secret',
      ),
    )
  })

  it('refuses a wrong secret, method, URL, parameter or signature method', () => {
    const oauth = parseOAuthHeader(header)!
    assert.ok(!verifyHmacSha1('POST', url, oauth, 'consumer secret/+', 'other'))
    assert.ok(!verifyHmacSha1('POST', url, oauth, 'other', 'tok-secret'))
    assert.ok(!verifyHmacSha1('GET', url, oauth, 'consumer secret/+', 'tok-secret'))
    assert.ok(!verifyHmacSha1('POST', `${url}&y=2`, oauth, 'consumer secret/+', 'tok-secret'))
    assert.ok(
      !verifyHmacSha1('POST', url, { ...oauth, oauth_verifier: 'v124' }, 'consumer secret/+', 'tok-secret'),
    )
    assert.ok(
      !verifyHmacSha1(
        'POST',
        url,
        { ...oauth, oauth_signature_method: 'PLAINTEXT' },
        'consumer secret/+',
        'tok-secret',
      ),
    )
    assert.equal(parseOAuthHeader('Bearer abc'), undefined)
  })
})
