/**
 * The token request body (`POST /v3/auth/tokens`). Wrong types are refused, never
 * coerced; the 400s follow the auth API's wording (`Invalid input for field
 * 'identity/password/user': 'password' is a required property. The server could not
 * comply...`), in the order written here: schemas/validation.ts reports the first check
 * that fails, and `allOf` keeps a member's checks before a later `required`.
 */
import type { Schema } from './parameter-types.js'
import { authWorded } from './validation.js'

const str = (maxLength: number): Schema => ({ type: 'string', maxLength })
const object = (s: Schema): Schema => ({ type: 'object', ...s })

const domainRef = object({ properties: { id: str(64), name: str(255) } })
const nameOrId: Record<string, Schema> = { id: str(64), name: str(255), domain: domainRef }

const password = object({
  required: ['user'],
  properties: {
    user: object({
      allOf: [{ properties: nameOrId }, { required: ['password'], properties: { password: str(4096) } }],
    }),
  },
})
const token = object({ required: ['id'], properties: { id: str(8192) } })
const applicationCredential = object({
  allOf: [
    { properties: { id: str(64), name: str(255) } },
    { required: ['secret'], properties: { secret: str(4096) } },
    { properties: { user: object({ properties: nameOrId }) } },
  ],
})

const identity = object({
  required: ['methods'],
  properties: {
    methods: { type: 'array', items: { type: 'string' } },
    password,
    token,
    application_credential: applicationCredential,
  },
})

/** A scope is an object, or a word (`"unscoped"`, which the authenticator checks). */
const scope: Schema = {
  if: { type: 'string' },
  else: object({
    properties: {
      project: object({ properties: nameOrId }),
      domain: domainRef,
      system: object({ properties: { all: { type: 'boolean' } } }),
      'OS-TRUST:trust': object({ properties: { id: str(64) } }),
    },
  }),
}

export const authRequest = authWorded(
  object({
    required: ['auth'],
    properties: { auth: object({ required: ['identity'], properties: { identity, scope } }) },
  }),
)
