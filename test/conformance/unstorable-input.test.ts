/**
 * Input no database can store, and JSON too deep for a recursive validator, is refused
 * with a 400 in the fault format of the service called, on SQLite, PostgreSQL and
 * MariaDB alike, and nothing of it is stored. One case per finding of the hardening
 * issue: a NUL in user, project, credential, application credential, image, image
 * property and tag, and provider creation, in an anonymous password login and in a list
 * filter; an unpaired surrogate and bytes that are not UTF-8; 10,000 levels of nesting
 * on user create, image create and image patch; a body over the size limit (413). Image
 * data, which is not JSON, is stored byte for byte whatever it holds.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { enabledDialects } from '../../src/kernel/db/testing.js'
import { startTestCloud, type TestCloud } from '../support/test-cloud.js'

type Service = 'identity' | 'image' | 'placement'
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const NUL = '\u0000'
const DEEP = 10_000
const deep = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'

/** Asserts a 400 in the service's own fault body whose message says what was wrong. */
function assertRefused(
  service: Service,
  res: { statusCode: number; body: string; json(): unknown },
  about: RegExp,
): void {
  assert.equal(res.statusCode, 400, res.body.slice(0, 300))
  const body = res.json() as Record<string, unknown>
  if (service === 'identity') {
    const error = body.error as { code: number; title: string; message: string }
    assert.equal(error.code, 400)
    assert.equal(error.title, 'Bad Request')
    assert.match(error.message, about)
  } else if (service === 'image') {
    assert.equal(body.code, '400 Bad Request')
    assert.match(String(body.message), about)
  } else {
    const [error] = body.errors as Array<{ status: number; code: string; detail: string }>
    assert.equal(error?.status, 400)
    assert.equal(error?.code, 'placement.undefined_code')
    assert.match(String(error?.detail), about)
  }
}

