/**
 * The signatures /v3/ec2tokens and /v3/s3tokens check against an EC2 credential's
 * secret, computed as the AWS signers define them (EC2 query signature versions 0, 1, 2
 * and 4; S3's v2 HMAC-SHA1 and v4 over a string to sign the S3 front end passes).
 * Pure functions over node:crypto.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** The `credentials` object of a POST /v3/ec2tokens. */
export interface Ec2SignedRequest {
  access: string
  signature?: string
  host?: string
  verb?: string
  path?: string
  params?: Record<string, string>
  headers?: Record<string, string>
  body_hash?: string
}

/** RFC 3986 encoding, as the AWS canonical query string wants it (only -_.~ unescaped). */
function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${awsEncode(k)}=${awsEncode(String(params[k]))}`)
    .join('&')
}

const hmac = (alg: 'sha1' | 'sha256', key: string | Buffer, msg: string | Buffer) =>
  createHmac(alg, key).update(msg).digest()

function v4Key(secret: string, date: string, region: string, service: string): Buffer {
  let k = hmac('sha256', `AWS4${secret}`, date)
  k = hmac('sha256', k, region)
  k = hmac('sha256', k, service)
  return hmac('sha256', k, 'aws4_request')
}

function isV4(c: Ec2SignedRequest): boolean {
  const auth = c.headers?.Authorization
  if (auth !== undefined) return auth.startsWith('AWS4-HMAC-SHA256')
  return c.params?.['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256'
}

function ec2V4(secret: string, c: Ec2SignedRequest): string {
  const params = c.params ?? {}
  const headers = c.headers ?? {}
  const authParam = (name: string): string => {
    const auth = headers.Authorization
    if (auth !== undefined) return auth.split(`${name}=`)[1]?.split(',')[0] ?? ''
    return params[`X-Amz-${name}`] ?? ''
  }
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase().trim(), String(v).trim()]))
  const signed = authParam('SignedHeaders')
  const headerLines = signed
    .split(';')
    .filter((h) => lower.has(h))
    .map((h) => `${h}:${lower.get(h)}`)
  const verb = (c.verb ?? '').toUpperCase()
  const canonical = [
    verb,
    c.path ?? '',
    verb === 'POST' ? '' : canonicalQuery(params),
    `${headerLines.join('\n')}\n`,
    signed,
    c.body_hash ?? '',
  ].join('\n')
  const credential = authParam('Credential').split('/')
  const date = headers['X-Amz-Date'] ?? params['X-Amz-Date'] ?? ''
  if (credential.length < 5 || !date.startsWith(credential[1]!)) return ''
  const scope = credential.slice(1).join('/')
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  )
  return hmac('sha256', v4Key(secret, credential[1]!, credential[2]!, credential[3]!), toSign).toString('hex')
}

/** The signature an EC2 request signed with `secret` carries; undefined for an unknown version. */
export function ec2Signature(secret: string, c: Ec2SignedRequest): string | undefined {
  const params = c.params ?? {}
  switch (params.SignatureVersion) {
    case '0':
      return hmac('sha1', secret, `${params.Action ?? ''}${params.Timestamp ?? ''}`).toString('base64')
    case '1': {
      const keys = Object.keys(params).sort((a, b) =>
        a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0,
      )
      const h = createHmac('sha1', secret)
      for (const k of keys) h.update(k).update(String(params[k]))
      return h.digest('base64')
    }
    case '2': {
      // NOTE: as the reference signer, version 2 is HMAC-SHA256 and the method is part of what is signed.
      const signedParams = { ...params, SignatureMethod: 'HmacSHA256' }
      const toSign = `${c.verb ?? ''}\n${c.host ?? ''}\n${c.path ?? ''}\n${canonicalQuery(signedParams)}`
      return hmac('sha256', secret, toSign).toString('base64')
    }
  }
  if (isV4(c)) return ec2V4(secret, c)
  return undefined
}

/** Compares without leaking where two signatures differ. */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Checks an EC2 request's signature; a `host:port` is tried without its port too (clients differ). */
export function ec2SignatureMatches(secret: string, c: Ec2SignedRequest): boolean {
  if (!c.signature) return false
  const expected = ec2Signature(secret, c)
  if (expected && sameSignature(c.signature, expected)) return true
  if (c.host?.includes(':')) {
    const host = new URL(`http://${c.host}`).hostname
    const again = ec2Signature(secret, { ...c, host })
    return again !== undefined && sameSignature(c.signature, again)
  }
  return false
}

/**
 * The signature of an S3 request: `token` is the base64 string to sign the S3 front end
 * built; v4 when it starts with `AWS4` (services s3, iam, sts), else v2 (HMAC-SHA1).
 * Undefined when a v4 string to sign is malformed.
 */
export function s3Signature(secret: string, tokenB64: string): string | undefined {
  const toSign = Buffer.from(tokenB64.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  if (toSign.subarray(0, 4).toString() !== 'AWS4') return hmac('sha1', secret, toSign).toString('base64')
  const parts = toSign.toString('utf8').split('\n')
  if (parts.length !== 4 || parts[0] !== 'AWS4-HMAC-SHA256') return undefined
  const scope = parts[2]!.split('/')
  if (scope.length !== 4 || scope[3] !== 'aws4_request' || !['s3', 'iam', 'sts'].includes(scope[2]!))
    return undefined
  return hmac('sha256', v4Key(secret, scope[0]!, scope[1]!, scope[2]!), toSign).toString('hex')
}
