/**
 * /v3/ec2tokens and /v3/s3tokens: an S3 or EC2 front end passes a request it received,
 * signed with an EC2 credential's secret; when the signature matches the stored
 * credential, the answer is a token of the credential's user on its project.
 */
import { AuthenticationFailed, ValidationFailed } from '../errors.js'
import type { ApplicationCredentials } from './application-credentials.js'
import type { Authenticator } from './auth.js'
import type { Credentials } from './credentials.js'
import { type Ec2SignedRequest, ec2SignatureMatches, s3Signature, sameSignature } from './ec2-signature.js'
import type { OAuth1 } from './oauth1.js'
import type { TokenModel } from './tokens-model.js'

export interface Ec2TokenDeps {
  credentials: Credentials
  appCreds: ApplicationCredentials
  oauth1: OAuth1
  authenticator: Authenticator
  /** `[credential] auth_ttl`, minutes a signed request's timestamp stays acceptable. */
  authTtlMinutes: number
  now?: () => number
}

type Kind = 'ec2' | 's3'

/** Checks the signed request in `body` and issues the token (401 for every failure, as upstream). */
export async function authenticateSignedRequest(
  deps: Ec2TokenDeps,
  kind: Kind,
  body: unknown,
): Promise<TokenModel> {
  if (body === null || typeof body !== 'object' || Object.keys(body).length === 0)
    throw new ValidationFailed('request must include a request body')
  const b = body as Record<string, unknown>
  const c = (b.credentials ?? b.credential ?? b.ec2Credentials ?? {}) as Ec2SignedRequest & { token?: string }
  if (typeof c.access !== 'string') throw new AuthenticationFailed('EC2 Signature not supplied')
  const cred = await deps.credentials.findEc2ByAccess(c.access)
  if (!cred?.tenant_id) throw new AuthenticationFailed('EC2 access key not found.')
  if (kind === 'ec2') {
    if (!c.signature) throw new AuthenticationFailed('EC2 signature not supplied.')
    if (!ec2SignatureMatches(cred.secret, { ...c, params: c.params ?? {} }))
      throw new AuthenticationFailed('Invalid EC2 signature.')
  } else {
    const expected = typeof c.token === 'string' ? s3Signature(cred.secret, c.token) : undefined
    if (!expected) throw new AuthenticationFailed('Invalid EC2 signature.')
    if (typeof c.signature !== 'string' || !sameSignature(c.signature, expected))
      throw new AuthenticationFailed('Credential signature mismatch')
  }
  checkTimestamp(c, deps.authTtlMinutes, (deps.now ?? Date.now)())
  let only: string[] | undefined
  if (cred.trust_id) throw new AuthenticationFailed('EC2 credentials of a trust are not supported.')
  if (cred.app_cred_id) {
    const ac = await deps.appCreds.findRecord({ id: cred.app_cred_id })
    if (!ac) throw new AuthenticationFailed()
    if (ac.project_id !== cred.tenant_id)
      throw new AuthenticationFailed(
        'EC2 credential project does not match the application credential project.',
      )
    only = ac.roles.map((r) => r.id)
  } else if (cred.access_token_id) {
    const at = await deps.oauth1.findAccessToken(cred.access_token_id)
    if (!at) throw new AuthenticationFailed()
    if (at.project_id !== cred.tenant_id)
      throw new AuthenticationFailed('EC2 credential project does not match the OAuth1 access token project.')
    only = at.role_ids
  }
  return deps.authenticator.issueEc2Token(cred.user_id, cred.tenant_id, only)
}

/** A signed request older than `[credential] auth_ttl` is refused (replays). */
function checkTimestamp(c: Ec2SignedRequest, ttlMinutes: number, now: number): void {
  const raw = c.params?.Timestamp ?? c.headers?.['X-Amz-Date'] ?? c.params?.['X-Amz-Date']
  if (!raw) return
  // X-Amz-Date is the compact form 20240102T030405Z.
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(raw)
  const at = m
    ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
    : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`)
  if (Number.isNaN(at)) throw new AuthenticationFailed(`Credential timestamp is invalid: ${raw}`)
  if (now > at + ttlMinutes * 60_000) throw new AuthenticationFailed('Credential is expired')
}
