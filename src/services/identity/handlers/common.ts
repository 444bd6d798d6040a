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
  items: unknown[],
  extra: Record<string, unknown> = {},
  limit?: number,
) {
  const base = v3Base(req)
  const path = req.url.slice(req.url.indexOf('/v3') + 3)
  const cut = limit !== undefined && items.length > limit
  return {
    [key]: cut ? items.slice(0, limit) : items,
    links: { self: `${base}${path}`, previous: null, next: null },
    ...extra,
    ...(cut ? { truncated: true } : {}),
  }
}

export type Query = Record<string, string | string[] | undefined>

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
