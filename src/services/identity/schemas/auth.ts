/**
 * The token request body (`POST /v3/auth/tokens`), checked by hand so that wrong types
 * are refused rather than coerced (Fastify's Ajv coerces `123` into `"123"`). The
 * messages follow Keystone's jsonschema wording: `Invalid input for field '<path>': ...`.
 */
import { DomainError } from '../../../kernel/errors/index.js'
import type { AuthRequest } from '../domain/auth.js'

export class AuthSchemaError extends DomainError {
  constructor(path: string, problem: string) {
    super(
      'bad_request',
      'identity.auth.schema',
      `Invalid input for field '${path}': ${problem}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
    )
  }
}

type Json = unknown
const MAX_STRING = 1024

function object(v: Json, path: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new AuthSchemaError(path, `${show(v)} is not of type 'object'`)
  return v as Record<string, Json>
}

function optString(o: Record<string, Json>, key: string, path: string, max = MAX_STRING): void {
  const v = o[key]
  if (v === undefined) return
  if (typeof v !== 'string') throw new AuthSchemaError(`${path}/${key}`, `${show(v)} is not of type 'string'`)
  if (v.length > max) throw new AuthSchemaError(`${path}/${key}`, 'is too long')
}

function domainRef(v: Json, path: string): void {
  const d = object(v, path)
  optString(d, 'id', path, 64)
  optString(d, 'name', path, 255)
}

function userRef(v: Json, path: string): void {
  const u = object(v, path)
  optString(u, 'id', path, 64)
  optString(u, 'name', path, 255)
  if (u.domain !== undefined) domainRef(u.domain, `${path}/domain`)
}

function show(v: Json): string {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

/** Checks the request body and returns its `auth` object. */
export function parseAuthRequest(body: Json): AuthRequest {
  if (body === undefined || body === null) throw new AuthSchemaError('auth', "'auth' is a required property")
  const root = object(body, 'body')
  if (root.auth === undefined) throw new AuthSchemaError('auth', "'auth' is a required property")
  const auth = object(root.auth, 'auth')
  if (auth.identity === undefined) throw new AuthSchemaError('auth', "'identity' is a required property")
  const identity = object(auth.identity, 'identity')
  const methods = identity.methods
  if (methods === undefined) throw new AuthSchemaError('identity', "'methods' is a required property")
  if (!Array.isArray(methods))
    throw new AuthSchemaError('identity/methods', `${show(methods)} is not of type 'array'`)
  methods.forEach((m, i) => {
    if (typeof m !== 'string')
      throw new AuthSchemaError(`identity/methods/${i}`, `${show(m)} is not of type 'string'`)
  })

  if (identity.password !== undefined) {
    const pw = object(identity.password, 'identity/password')
    if (pw.user === undefined) throw new AuthSchemaError('identity/password', "'user' is a required property")
    userRef(pw.user, 'identity/password/user')
    const user = pw.user as Record<string, Json>
    if (user.password === undefined)
      throw new AuthSchemaError('identity/password/user', "'password' is a required property")
    optString(user, 'password', 'identity/password/user', 4096)
  }
  if (identity.token !== undefined) {
    const t = object(identity.token, 'identity/token')
    if (t.id === undefined) throw new AuthSchemaError('identity/token', "'id' is a required property")
    optString(t, 'id', 'identity/token', 8192)
  }
  if (identity.application_credential !== undefined) {
    const ac = object(identity.application_credential, 'identity/application_credential')
    optString(ac, 'id', 'identity/application_credential', 64)
    optString(ac, 'name', 'identity/application_credential', 255)
    if (ac.secret === undefined) {
      throw new AuthSchemaError('identity/application_credential', "'secret' is a required property")
    }
    optString(ac, 'secret', 'identity/application_credential', 4096)
    if (ac.user !== undefined) userRef(ac.user, 'identity/application_credential/user')
  }

  const scope = auth.scope
  if (scope !== undefined && typeof scope !== 'string') {
    const s = object(scope, 'scope')
    if (s.project !== undefined) {
      const p = object(s.project, 'scope/project')
      optString(p, 'id', 'scope/project', 64)
      optString(p, 'name', 'scope/project', 255)
      if (p.domain !== undefined) domainRef(p.domain, 'scope/project/domain')
    }
    if (s.domain !== undefined) domainRef(s.domain, 'scope/domain')
    if (s.system !== undefined) {
      const sys = object(s.system, 'scope/system')
      if (sys.all !== undefined && typeof sys.all !== 'boolean') {
        throw new AuthSchemaError('scope/system/all', `${show(sys.all)} is not of type 'boolean'`)
      }
    }
    if (s['OS-TRUST:trust'] !== undefined) {
      const t = object(s['OS-TRUST:trust'], 'scope/OS-TRUST:trust')
      optString(t, 'id', 'scope/OS-TRUST:trust', 64)
    }
  }
  return auth as unknown as AuthRequest
}
