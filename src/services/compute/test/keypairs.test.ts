/**
 * Keypairs over HTTP: import with fingerprints as ssh-keygen prints them, generation
 * (ssh and x509) until 2.92, per-user namespaces and the admin's user_id (2.10), paging
 * (2.35), status codes per version, the key_pairs quota, and bad input.
 */
import assert from 'node:assert/strict'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { ADMIN, MEMBER, OTHER, READER, startCompute, type TestHost } from './harness.js'

const K = '/compute/v2.1/os-keypairs'
const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPB3eCTrLmXo9QzUCsHGiOBTa72II4wlHDkYEIZlm4zd test@cloudlet'
const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCVm1K98SK0WRWfU0jcFy43nUa4Q1kTJmd0+oyRUhchEgDVlKCDiwB8f2eoy2kGWLup3NjAYPkhbGx1lvMcBDPr7byqOR61h58kqAgruzZK/6kPlZu1tPK0aeS5iVhkSk2MvOIB+AbZB71aceywfLemTuB0Le9A3yh9YMt3RhBKLE8MfIa3K+fQooBWu0VmoSYRcOIkrkfZWnBrg8VTE8VY+nJBmmT0C+9OmyCqkXA8hTso9rA2LQRUfElbGMChdBuswLgHMsrf/+Cc1msb7Z3wJKrFIWVUiK1k6SE8H33nXLOPN+QXVU63Kv0nwuBqmZvQobGFUnNSSuN+ntyqkEuJ root@vm'
const ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBaamYcZpw11KDZilVFhQaDesxetiUOcvsw91Exfdm6aIlqgmKKXdro5zScWXv02D0XCxaXq61nu8vjT5TzAtKE= root@vm'

