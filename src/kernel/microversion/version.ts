/**
 * Microversions: `X.Y` values, the per-service version list, and header negotiation.
 *
 * A service declares its versions once (an ordered list with a one-line summary each);
 * MIN and MAX derive from it. Requests name a version with
 * `OpenStack-API-Version: <service-type> <X.Y|latest>` (or compute's legacy
 * `X-OpenStack-Nova-API-Version`); no header means the minimum.
 */
import { BadRequest, NotAcceptable } from '../errors/index.js'

export class Version {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): Version | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(text.trim())
    if (!m) return undefined
    return new Version(Number(m[1]), Number(m[2]))
  }

  static of(text: string): Version {
    const v = Version.parse(text)
    if (!v) throw new Error(`not a version: ${text}`)
    return v
  }

  compare(other: Version | string): number {
    const o = typeof other === 'string' ? Version.of(other) : other
    return this.major - o.major || this.minor - o.minor
  }

  gte(other: Version | string): boolean {
    return this.compare(other) >= 0
  }

  lt(other: Version | string): boolean {
    return this.compare(other) < 0
  }

  matches(min?: string, max?: string): boolean {
    return (min === undefined || this.gte(min)) && (max === undefined || this.compare(max) <= 0)
  }

  toString(): string {
    return `${this.major}.${this.minor}`
  }
}

export interface VersionEntry {
  version: string
  summary: string
}

/** A service's declared list of microversions, in order. */
export class VersionList {
  readonly min: Version
  readonly max: Version
  private readonly known: Set<string>

  constructor(readonly entries: readonly VersionEntry[]) {
    if (entries.length === 0) throw new Error('a version list needs at least one entry')
    this.min = Version.of(entries[0]!.version)
    this.max = Version.of(entries[entries.length - 1]!.version)
    this.known = new Set(entries.map((e) => e.version))
    for (let i = 1; i < entries.length; i++) {
      if (Version.of(entries[i]!.version).compare(entries[i - 1]!.version) <= 0) {
        throw new Error(`versions out of order at ${entries[i]!.version}`)
      }
    }
  }

  /** Fails at boot on a version the list does not declare (a typo in a route window). */
  assertKnown(version: string | undefined): void {
    if (version !== undefined && !this.known.has(version))
      throw new Error(`undeclared microversion ${version}`)
  }
}

export interface NegotiateOptions {
  serviceType: string
  versions: VersionList
  /** e.g. `x-openstack-nova-api-version` for compute. */
  legacyHeader?: string
  /**
   * Which of several values for this service counts: the first (default) or the last
   * (Placement, whose middleware keeps the last one it reads).
   */
  pick?: 'first' | 'last'
  /** The 400's message for a malformed value. @default "invalid version string given in header: X" */
  invalidMessage?: (requested: string) => string
}

/**
 * Picks the request's version from its headers. Throws BadRequest for a malformed value
 * and NotAcceptable for one outside the window.
 */
export function negotiate(
  headers: Record<string, string | string[] | undefined>,
  opts: NegotiateOptions,
): Version {
  const requested = requestedVersion(headers, opts)
  if (requested === undefined) return opts.versions.min
  if (requested.toLowerCase() === 'latest') return opts.versions.max
  const v = Version.parse(requested)
  if (!v) {
    throw new BadRequest(
      opts.invalidMessage?.(requested) ?? `invalid version string given in header: ${requested}`,
      {
        code: `${opts.serviceType}.invalid_version`,
      },
    )
  }
  if (v.lt(opts.versions.min) || v.compare(opts.versions.max) > 0) {
    throw new NotAcceptable(
      `Unacceptable version header: ${requested}. Version ${v} is not supported by the API. Minimum is ${opts.versions.min} and maximum is ${opts.versions.max}.`,
      { code: `${opts.serviceType}.version_not_acceptable` },
    )
  }
  return v
}

function requestedVersion(
  headers: Record<string, string | string[] | undefined>,
  opts: NegotiateOptions,
): string | undefined {
  const raw = headers['openstack-api-version']
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  let found: string | undefined
  for (const value of values) {
    // The header may hold several comma-separated "<service> <version>" pairs.
    for (const part of value.split(',')) {
      const [service, version, ...rest] = part.trim().split(/\s+/)
      if (service?.toLowerCase() === opts.serviceType && version !== undefined) {
        found = rest.length ? `${version} ${rest.join(' ')}` : version
        if (opts.pick !== 'last') return found
      }
    }
  }
  if (found !== undefined) return found
  if (opts.legacyHeader) {
    const legacy = headers[opts.legacyHeader]
    if (typeof legacy === 'string' && legacy.trim()) return legacy.trim()
  }
  return undefined
}