for (const dialect of enabledDialects()) {
  describe(`input no database can store, on ${dialect}`, () => {
    let t: TestCloud
    let imageId: string
    before(async () => {
      t = await startTestCloud(dialect)
      const image = await call('image', 'POST', '/image/v2/images', {
        name: 'kept',
        disk_format: 'raw',
        container_format: 'bare',
      })
      assert.equal(image.statusCode, 201, image.body)
      imageId = (image.json() as { id: string }).id
    })
    after(async () => {
      await t?.close()
    })

    async function call(
      service: Service,
      method: Method,
      url: string,
      body?: unknown,
      options: { raw?: string | Buffer; type?: string; anonymous?: boolean } = {},
    ) {
      const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body))
      return t.cloud.app.inject({
        method,
        url,
        payload,
        headers: {
          ...(payload !== undefined ? { 'content-type': options.type ?? 'application/json' } : {}),
          ...(options.anonymous ? {} : { 'x-auth-token': t.adminToken }),
          ...(service === 'placement' ? { 'openstack-api-version': 'placement latest' } : {}),
        },
      })
    }

    async function names(service: Service, url: string, key: string): Promise<string[]> {
      const res = await call(service, 'GET', url)
      assert.equal(res.statusCode, 200, res.body)
      return ((res.json() as Record<string, Array<{ name: string }>>)[key] ?? []).map((x) => x.name)
    }

    it('refuses a NUL in a user name and stores no user', async () => {
      const res = await call('identity', 'POST', '/identity/v3/users', { user: { name: `eve${NUL}` } })
      assertRefused('identity', res, /user\.name.*NUL/)
      assert.ok(!(await names('identity', '/identity/v3/users', 'users')).some((n) => n.startsWith('eve')))
    })

    it('refuses a NUL in a project name and stores no project', async () => {
      const res = await call('identity', 'POST', '/identity/v3/projects', {
        project: { name: `p${NUL}x`, description: 'fine' },
      })
      assertRefused('identity', res, /project\.name.*NUL/)
      assert.ok(!(await names('identity', '/identity/v3/projects', 'projects')).includes(`p${NUL}x`))
    })

    it('refuses a NUL in a credential blob', async () => {
      const res = await call('identity', 'POST', '/identity/v3/credentials', {
        credential: { user_id: t.adminUserId, type: 'totp', blob: `secret${NUL}` },
      })
      assertRefused('identity', res, /credential\.blob.*NUL/)
      const list = await call('identity', 'GET', '/identity/v3/credentials')
      assert.equal((list.json() as { credentials: unknown[] }).credentials.length, 0)
    })

    it('refuses a NUL in an application credential name', async () => {
      const url = `/identity/v3/users/${t.adminUserId}/application_credentials`
      const res = await call('identity', 'POST', url, { application_credential: { name: `ac${NUL}` } })
      assertRefused('identity', res, /application_credential\.name.*NUL/)
      assert.deepEqual(await names('identity', url, 'application_credentials'), [])
    })

    it('refuses an anonymous password login with a NUL in the user name', async () => {
      const res = await call(
        'identity',
        'POST',
        '/identity/v3/auth/tokens',
        {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: `admin${NUL}`, domain: { id: 'default' }, password: 'pw' } },
            },
          },
        },
        { anonymous: true },
      )
      assertRefused('identity', res, /NUL/)
    })

    it('refuses a NUL in an image name, property and tag, and keeps the image as it was', async () => {
      const created = await call('image', 'POST', '/image/v2/images', { name: `img${NUL}` })
      assertRefused('image', created, /name.*NUL/)
      const withProperty = await call('image', 'POST', '/image/v2/images', { name: 'ok', hw_x: `v${NUL}` })
      assertRefused('image', withProperty, /hw_x.*NUL/)
      const withTag = await call('image', 'POST', '/image/v2/images', { name: 'ok', tags: [`t${NUL}`] })
      assertRefused('image', withTag, /tags\[0\].*NUL/)
      assert.deepEqual(await names('image', '/image/v2/images', 'images'), ['kept'])

      const patched = await call('image', 'PATCH', `/image/v2/images/${imageId}`, undefined, {
        raw: JSON.stringify([{ op: 'add', path: '/hw_x', value: `v${NUL}` }]),
        type: PATCH_TYPE,
      })
      assertRefused('image', patched, /\[0\]\.value.*NUL/)
      const tagged = await call('image', 'PUT', `/image/v2/images/${imageId}/tags/t%00x`)
      assertRefused('image', tagged, /URL.*NUL/)
      const image = (await call('image', 'GET', `/image/v2/images/${imageId}`)).json() as Record<
        string,
        unknown
      >
      assert.equal(image.hw_x, undefined)
      assert.deepEqual(image.tags, [])
    })

    it('stores image data as sent: uploads are not inspected', async () => {
      const created = await call('image', 'POST', '/image/v2/images', {
        name: 'binary',
        disk_format: 'raw',
        container_format: 'bare',
      })
      const id = (created.json() as { id: string }).id
      const data = Buffer.from([0, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0x7b, 0x5b, 0, 0])
      const upload = await call('image', 'PUT', `/image/v2/images/${id}/file`, undefined, {
        raw: data,
        type: 'application/octet-stream',
      })
      assert.equal(upload.statusCode, 204, upload.body)
      const download = await call('image', 'GET', `/image/v2/images/${id}/file`)
      assert.ok(download.rawPayload.equals(data))
      assert.equal((await call('image', 'DELETE', `/image/v2/images/${id}`)).statusCode, 204)
    })

    it('refuses a NUL in a resource provider name and stores no provider', async () => {
      const res = await call('placement', 'POST', '/placement/resource_providers', { name: `rp${NUL}` })
      assertRefused('placement', res, /name.*NUL/)
      // The cloud's own simulated hypervisors have providers; none was added.
      const stored = await names('placement', '/placement/resource_providers', 'resource_providers')
      assert.deepEqual(
        stored.filter((n) => n.startsWith('rp')),
        [],
      )
    })

    it('refuses ?name=a%00b in the lists of every service', async () => {
      assertRefused('identity', await call('identity', 'GET', '/identity/v3/users?name=a%00b'), /NUL/)
      assertRefused('identity', await call('identity', 'GET', '/identity/v3/projects?name=a%00b'), /NUL/)
      assertRefused('image', await call('image', 'GET', '/image/v2/images?name=a%00b'), /NUL/)
      assertRefused(
        'placement',
        await call('placement', 'GET', '/placement/resource_providers?name=a%00b'),
        /NUL/,
      )
    })

    it('refuses a NUL in a path parameter', async () => {
      assertRefused('identity', await call('identity', 'GET', '/identity/v3/users/a%00b'), /NUL/)
      assertRefused('placement', await call('placement', 'GET', '/placement/resource_providers/a%00b'), /NUL/)
    })

    it('refuses unpaired surrogates in bodies and bytes that are not UTF-8 in bodies and URLs', async () => {
      const surrogate = await call('identity', 'POST', '/identity/v3/users', undefined, {
        raw: '{"user": {"name": "half \\ud800 a pair"}}',
      })
      assertRefused('identity', surrogate, /user\.name.*surrogate/)
      const latin1 = await call('image', 'POST', '/image/v2/images', undefined, {
        raw: Buffer.from('{"name": "caf\xe9"}', 'latin1'),
      })
      assertRefused('image', latin1, /body is not valid UTF-8/)
      const query = await call('placement', 'GET', '/placement/resource_providers?name=%ff%fe')
      assertRefused('placement', query, /not valid UTF-8/)
      // A well-formed pair and accented text are stored as sent.
      const fine = await call('identity', 'POST', '/identity/v3/users', { user: { name: 'café 😀' } })
      assert.equal(fine.statusCode, 201, fine.body)
      assert.ok(
        (await names('identity', '/identity/v3/users?name=caf%C3%A9%20%F0%9F%98%80', 'users')).length === 1,
      )
    })

    it('refuses a JSON body over 1 MiB with a 413 in the format of each service', async () => {
      const big = JSON.stringify({ name: 'b'.repeat(1024 * 1024) })
      const user = await call('identity', 'POST', '/identity/v3/users', undefined, { raw: big })
      assert.equal(user.statusCode, 413)
      assert.equal((user.json() as { error: { code: number } }).error.code, 413)
      const image = await call('image', 'POST', '/image/v2/images', undefined, { raw: big })
      assert.equal(image.statusCode, 413)
      assert.equal((image.json() as { code: string }).code, '413 Request Entity Too Large')
      const provider = await call('placement', 'POST', '/placement/resource_providers', undefined, {
        raw: big,
      })
      assert.equal(provider.statusCode, 413)
      assert.equal((provider.json() as { errors: Array<{ status: number }> }).errors[0]?.status, 413)
    })

    it('refuses 10,000 levels of nesting on user create, image create and image patch', async () => {
      const user = await call('identity', 'POST', '/identity/v3/users', undefined, {
        raw: `{"user": {"name": "deep", "extra": ${deep}}}`,
      })
      assertRefused('identity', user, /nested more than 64 levels/)
      const image = await call('image', 'POST', '/image/v2/images', undefined, {
        raw: `{"name": "deep", "x": ${deep}}`,
      })
      assertRefused('image', image, /nested more than 64 levels/)
      const patch = await call('image', 'PATCH', `/image/v2/images/${imageId}`, undefined, {
        raw: `[{"op": "add", "path": "/x", "value": ${deep}}]`,
        type: PATCH_TYPE,
      })
      assertRefused('image', patch, /nested more than 64 levels/)
      const provider = await call('placement', 'POST', '/placement/resource_providers', undefined, {
        raw: `{"name": "deep", "x": ${deep}}`,
      })
      assertRefused('placement', provider, /nested more than 64 levels/)
    })
  })
}
