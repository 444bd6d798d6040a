/**
 * Fetching a URL on a user's behalf (web-download, http locations) without letting the
 * user reach what the server can reach and they cannot (OSSN-0078):
 *
 *   URL ─▶ scheme/host/port filters ([import_filtering_opts], Glance's names)
 *       ─▶ resolve the host (injectable resolver) ─▶ every address public? else refused,
 *          unless the operator named the host in allowed_internal_hosts
 *       ─▶ connect to the address just checked (pinned: no second DNS answer)
 *       ─▶ 3xx: the Location goes through all of the above again (at most 5 hops)
 *
 * The body is returned as a stream; the caller counts and caps it.
 */
import { lookup as dnsLookup } from 'node:dns/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { BlockList, isIP } from 'node:net'

export interface FetchPolicy {
  allowedSchemes: readonly string[]
  disallowedSchemes: readonly string[]
  allowedHosts: readonly string[]
  disallowedHosts: readonly string[]
  allowedPorts: readonly number[]
  disallowedPorts: readonly number[]
  /** Hosts (names or literal addresses) that may resolve to internal addresses. */
  allowedInternalHosts: readonly string[]
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>

export class FetchRefused extends Error {
  override name = 'FetchRefused'
}

export class FetchFailed extends Error {
  override name = 'FetchFailed'
}

/** Addresses a user-supplied URL may not reach by default. */
const INTERNAL = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6')

/** Whether an address is loopback, link-local, private, unspecified or otherwise not public. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return INTERNAL.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4')
  return INTERNAL.check(address, 'ipv6')
}

const defaultResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true })

export interface FetchOptions {
  /** HEAD asks for the size only (http locations); GET by default. */
  method?: 'GET' | 'HEAD'
  range?: { start: number; end: number }
  maxRedirects?: number
  /** Headers for the first hop only (a redirect elsewhere does not carry them). */
  headers?: Record<string, string>
  signal?: AbortSignal
}

export interface Fetched {
  status: number
  body: IncomingMessage
  /** Content-Length when the server sent one. */
  length: number | undefined
  url: string
}

export class GuardedFetch {
  constructor(
    private readonly policy: FetchPolicy,
    private readonly resolver: Resolver = defaultResolver,
  ) {}

  /** GETs `url`, following allowed redirects; a status other than 2xx is a FetchFailed. */
  async get(url: string, opts: FetchOptions = {}): Promise<Fetched> {
    let current = url
    const max = opts.maxRedirects ?? 5
    for (let hop = 0; ; hop++) {
      const target = await this.check(current)
      const res = await send(
        opts.method ?? 'GET',
        target,
        {
          ...(hop === 0 ? opts.headers : {}),
          ...(opts.range ? { range: `bytes=${opts.range.start}-${opts.range.end}` } : {}),
        },
        opts.signal,
      )
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume()
        if (hop >= max) throw new FetchFailed(`Too many redirects fetching ${url}`)
        current = new URL(res.headers.location, current).href
        continue
      }
      if (status < 200 || status >= 300) {
        res.resume()
        throw new FetchFailed(`${current} answered HTTP ${status}`)
      }
      const len = res.headers['content-length']
      return { status, body: res, length: len === undefined ? undefined : Number(len), url: current }
    }
  }

  /** The filters and the resolved-address check for one hop; the address to connect to. */
  async check(raw: string): Promise<{ url: URL; address: string; family: number }> {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new FetchRefused(`${raw} is not a valid URL`)
    }
    const host = this.checkStatic(url)
    const p = this.policy
    const family = isIP(host)
    const addresses = family ? [{ address: host, family }] : await this.resolve(host)
    if (addresses.length === 0) throw new FetchFailed(`${host} has no address`)
    const internalOk = p.allowedInternalHosts.map((h) => h.toLowerCase()).includes(host)
    const internal = addresses.find((a) => isInternalAddress(a.address))
    if (internal && !internalOk)
      throw new FetchRefused(
        `${host} resolves to ${internal.address}, an internal address; refused (the operator may allow the host in [import_filtering_opts] allowed_internal_hosts)`,
      )
    return { url, ...addresses[0]! }
  }

  /** The scheme, host and port filters (no DNS); the host, lowercased and unbracketed. */
  checkStatic(url: URL): string {
    const p = this.policy
    const scheme = url.protocol.replace(/:$/, '').toLowerCase()
    if (
      !listAllows(scheme, p.allowedSchemes, p.disallowedSchemes) ||
      (scheme !== 'http' && scheme !== 'https')
    )
      throw new FetchRefused(`URL scheme ${scheme} is not allowed`)
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
    if (!listAllows(host, p.allowedHosts, p.disallowedHosts))
      throw new FetchRefused(`Host ${host} is not allowed`)
    const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80
    if (!listAllows(port, p.allowedPorts, p.disallowedPorts))
      throw new FetchRefused(`Port ${port} is not allowed`)
    return host
  }

  private async resolve(host: string): Promise<{ address: string; family: number }[]> {
    try {
      return await this.resolver(host)
    } catch (e) {
      throw new FetchFailed(`${host} could not be resolved (${(e as Error).message})`)
    }
  }
}

/** Glance's rule: an allow list, when set, is the only way in; else the deny list keeps out. */
function listAllows<T>(value: T, allowed: readonly T[], disallowed: readonly T[]): boolean {
  if (allowed.length > 0) return allowed.includes(value)
  return !disallowed.includes(value)
}

/** One request to the address already checked: the resolver is not asked again. */
function send(
  method: 'GET' | 'HEAD',
  target: { url: URL; address: string; family: number },
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  const { url, address, family } = target
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { 'user-agent': 'cloudlet-image', ...headers },
        // NOTE: the connection goes to the address checked above, whatever DNS says now.
        lookup: (_h, opts, cb) => {
          if ((opts as { all?: boolean }).all) cb(null, [{ address, family }] as never, family)
          else cb(null, address, family)
        },
        signal,
        timeout: 30_000,
      },
      resolve,
    )
    req.on('timeout', () => req.destroy(new FetchFailed(`${url.href} did not answer in time`)))
    req.on('error', (e) =>
      reject(
        e instanceof FetchFailed ? e : new FetchFailed(`${url.href} could not be fetched (${e.message})`),
      ),
    )
    req.end()
  })
}
