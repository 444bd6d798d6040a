/**
 * Keystone's 400 wording from the kernel's schema engine: which failed check is named
 * (a value's own before its members', members in the order sent, the token request in
 * its schema's order) and how.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyRequest } from 'fastify'
import type { JsonSchema } from '../../../kernel/validation/index.js'
import { authRequest } from './auth.js'
import { endpointCreate } from './catalog.js'
import { appCredCreate, ec2Create } from './credentials.js'
import { tagSchema, tagsBody } from './projects.js'
import { userCreate } from './users.js'
import { validateBody, validateValue } from './validation.js'

function messageFor(schema: JsonSchema, body: unknown): string | undefined {
  try {
    validateBody({ body } as FastifyRequest, schema)
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

const SUFFIX =
  '. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'

describe('resource bodies', () => {
  const cases: Array<[string, JsonSchema, unknown, string | undefined]> = [
    ['valid', userCreate, { user: { name: 'u' } }, undefined],
    [
      'not an object',
      userCreate,
      [1],
      "Invalid input for field 'user': the request body must be a JSON object",
    ],
    [
      'no body',
      userCreate,
      undefined,
      "Invalid input for field 'user': the request body must be a JSON object",
    ],
    ['no envelope', userCreate, { name: 'u' }, "Invalid input for field '/': 'user' is a required property"],
    [
      'envelope not an object',
      userCreate,
      { user: null },
      "Invalid input for field 'user': null is not of type 'object'",
    ],
    ['required', userCreate, { user: {} }, "Invalid input for field 'user': 'name' is a required property"],
    [
      'type',
      userCreate,
      { user: { name: 5 } },
      "Invalid input for field 'user/name': 5 is not of type 'string'",
    ],
    [
      'union type',
      userCreate,
      { user: { name: 'u', description: 1 } },
      "Invalid input for field 'user/description': 1 is not of type 'string', 'null'",
    ],
    ['too short', userCreate, { user: { name: '' } }, "Invalid input for field 'user/name': '' is too short"],
    [
      'first member sent is named first',
      userCreate,
      { user: { enabled: 'x', name: 5 } },
      "Invalid input for field 'user/enabled': \"x\" is not of type 'boolean'",
    ],
    [
      'own checks before members',
      userCreate,
      { user: { enabled: 'x' } },
      "Invalid input for field 'user': 'name' is a required property",
    ],
    [
      'enum',
      endpointCreate,
      { endpoint: { service_id: 's', interface: 'x', url: 'http://a' } },
      'Invalid input for field \'endpoint/interface\': "x" is not one of ["public","internal","admin"]',
    ],
    [
      'pattern',
      endpointCreate,
      { endpoint: { service_id: 's', interface: 'public', url: 'nope' } },
      "Invalid input for field 'endpoint/url': 'nope' does not match '^[a-zA-Z0-9+.-]+:.+'",
    ],
    [
      'unexpected member, where it was sent',
      appCredCreate,
      { application_credential: { bogus: 1, name: 5 } },
      "Invalid input for field 'application_credential': Additional properties are not allowed ('bogus' was unexpected)",
    ],
    [
      'array items',
      appCredCreate,
      { application_credential: { name: 'a', roles: [{ id: 'r' }, 3] } },
      "Invalid input for field 'application_credential/roles/1': 3 is not of type 'object'",
    ],
    ['bare body', ec2Create, {}, "Invalid input for field '': 'tenant_id' is a required property"],
    [
      'bare member',
      tagsBody,
      { tags: ['a/b'] },
      "Invalid input for field 'tags/0': 'a/b' does not match '^[^,/]*$'",
    ],
  ]
  for (const [name, schema, body, expected] of cases)
    it(name, () => assert.equal(messageFor(schema, body), expected))

  it('names a path parameter', () => {
    assert.throws(() => validateValue('a,b', tagSchema, 'tag'), {
      message: "Invalid input for field 'tag': 'a,b' does not match '^[^,/]*$'",
    })
  })
})

describe('the token request', () => {
  const password = (user: unknown) => ({ auth: { identity: { methods: ['password'], password: { user } } } })
  const cases: Array<[string, unknown, string | undefined]> = [
    ['valid', password({ id: 'u', password: 'p' }), undefined],
    ['no body', undefined, "Invalid input for field 'auth': 'auth' is a required property"],
    ['not an object', 'x', "Invalid input for field 'body': \"x\" is not of type 'object'"],
    ['no auth', { foo: 1 }, "Invalid input for field 'auth': 'auth' is a required property"],
    ['no identity', { auth: {} }, "Invalid input for field 'auth': 'identity' is a required property"],
    [
      'methods',
      { auth: { identity: { methods: [1] } } },
      "Invalid input for field 'identity/methods/0': 1 is not of type 'string'",
    ],
    [
      "the user's members before its password",
      password({ id: 5 }),
      "Invalid input for field 'identity/password/user/id': 5 is not of type 'string'",
    ],
    [
      'password required',
      password({ id: 'u' }),
      "Invalid input for field 'identity/password/user': 'password' is a required property",
    ],
    [
      'too long',
      password({ id: 'u'.repeat(65), password: 'p' }),
      "Invalid input for field 'identity/password/user/id': is too long",
    ],
    ['a scope word passes the schema', { auth: { identity: { methods: [] }, scope: 'unscoped' } }, undefined],
    [
      'a scope of another type',
      { auth: { identity: { methods: [] }, scope: 5 } },
      "Invalid input for field 'scope': 5 is not of type 'object'",
    ],
    [
      'long values are cut',
      { auth: { identity: { methods: [] }, scope: { system: { all: 'y'.repeat(70) } } } },
      `Invalid input for field 'scope/system/all': "${'y'.repeat(56)}... is not of type 'boolean'`,
    ],
  ]
  for (const [name, body, expected] of cases)
    it(name, () =>
      assert.equal(messageFor(authRequest, body), expected === undefined ? undefined : expected + SUFFIX),
    )
})
