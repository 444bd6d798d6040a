/**
 * OS-OAUTH1's delegation flow (request token, authorize, access token, the `oauth1`
 * auth method, a user's access tokens) and /v3/ec2tokens, /v3/s3tokens: requests signed
 * as clients sign them (the signers are checked against oauthlib and keystoneclient
 * vectors in domain/*-signature.test.ts).
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { ec2Signature } from '../domain/ec2-signature.js'
import { hmacSha1Signature, oauthEncode, signatureBaseString } from '../domain/oauth1-signature.js'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
let demoUser: string
let demoProject: string
let memberRole: string
before(async () => {
  h = await startResourceHarness()
  demoUser = (await h.call('GET', '/v3/users?name=demo')).json.users[0].id
  demoProject = (await h.call('GET', '/v3/projects?name=demo')).json.projects[0].id
  memberRole = (await h.call('GET', '/v3/roles?name=member')).json.roles[0].id
})
after(async () => h?.close())

const BASE = 'http://cloud.test/identity/v3'

/** An OAuth header as oauthlib builds it (keystoneclient's signer). */
function oauthHeader(
  method: string,
  url: string,
  params: Record<string, string>,
  consumerSecret: string,
  tokenSecret = '',
) {
  const oauth: Record<string, string> = {
    oauth_nonce: Math.random().toString(36).slice(2),
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    oauth_signature_method: 'HMAC-SHA1',
    ...params,
  }
  oauth.oauth_signature = hmacSha1Signature(
    signatureBaseString(method, url, oauth),
    consumerSecret,
    tokenSecret,
  )
  return `OAuth ${Object.entries(oauth)
    .map(([k, v]) => `${k}="${oauthEncode(v)}"`)
    .join(', ')}`
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body))

describe('OS-OAUTH1 delegation', () => {
  it('request token, authorize, access token, then a token as the user with the delegated roles', async () => {
    const c = (await h.call('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'app' } })).json
      .consumer
    const rtUrl = `${BASE}/OS-OAUTH1/request_token`
    const unsigned = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/OS-OAUTH1/request_token',
      headers: { host: 'cloud.test' },
    })
    assert.equal(unsigned.statusCode, 401)
    const badSig = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/OS-OAUTH1/request_token',
      headers: {
        host: 'cloud.test',
        'requested-project-id': demoProject,
        authorization: oauthHeader(
          'POST',
          rtUrl,
          { oauth_consumer_key: c.id, oauth_callback: 'oob' },
          'wrong',
        ),
      },
    })
    assert.equal(badSig.statusCode, 401)
    const rt = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/OS-OAUTH1/request_token',
      headers: {
        host: 'cloud.test',
        'requested-project-id': demoProject,
        authorization: oauthHeader(
          'POST',
          rtUrl,
          { oauth_consumer_key: c.id, oauth_callback: 'oob' },
          c.secret,
        ),
      },
    })
    assert.equal(rt.statusCode, 201, rt.body)
    assert.match(String(rt.headers['content-type']), /application\/x-www-form-urlencoded/)
    const request = form(rt.body)
    assert.ok(request.oauth_token && request.oauth_token_secret)
    assert.match(request.oauth_expires_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)

    // Authorize: the demo user holds member on demo; not admin.
    const member = await h.call(
      'PUT',
      `/v3/OS-OAUTH1/authorize/${request.oauth_token}`,
      { roles: [{ id: memberRole }] },
      h.memberToken,
    )
    assert.equal(member.status, 403, 'authorize_request_token is admin_required by default')
    const adminRole = (await h.call('GET', '/v3/roles?name=admin')).json.roles[0].id
    const notHeld = await h.call('PUT', `/v3/OS-OAUTH1/authorize/${request.oauth_token}`, {
      roles: [{ id: adminRole }],
    })
    assert.equal(notHeld.status, 401, 'the admin holds no role on the demo project')
    await h.call(
      'PUT',
      `/v3/projects/${demoProject}/users/${(await h.call('GET', '/v3/users?name=admin')).json.users[0].id}/roles/${memberRole}`,
    )
    const auth = await h.call('PUT', `/v3/OS-OAUTH1/authorize/${request.oauth_token}`, {
      roles: [{ name: 'member' }],
    })
    assert.equal(auth.status, 200, JSON.stringify(auth.json))
    const verifier = auth.json.token.oauth_verifier as string
    assert.ok(verifier)

    const atUrl = `${BASE}/OS-OAUTH1/access_token`
    const wrongVerifier = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/OS-OAUTH1/access_token',
      headers: {
        host: 'cloud.test',
        authorization: oauthHeader(
          'POST',
          atUrl,
          { oauth_consumer_key: c.id, oauth_token: request.oauth_token!, oauth_verifier: 'nope' },
          c.secret,
          request.oauth_token_secret,
        ),
      },
    })
    assert.equal(wrongVerifier.statusCode, 401)
    const at = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/OS-OAUTH1/access_token',
      headers: {
        host: 'cloud.test',
        authorization: oauthHeader(
          'POST',
          atUrl,
          { oauth_consumer_key: c.id, oauth_token: request.oauth_token!, oauth_verifier: verifier },
          c.secret,
          request.oauth_token_secret,
        ),
      },
    })
    assert.equal(at.statusCode, 201, at.body)
    const access = form(at.body)

    const tokenUrl = `${BASE}/auth/tokens`
    const tok = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      headers: {
        host: 'cloud.test',
        authorization: oauthHeader(
          'POST',
          tokenUrl,
          { oauth_consumer_key: c.id, oauth_token: access.oauth_token! },
          c.secret,
          access.oauth_token_secret,
        ),
      },
      payload: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
    })
    assert.equal(tok.statusCode, 201, tok.body)
    const t = JSON.parse(tok.body).token
    assert.deepEqual(t.methods, ['oauth1'])
    assert.equal(t.project.id, demoProject)
    assert.deepEqual(t['OS-OAUTH1'], { access_token_id: access.oauth_token, consumer_id: c.id })
    assert.ok(t.roles.some((r: { name: string }) => r.name === 'member'))
    assert.ok(!t.roles.some((r: { name: string }) => r.name === 'admin'))

    // A token from a delegation may not authorize another one.
    const delegated = tok.headers['x-subject-token'] as string
    const again = await h.call(
      'PUT',
      `/v3/OS-OAUTH1/authorize/${request.oauth_token}`,
      { roles: [{ name: 'member' }] },
      delegated,
    )
    assert.ok(again.status === 403, `got ${again.status}`)

    const adminId = (await h.call('GET', '/v3/users?name=admin')).json.users[0].id
    const list = await h.call('GET', `/v3/users/${adminId}/OS-OAUTH1/access_tokens`)
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.json.access_tokens.map((x: { id: string }) => x.id),
      [access.oauth_token],
    )
    assert.equal(list.json.access_tokens[0].expires_at, access.oauth_expires_at)
    const roles = await h.call(
      'GET',
      `/v3/users/${adminId}/OS-OAUTH1/access_tokens/${access.oauth_token}/roles`,
    )
    assert.deepEqual(
      roles.json.roles.map((r: { id: string }) => r.id),
      [memberRole],
    )
    assert.equal(
      (await h.call('DELETE', `/v3/users/${adminId}/OS-OAUTH1/access_tokens/${access.oauth_token}`)).status,
      204,
    )
    const gone = await h.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      headers: {
        host: 'cloud.test',
        authorization: oauthHeader(
          'POST',
          tokenUrl,
          { oauth_consumer_key: c.id, oauth_token: access.oauth_token! },
          c.secret,
          access.oauth_token_secret,
        ),
      },
      payload: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } },
    })
    assert.equal(gone.statusCode, 401)
  })
})