describe('compute keypairs', () => {
  let t: TestHost
  before(async () => {
    t = await startCompute({ quota: { key_pairs: 5 } })
  })
  after(() => t.close())

  it('imports OpenSSH keys with the MD5 fingerprint ssh-keygen shows', async () => {
    const cases: [string, string, string][] = [
      ['ed', ED25519, 'e9:2b:30:fc:db:ed:cc:cd:42:18:95:3a:63:f7:6a:45'],
      ['rsa', RSA, 'b3:0d:b1:72:95:98:eb:c2:fe:82:71:20:2b:6b:a1:61'],
      ['ec', ECDSA, 'f1:24:2b:ed:45:f0:17:c6:34:91:6f:e3:d3:48:9d:fe'],
    ]
    for (const [name, key, fingerprint] of cases) {
      const res = await t.call('POST', K, {
        as: MEMBER,
        version: '2.2',
        body: { keypair: { name, public_key: key } },
      })
      assert.equal(res.status, 201, name)
      assert.deepEqual(res.body.keypair, {
        type: 'ssh',
        name,
        public_key: key,
        fingerprint,
        user_id: 'u-project-member',
      })
    }
    const shown = await t.call('GET', `${K}/ed`, { as: MEMBER, version: '2.2' })
    assert.equal(shown.body.keypair.fingerprint, 'e9:2b:30:fc:db:ed:cc:cd:42:18:95:3a:63:f7:6a:45')
    assert.equal(shown.body.keypair.deleted, false)
    assert.equal(shown.body.keypair.type, 'ssh')
    assert.match(shown.body.keypair.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)
    const listed = await t.call('GET', K, { as: MEMBER })
    assert.deepEqual(
      listed.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name),
      ['ec', 'ed', 'rsa'],
    )
    assert.ok(!('type' in listed.body.keypairs[0].keypair), 'no type at 2.1')
    const dup = await t.call('POST', K, {
      as: MEMBER,
      body: { keypair: { name: 'ed', public_key: ED25519 } },
    })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.conflictingRequest.message, "Key pair 'ed' already exists.")
    for (const name of ['ed', 'rsa', 'ec'])
      assert.equal((await t.call('DELETE', `${K}/${name}`, { as: MEMBER, version: '2.2' })).status, 204)
  })

  it('generates ssh and x509 key pairs until 2.92, and only imports after', async () => {
    const ssh = await t.call('POST', K, {
      as: MEMBER,
      version: '2.2',
      body: { keypair: { name: 'gen-ssh' } },
    })
    assert.equal(ssh.status, 201)
    assert.match(ssh.body.keypair.public_key, /^ssh-rsa AAAA\S+ /)
    assert.match(ssh.body.keypair.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)
    assert.equal(createPrivateKey(ssh.body.keypair.private_key).asymmetricKeyType, 'rsa')
    const shown = await t.call('GET', `${K}/gen-ssh`, { as: MEMBER })
    assert.ok(!('private_key' in shown.body.keypair), 'the private key is returned once')

    const x509 = await t.call('POST', K, {
      as: MEMBER,
      version: '2.2',
      body: { keypair: { name: 'gen-x509', type: 'x509' } },
    })
    assert.equal(x509.status, 201)
    assert.equal(x509.body.keypair.type, 'x509')
    const cert = new X509Certificate(x509.body.keypair.public_key)
    assert.equal(cert.subject, 'CN=u-project-member')
    assert.ok(cert.verify(cert.publicKey), 'self-signed')
    assert.equal(x509.body.keypair.fingerprint, cert.fingerprint.toLowerCase())
    const imported = await t.call('POST', K, {
      as: MEMBER,
      version: '2.2',
      body: { keypair: { name: 'imp-x509', type: 'x509', public_key: x509.body.keypair.public_key } },
    })
    assert.equal(imported.body.keypair.fingerprint, x509.body.keypair.fingerprint)

    const at292 = await t.call('POST', K, {
      as: MEMBER,
      version: '2.92',
      body: { keypair: { name: 'gen-new' } },
    })
    assert.equal(at292.status, 400)
    assert.match(at292.body.badRequest.message, /'public_key' is a required property/)
    const dotted = await t.call('POST', K, {
      as: MEMBER,
      version: '2.92',
      body: { keypair: { name: 'me@host.x', public_key: ED25519 } },
    })
    assert.equal(dotted.status, 201, 'names may hold @ and . from 2.92')
    const dottedOld = await t.call('POST', K, {
      as: MEMBER,
      version: '2.91',
      body: { keypair: { name: 'me@host', public_key: ED25519 } },
    })
    assert.equal(dottedOld.status, 400)
    assert.match(
      dottedOld.body.badRequest.message,
      /^An invalid 'name' value was provided\. The name must be: Only expected characters/,
    )
    for (const name of ['gen-ssh', 'gen-x509', 'imp-x509', 'me@host.x'])
      assert.equal(
        (await t.call('DELETE', `${K}/${encodeURIComponent(name)}`, { as: MEMBER })).status,
        202,
        'delete is 202 at 2.1',
      )
  })

  it('refuses bad keys and bodies as Nova does', async () => {
    const bad: [unknown, number, RegExp][] = [
      [
        { keypair: { name: 'k', public_key: 'ssh-rsa not-base64!' } },
        400,
        /Keypair data is invalid: failed to generate fingerprint/,
      ],
      [
        { keypair: { name: 'k', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==' } },
        400,
        /failed to generate fingerprint/,
      ],
      [
        { keypair: { name: 'k', public_key: ED25519.replace('ssh-ed25519', 'ssh-rsa') } },
        400,
        /failed to generate fingerprint/,
      ],
      [
        { keypair: { name: 'k', type: 'x509', public_key: 'not a cert' } },
        400,
        /failed to generate X509 fingerprint/,
      ],
      [{ keypair: { name: 'k', type: 'pgp' } }, 400, /'pgp' is not one of \['ssh', 'x509'\]/],
      [{ keypair: { name: '' } }, 400, /is too short/],
      [{ keypair: { name: 'a/b' } }, 400, /Only expected characters/],
      [{ keypair: {} }, 400, /'name' is a required property/],
      [{}, 400, /'keypair' is a required property/],
    ]
    for (const [body, status, message] of bad) {
      const res = await t.call('POST', K, { as: MEMBER, version: '2.2', body })
      assert.equal(res.status, status, JSON.stringify(body))
      assert.match(res.body.badRequest.message, message, JSON.stringify(body))
    }
    assert.deepEqual((await t.call('GET', K, { as: MEMBER })).body.keypairs, [], 'nothing half-created')
    const missing = await t.call('GET', `${K}/nope`, { as: MEMBER })
    assert.equal(missing.status, 404)
    assert.equal(missing.body.itemNotFound.message, 'Keypair nope not found for user u-project-member')
  })

  it('keeps users apart; admins act for another user from 2.10', async () => {
    await t.call('POST', K, { as: OTHER, body: { keypair: { name: 'theirs', public_key: ED25519 } } })
    assert.equal(
      (await t.call('GET', `${K}/theirs`, { as: MEMBER })).status,
      404,
      "another user's key is invisible",
    )
    assert.deepEqual((await t.call('GET', K, { as: MEMBER })).body.keypairs, [])
    const peek = await t.call('GET', `${K}/theirs?user_id=u-other-project-member`, {
      as: MEMBER,
      version: '2.10',
    })
    assert.equal(peek.status, 403)
    assert.equal(
      peek.body.forbidden.message,
      "Policy doesn't allow os_compute_api:os-keypairs:show to be performed.",
    )
    const asAdmin = await t.call('GET', `${K}/theirs?user_id=u-other-project-member`, {
      as: ADMIN,
      version: '2.10',
    })
    assert.equal(asAdmin.status, 200)
    const forUser = await t.call('POST', K, {
      as: ADMIN,
      version: '2.10',
      body: { keypair: { name: 'given', public_key: RSA, user_id: 'u-project-reader' } },
    })
    assert.equal(forUser.status, 201)
    assert.equal(forUser.body.keypair.user_id, 'u-project-reader')
    assert.equal((await t.call('GET', `${K}/given`, { as: READER })).status, 200)
    const notMine = await t.call('POST', K, {
      as: MEMBER,
      version: '2.10',
      body: { keypair: { name: 'x', public_key: RSA, user_id: 'u-project-reader' } },
    })
    assert.equal(notMine.status, 403)
    const userIdBefore210 = await t.call('POST', K, {
      as: ADMIN,
      version: '2.9',
      body: { keypair: { name: 'x', public_key: RSA, user_id: 'u-project-reader' } },
    })
    assert.equal(userIdBefore210.status, 400)
    assert.equal(
      (await t.call('DELETE', `${K}/theirs?user_id=u-other-project-member`, { as: ADMIN, version: '2.10' }))
        .status,
      204,
    )
    await t.call('DELETE', `${K}/given?user_id=u-project-reader`, { as: ADMIN, version: '2.10' })
  })

  it('pages lists from 2.35 and holds users to their key_pairs quota', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      assert.equal(
        (await t.call('POST', K, { as: MEMBER, body: { keypair: { name, public_key: ED25519 } } })).status,
        200,
      )
    const over = await t.call('POST', K, {
      as: MEMBER,
      body: { keypair: { name: 'f', public_key: ED25519 } },
    })
    assert.equal(over.status, 403)
    assert.equal(over.body.forbidden.message, 'Quota exceeded, too many key pairs.')
    const page = await t.call('GET', `${K}?limit=2&marker=b`, { as: MEMBER, version: '2.35' })
    assert.deepEqual(
      page.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name),
      ['c', 'd'],
    )
    assert.match(page.body.keypairs_links[0].href, /os-keypairs\?limit=2&marker=d$/)
    assert.equal(
      (await t.call('GET', `${K}?limit=2`, { as: MEMBER, version: '2.34' })).body.keypairs.length,
      5,
      'no paging before 2.35',
    )
    assert.equal((await t.call('GET', `${K}?marker=zz`, { as: MEMBER, version: '2.35' })).status, 400)
    assert.equal((await t.call('GET', `${K}?foo=1`, { as: MEMBER, version: '2.75' })).status, 400)
  })
})
