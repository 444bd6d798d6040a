/**
 * OAuth 1.0a request signatures (RFC 5849), as the OS-OAUTH1 flow checks them: the
 * `Authorization: OAuth ...` header's parameters, the signature base string (method,
 * base URL, the normalized oauth and query parameters) and HMAC-SHA1 keyed by the
 * consumer secret and the token secret.
 *
 * NOTE: no npm library is in the tree for this; the well-kept ones (oauth-1.0a) sign
 * requests on the client side and would still need the header parsing and base URL
 * rules below. The HMAC itself is node:crypto's; tests check a vector from oauthlib,
 * the library keystoneclient signs with.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** RFC 5849 3.6: only unreserved characters stay unescaped. */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The oauth_* parameters of an `Authorization: OAuth k="v", ...` header (realm dropped); undefined without one. */
export function parseOAuthHeader(header: string | undefined): Record<string, string> | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined
  const out: Record<string, string> = {}
  for (const part of header.replace(/^OAuth\s+/i, '').split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(part)
    if (!m) continue
    const key = decodeURIComponent(m[1]!)
    if (key === 'realm') continue
    out[key] = decodeURIComponent(m[2]!)
  }
  return out
}

/** RFC 5849 3.4.1.2: lower-case scheme and host, no default port, no query. */
function baseUrl(url: URL): string {
  const scheme = url.protocol.toLowerCase()
  const defaultPort = (scheme === 'http:' && url.port === '80') || (scheme === 'https:' && url.port === '443')
  const port = url.port && !defaultPort ? `:${url.port}` : ''
  return `${scheme}//${url.hostname.toLowerCase()}${port}${url.pathname}`
}

export function signatureBaseString(method: string, url: string, oauth: Record<string, string>): string {
  const u = new URL(url)
  const pairs: [string, string][] = []
  for (const [k, v] of u.searchParams) pairs.push([oauthEncode(k), oauthEncode(v)])
  for (const [k, v] of Object.entries(oauth))
    if (k !== 'oauth_signature') pairs.push([oauthEncode(k), oauthEncode(v)])
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1))
  const normalized = pairs.map(([k, v]) => `${k}=${v}`).join('&')
  return [method.toUpperCase(), oauthEncode(baseUrl(u)), oauthEncode(normalized)].join('&')
}

export function hmacSha1Signature(base: string, consumerSecret: string, tokenSecret = ''): string {
  return createHmac('sha1', `${oauthEncode(consumerSecret)}&${oauthEncode(tokenSecret)}`)
    .update(base)
    .digest('base64')
}

/** True when the request's oauth_signature is the HMAC-SHA1 of its base string with these secrets. */
export function verifyHmacSha1(
  method: string,
  url: string,
  oauth: Record<string, string>,
  consumerSecret: string,
  tokenSecret = '',
): boolean {
  if (oauth.oauth_signature_method !== 'HMAC-SHA1' || !oauth.oauth_signature) return false
  const expected = Buffer.from(
    hmacSha1Signature(signatureBaseString(method, url, oauth), consumerSecret, tokenSecret),
  )
  const got = Buffer.from(oauth.oauth_signature)
  return expected.length === got.length && timingSafeEqual(expected, got)
}