describe('/v3/ec2tokens and /v3/s3tokens', () => {
  let access: string
  let secret: string
  before(async () => {
    const r = await h.call('POST', `/v3/users/${demoUser}/credentials/OS-EC2`, { tenant_id: demoProject })
    assert.equal(r.status, 201)
    access = r.json.credential.access
    secret = r.json.credential.secret
  })

  const signedV2 = (params: Record<string, string>, key = secret) => {
    const c = {
      access,
      host: 'ec2.test:8773',
      verb: 'GET',
      path: '/',
      params: { SignatureVersion: '2', AWSAccessKeyId: access, ...params },
    }
    return { ...c, signature: ec2Signature(key, c)! }
  }

  it('gives a token of the credential’s user on its project for a good signature', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const r = await h.call('POST', '/v3/ec2tokens', {
      credentials: signedV2({ Action: 'DescribeInstances', Timestamp: now }),
    })
    assert.equal(r.status, 200, JSON.stringify(r.json))
    assert.ok(r.headers['x-subject-token'])
    assert.deepEqual(r.json.token.methods, ['ec2credential'])
    assert.equal(r.json.token.user.id, demoUser)
    assert.equal(r.json.token.project.id, demoProject)
    const legacyKey = await h.call('POST', '/v3/ec2tokens', { ec2Credentials: signedV2({ Action: 'X' }) })
    assert.equal(legacyKey.status, 200)
  })

  it('refuses a bad signature, an unknown key, an old timestamp and a caller without the service role', async () => {
    assert.equal(
      (await h.call('POST', '/v3/ec2tokens', { credentials: signedV2({ Action: 'X' }, 'wrong') })).status,
      401,
    )
    const unknown = await h.call('POST', '/v3/ec2tokens', {
      credentials: { ...signedV2({ Action: 'X' }), access: 'nope' },
    })
    assert.equal(unknown.status, 401)
    assert.equal((await h.call('POST', '/v3/ec2tokens', { credentials: {} })).status, 401)
    const old = await h.call('POST', '/v3/ec2tokens', {
      credentials: signedV2({ Action: 'X', Timestamp: '2020-01-01T00:00:00Z' }),
    })
    assert.equal(old.status, 401)
    assert.match(old.json.error.message, /expired/)
    const asMember = await h.call(
      'POST',
      '/v3/ec2tokens',
      { credentials: signedV2({ Action: 'X' }) },
      h.memberToken,
    )
    assert.equal(asMember.status, 403)
    assert.equal(
      (await h.call('POST', '/v3/ec2tokens', { credentials: signedV2({ Action: 'X' }) }, null)).status,
      401,
    )
  })

  it('s3tokens checks the v2 signature of the string to sign', async () => {
    const token = Buffer.from('GET\n\n\nTue, 02 Jan 2024 03:04:05 GMT\n/bucket/key').toString('base64')
    const signature = createHmac('sha1', secret).update(Buffer.from(token, 'base64')).digest('base64')
    const r = await h.call('POST', '/v3/s3tokens', { credentials: { access, token, signature } })
    assert.equal(r.status, 200, JSON.stringify(r.json))
    assert.equal(r.json.token.project.id, demoProject)
    const bad = await h.call('POST', '/v3/s3tokens', { credentials: { access, token, signature: 'AAAA' } })
    assert.equal(bad.status, 401)
    assert.equal(bad.json.error.message, 'Credential signature mismatch')
  })
})
