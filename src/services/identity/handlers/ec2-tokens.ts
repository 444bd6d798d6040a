/**
 * POST /v3/ec2tokens and /v3/s3tokens: an EC2 or S3 front end (holding a service or
 * admin token) asks whether a request was signed with a stored EC2 credential, and gets
 * a token of the credential's user on its project.
 */
import { authenticateSignedRequest } from '../domain/ec2-tokens.js'
import { tokenBody } from './auth-tokens.js'
import type { Handler, IdentityDeps } from './deps.js'

const deps = (d: IdentityDeps) => ({
  credentials: d.credentials,
  appCreds: d.appCreds,
  oauth1: d.oauth1,
  authenticator: d.auth.authenticator,
  authTtlMinutes: d.config.credential.auth_ttl,
})

/** POST /v3/ec2tokens: 200, X-Subject-Token. */
export const ec2Tokens: Handler = async (req, reply, d) => {
  const token = await authenticateSignedRequest(deps(d), 'ec2', req.body)
  reply.code(200).header('x-subject-token', token.id)
  return tokenBody(d, token, req)
}

/** POST /v3/s3tokens: 200 with the token body. */
export const s3Tokens: Handler = async (req, reply, d) => {
  const token = await authenticateSignedRequest(deps(d), 's3', req.body)
  reply.code(200)
  return tokenBody(d, token, req)
}
