/**
 * What every identity handler shares: links in Keystone's shape, list envelopes, query
 * and path parameters, and policy checks with Keystone's target layout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { queryBool } from '../domain/common.js'

/** `http://host:port/identity/v3`, from the request as the client sent it. */
export function v3Base(req: FastifyRequest): string {
  const proto =
    (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0]?.trim() ?? req.protocol
  const host = (req.headers['x-forwarded-host'] as string | undefined) ?? req.headers.host ?? 'localhost'
  const path = req.url.split('?')[0] ?? ''
  const i = path.indexOf('/v3')
  return `${proto}://${host}${i >= 0 ? path.slice(0, i) : ''}/v3`
}

export function selfLink(req: FastifyRequest, path: string): { self: string } {
  return { self: `${v3Base(req)}/${path}` }
}

/**
 * A list response: `{<key>: [...], links: {self, previous, next}}`. With a `limit`
 * (Keystone's list_limit) a longer list is cut to it and the body says `truncated: true`.
 */
export function collection(
  req: FastifyRequest,
  key: string,
  all: unknown[],
  extra: Record<string, unknown> = {},
  limit?: number,
) {
  const base = v3Base(req)
  const path = req.url.slice(req.url.indexOf('/v3') + 3)
  const matches = inexactFilters(query(req), INEXACT_FILTERABLE[key] ?? [])
  const kept = matches.length ? all.filter((item) => matches.every((m) => m(item))) : all
  const cut = limit !== undefined && kept.length > limit
  return {
    [key]: cut ? kept.slice(0, limit) : kept,
    links: { self: `${base}${path}`, previous: null, next: null },
    ...extra,
    ...(cut ? { truncated: true } : {}),
  }
}

export type Query = Record<string, string | string[] | undefined>

/**
 * The attributes each list filters by, as Keystone's list APIs declare them; only these
 * take the inexact comparators (`name__contains=x`), others are ignored as upstream
 * ignores them.
 */
const INEXACT_FILTERABLE: Readonly<Record<string, readonly string[]>> = {
  users: ['name', 'domain_id', 'enabled', 'idp_id', 'protocol_id', 'unique_id'],
  groups: ['name', 'domain_id'],
  projects: ['name', 'domain_id', 'enabled', 'parent_id', 'is_domain'],
  domains: ['name', 'enabled'],
  roles: ['name', 'domain_id'],
  services: ['name', 'type'],
  endpoints: ['interface', 'service_id', 'region_id'],
  regions: ['parent_region_id'],
  credentials: ['user_id', 'type'],
  policies: ['type'],
  application_credentials: ['name'],
  trusts: ['trustor_user_id', 'trustee_user_id'],
  endpoint_groups: ['name'],
}

const COMPARATORS = ['contains', 'startswith', 'endswith'] as const

/**
 * Keystone's inexact filters: `ATTR__contains`, `__startswith`, `__endswith`, and their
 * case-insensitive forms with an `i` (`__icontains`); an item without the attribute
 * does not match.
 */
function inexactFilters(q: Query, attrs: readonly string[]): ((item: unknown) => boolean)[] {
  const out: ((item: unknown) => boolean)[] = []
  for (const [param, raw] of Object.entries(q)) {
    const at = param.lastIndexOf('__')
    if (at <= 0 || raw === undefined) continue
    const attr = param.slice(0, at)
    let op = param.slice(at + 2)
    if (!attrs.includes(attr)) continue
    const insensitive = op.startsWith('i') && COMPARATORS.includes(op.slice(1) as never)
    if (insensitive) op = op.slice(1)
    if (!COMPARATORS.includes(op as never)) continue
    const fold = (v: string) => (insensitive ? v.toLowerCase() : v)
    const wanted = fold(Array.isArray(raw) ? (raw[0] ?? '') : raw)
    out.push((item) => {
      const v = (item as Record<string, unknown>)[attr]
      if (v === undefined || v === null) return false
      const have = fold(String(v))
      return op === 'contains'
        ? have.includes(wanted)
        : op === 'startswith'
          ? have.startsWith(wanted)
          : have.endsWith(wanted)
    })
  }
  return out
}

export function query(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query
}

/** One string from a query parameter (the first when repeated). */
export function qs(q: Query, name: string): string | undefined {
  const v = q[name]
  return Array.isArray(v) ? v[0] : v
}

export function qb(q: Query, name: string): boolean | undefined {
  return queryBool(q[name])
}

/** A comma-separated list parameter (tags=a,b). */
export function ql(q: Query, name: string): string[] | undefined {
  const v = qs(q, name)
  return v === undefined ? undefined : v.split(',').filter((s) => s !== '')
}

type ParamName =
  | 'id'
  | 'tag'
  | 'user'
  | 'group'
  | 'option'
  | 'actor'
  | 'target'
  | 'role'
  | 'implied'
  | 'access'
  | 'project'
  | 'idp'
  | 'protocol'
  | 'endpoint'
  | 'service'
  | 'region'
  | 'consumer'

/** Path parameters; every route declares the ones its handler reads. */
export function params(req: FastifyRequest): Record<ParamName, string> {
  return req.params as Record<ParamName, string>
}

export function noContent(reply: FastifyReply) {
  return reply.code(204).send()
}

/** Drops undefined values so `{...view}` never carries them. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

/**
 * Policy check with Keystone's target layout: attributes are reachable both bare
 * (`%(user_id)s`) and under `target.` (`%(target.user.domain_id)s`), as Keystone
 * flattens its enforcement dict.
 */
export function can(req: FastifyRequest, rule: string, target: Record<string, unknown> = {}): void {
  req.ctx.can(rule, { ...target, target })
}

export function allows(req: FastifyRequest, rule: string, target: Record<string, unknown> = {}): boolean {
  return req.ctx.allows(rule, { ...target, target })
}

/** The validated body's `<wrapper>` member (the route table checked the body against its schema). */
export function bodyOf<T = Record<string, unknown>>(req: FastifyRequest, wrapper: string): T {
  return (req.body as Record<string, T>)[wrapper] as T
}
