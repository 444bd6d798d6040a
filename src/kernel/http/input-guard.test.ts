import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { apiWgFault, keystoneFault } from '../errors/index.js'
import { createApp } from './app.js'
import {
  checkJsonDepth,
  checkJsonStrings,
  checkRequestUrl,
  InvalidUtf8,
  JsonTooDeep,
  parseGuardedJson,
  UnstorableCharacter,
} from './input-guard.js'
import { serviceScope } from './service-scope.js'

describe('checkRequestUrl', () => {
  const cases: Array<[string, (new (...a: never[]) => Error) | undefined]> = [
    ['/v3/users?name=plain', undefined],
    ['/v3/users?name=caf%C3%A9&x=%F0%9F%98%80', undefined],
    ['/v3/users?name=100%25&bad=%zz', undefined],
    ['/v3/users?name=a%00b', UnstorableCharacter],
    ['/v3/users/a%00b', UnstorableCharacter],
    ['/v3/users?a%00=1', UnstorableCharacter],
    ['/v3/users?name=%ff%fe', InvalidUtf8],
    ['/v3/users?name=%C3', InvalidUtf8],
    // A surrogate half encoded as UTF-8 bytes is not UTF-8.
    ['/v3/users?name=%ED%A0%80', InvalidUtf8],
  ]
  for (const [url, refusal] of cases) {
    it(`${refusal ? 'refuses' : 'accepts'} ${url}`, () => {
      if (refusal) assert.throws(() => checkRequestUrl(url), refusal)
      else checkRequestUrl(url)
    })
  }
})

describe('checkJsonDepth', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    checkJsonDepth(`{"a": "${'['.repeat(100)}\\"{"}`, 2)
    checkJsonDepth('[[1]]', 2)
    assert.throws(() => checkJsonDepth('[[[1]]]', 2), JsonTooDeep)
    assert.throws(() => checkJsonDepth(`{"a": {"b": [${'['.repeat(1e6)}`, 64), JsonTooDeep)
  })
})

describe('checkJsonStrings', () => {
  it('names where an unstorable string is, in values and keys', () => {
    checkJsonStrings({ user: { name: 'café 😀', tags: ['a', 1, null, true] } })
    assert.throws(
      () => checkJsonStrings({ user: { name: 'a\u0000' } }),
      /Invalid input for user\.name: it contains a NUL character/,
    )
    assert.throws(
      () => checkJsonStrings([{ value: ['x', 'b\ud800'] }]),
      /\[0\]\.value\[1\].*unpaired UTF-16 surrogate/,
    )
    assert.throws(() => checkJsonStrings({ 'k\u0000': 1 }), /the key k\\u0000: it contains a NUL/)
    assert.throws(() => checkJsonStrings('\udc00 alone'), /the body: it contains an unpaired/)
  })
})

describe('parseGuardedJson', () => {
  it('parses UTF-8 JSON and gives undefined for an empty body', () => {
    assert.deepEqual(parseGuardedJson(Buffer.from('{"name": "café"}')), { name: 'café' })
    assert.equal(parseGuardedJson(Buffer.from('  ')), undefined)
  })
  it('refuses bytes that are not UTF-8, depth, and escaped NULs', () => {
    assert.throws(() => parseGuardedJson(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), InvalidUtf8)
    assert.throws(() => parseGuardedJson('[[[]]]', { maxDepth: 2 }), JsonTooDeep)
    assert.throws(() => parseGuardedJson('{"a": "\\u0000"}'), UnstorableCharacter)
  })
  it('lets the given parser judge syntax', () => {
    assert.throws(
      () =>
        parseGuardedJson('{"a": ', {
          parse: () => {
            throw new RangeError('own wording')
          },
        }),
      /own wording/,
    )
  })
})

describe('the input guard on an app', () => {
  async function build() {
    const app = createApp({ logger: false, metrics: false, maxJsonDepth: 8 })
    app.register(
      async (scope) => {
        serviceScope(scope, { serviceType: 'identity', renderFault: keystoneFault })
        scope.post('/things', { config: { public: true } }, async (req) => ({ got: req.body }))
        scope.get('/things/:id', { config: { public: true } }, async (req) => req.params)
      },
      { prefix: '/identity' },
    )
    app.register(
      async (scope) => {
        serviceScope(scope, { serviceType: 'placement', renderFault: apiWgFault })
        scope.get('/things', { config: { public: true } }, async (req) => ({ query: req.query }))
        // A stream body, as image uploads are: no parser buffers or inspects it.
        scope.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
        scope.put('/data', { config: { public: true } }, async (req) => {
          const chunks: Buffer[] = []
          for await (const chunk of req.body as Readable) chunks.push(chunk as Buffer)
          return { bytes: [...Buffer.concat(chunks)] }
        })
      },
      { prefix: '/placement' },
    )
    await app.ready()
    return app
  }

  it('refuses in the fault format of the service called, before the handler', async () => {
    const app = await build()
    const nul = await app.inject({
      method: 'POST',
      url: '/identity/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"thing": {"name": "a\\u0000b"}}',
    })
    assert.equal(nul.statusCode, 400)
    assert.deepEqual(nul.json(), {
      error: {
        code: 400,
        title: 'Bad Request',
        message: 'Invalid input for thing.name: it contains a NUL character, which cannot be stored.',
      },
    })
    const deep = await app.inject({
      method: 'POST',
      url: '/identity/things',
      headers: { 'content-type': 'application/vnd.example+json' },
      payload: `${'['.repeat(9)}${']'.repeat(9)}`,
    })
    assert.equal(deep.statusCode, 400)
    assert.match(deep.json().error.message, /nested more than 8 levels/)
    const query = await app.inject({ url: '/placement/things?name=a%00b' })
    assert.equal(query.statusCode, 400)
    assert.equal(query.json().errors[0].code, 'cloudlet.input.unstorable_character')
    const param = await app.inject({ url: '/identity/things/a%00b' })
    assert.equal(param.statusCode, 400)
    assert.match(param.json().error.message, /request URL contains a NUL/)
    const fine = await app.inject({
      method: 'POST',
      url: '/identity/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"thing": {"name": "caf\\u00e9"}}',
    })
    assert.deepEqual(fine.json(), { got: { thing: { name: 'café' } } })
    await app.close()
  })

  it('passes octet-stream bodies through untouched, NUL and non-UTF-8 bytes included', async () => {
    const app = await build()
    const bytes = [0, 0xff, 0xfe, 0x7b, 0x5b, 0x5b, 0]
    const res = await app.inject({
      method: 'PUT',
      url: '/placement/data',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Readable.from([Buffer.from(bytes)]),
    })
    assert.equal(res.statusCode, 200, res.body)
    assert.deepEqual(res.json(), { bytes })
    await app.close()
  })
})
