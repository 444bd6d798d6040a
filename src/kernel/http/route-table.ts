/**
 * One declarative route table for every service: method and path, microversion window,
 * policy rule (or `public`), request body schema, handler. `mountRoutes` is the one
 * place routes meet Fastify, so every service answers the same way:
 *
 *   request ─▶ pick the route whose window holds req.version
 *               │ none for this method on this path ─▶ 405 with Allow (from the table)
 *               │ method declared, version outside ─▶ 404 (or 405, per route)
 *               ▼
 *             guard (service checks: Accept, Content-Type)
 *               ▼
 *             body ─▶ schema (one engine, the service's own message wording)
 *               ▼
 *             policy: enforce 'route'   ─▶ ctx.can(rule, target(req)) before the handler
 *                     enforce 'handler' ─▶ the handler checks it with the loaded object;
 *                                         the table fails the request if it did not
 *               ▼
 *             handler(req, reply, deps)
 *
 * `checkRouteTable` is what each service's route test runs: every route has a policy
 * or is public (or says it needs only a token), no two windows of one method and path overlap, every version is declared.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, MethodNotAllowed, NotFound, Unauthorized } from '../errors/index.js'
import type { VersionList } from '../microversion/index.js'
import type { JsonSchema } from '../validation/index.js'
import { UnroutedMethods, type UnroutedPath } from './unrouted-methods.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export type RouteHandler<Deps> = (req: FastifyRequest, reply: FastifyReply, deps: Deps) => Promise<unknown>

export interface Route<Deps = unknown> {
  method: HttpMethod
  /** Relative to the service prefix, Fastify syntax (`/v3/users/:id`). */
  path: string
  /** Microversion window, inclusive; an open end when unset. */
  min?: string
  max?: string
  /** Answer outside the window: 404 (upstream's default) or 405. */
  outsideVersion?: 404 | 405
  /**
   * The policy rule this route enforces (several when the handler picks one of them,
   * e.g. Keystone's list that depends on the filter).
   */
  policy?: string | readonly string[]
  /**
   * Where the policy is enforced. `route` (default): before the handler, against
   * `target(req)`. `handler`: the handler enforces it against the object it loads
   * (Keystone's get_user checks the user's domain); the table then fails the request
   * with a logged 500 if the handler returned without checking one of `policy`.
   */
  enforce?: 'route' | 'handler'
  /** The policy target for `enforce: 'route'`. */
  target?: (req: FastifyRequest) => Record<string, unknown>
  /** Needs no token (version documents, token issue). */
  public?: boolean
  /**
   * Needs a token but no policy rule, where upstream checks none (Glance's schema and
   * info documents): stated, so that a forgotten policy still shows in `checkRouteTable`.
   */
  authenticated?: boolean
  /** The JSON body's schema, or one per request (schemas that change with the version). */
  body?: JsonSchema | ((req: FastifyRequest) => JsonSchema | undefined)
  handler: RouteHandler<Deps>
}

export interface MountOptions<Deps, R extends Route<Deps>> {
  deps: Deps
  /** The service's microversions; every window must name declared versions. */
  versions?: VersionList
  /** Validates a body against its schema, throwing the service's own 400. */
  validateBody?: (req: FastifyRequest, schema: JsonSchema, route: R) => void
  /** Service-specific checks before the body and policy (Accept, Content-Type). */
  guard?: (req: FastifyRequest, route: R) => void
  /** Enforces a rule for `enforce: 'route'`. @default req.ctx.can(rule, target) */
  authorize?: (req: FastifyRequest, rule: string, target: Record<string, unknown>) => void
  /** The service's 405; the Allow header is added by the table. @default the kernel's MethodNotAllowed */
  methodNotAllowed?: (method: string, allowed: readonly string[]) => DomainError
  /** The service's 404 for a method outside its window. @default the kernel's NotFound */
  notFound?: () => DomainError
  /** Methods answered with 405 when a path lacks them. @default GET HEAD POST PUT PATCH DELETE */
  methods?: readonly string[]
  /**
   * A trailing path parameter that may be long and hold any character but `/`
   * (Placement's trait and class names): routed as a wildcard so that an over-long
   * name reaches the schema's 400 instead of the router's 414.
   */
  greedyTail?: string
  /**
   * Answer a method the path lacks (405) without asking for a token first. False keeps
   * authentication in front of the router, as services behind keystonemiddleware do
   * (Placement: an anonymous PATCH is a 401). @default true
   */
  publicMethodNotAllowed?: boolean
  /**
   * Keystone's order for a handler-enforced route whose object does not exist: the
   * policy is still checked, against an empty target, before the 404, so a caller
   * without permission gets 403 for every id and cannot probe which exist; a predicate
   * picks the routes (upstream does it for some resources only). @default false
   */
  enforceOnNotFound?: boolean | ((route: R) => boolean)
  /**
   * Check the policy before the body: upstream handlers that call `context.can` first
   * refuse a forbidden caller with 403 whatever the body (Placement). @default false
   */
  policyBeforeBody?: boolean
}

const DEFAULT_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** The methods a path answers, as an Allow header lists them (HEAD beside GET). */
export function allowedMethods(routes: readonly { method: string }[]): string[] {
  const declared = [...new Set(routes.map((r) => r.method))]
  return declared.includes('GET') ? [...declared, 'HEAD'] : declared
}

export function policiesOf(route: Route<never> | Route<unknown>): readonly string[] {
  const p = route.policy
  return p === undefined ? [] : typeof p === 'string' ? [p] : p
}

/** Mounts a route table on a service scope. */
export function mountRoutes<Deps, R extends Route<Deps>>(
  app: FastifyInstance,
  routes: readonly R[],
  opts: MountOptions<Deps, R>,
): void {
  const problems = checkRouteTable(routes as readonly Route<unknown>[], opts.versions)
  if (problems.length) throw new Error(`route table: ${problems.join('; ')}`)

  const byPath = new Map<string, R[]>()
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r])

  const unrouted: UnroutedPath[] = []
  for (const [path, onPath] of byPath) {
    const allow = allowedMethods(onPath)
    const tail = opts.greedyTail && path.endsWith(`/:${opts.greedyTail}`) ? opts.greedyTail : undefined
    const url = tail ? `${path.slice(0, -tail.length - 1)}*` : path
    unrouted.push({ url, allow })
    const byMethod = new Map(
      allow.map((m) => [m, onPath.filter((r) => r.method === m || (m === 'HEAD' && r.method === 'GET'))]),
    )
    app.route({
      method: allow,
      url,
      // NOTE: a public route of the path makes every method public here, and the handler
      // below still refuses an anonymous call to a private route.
      config: { public: onPath.some((r) => r.public) },
      exposeHeadRoute: false,
      handler: async (req, reply) => {
        const method = req.method
        const candidates = byMethod.get(method) ?? []
        if (tail) {
          const params = req.params as Record<string, string>
          const value = params['*'] ?? ''
          if (value === '' || value.includes('/')) throw opts.notFound?.() ?? new NotFound()
          params[tail] = value
        }
        const route = pick(req, candidates)
        if (!route) {
          if (candidates.some((r) => r.outsideVersion === 405)) throw methodNotAllowed(opts, method, [])
          throw opts.notFound?.() ?? new NotFound()
        }
        if (!route.public && !req.ctx?.authenticated) throw new Unauthorized()
        opts.guard?.(req, route)
        const validate = () => {
          const schema = typeof route.body === 'function' ? route.body(req) : route.body
          if (schema && opts.validateBody) opts.validateBody(req, schema, route)
        }
        if (!opts.policyBeforeBody) validate()
        const rules = policiesOf(route)
        const checkedBefore = req.ctx?.checked.length ?? 0
        if (route.enforce !== 'handler' && rules.length) {
          const target = route.target?.(req) ?? {}
          const authorize = opts.authorize ?? ((r, rule, t) => r.ctx.can(rule, t))
          for (const rule of rules) authorize(req, rule, target)
        }
        if (opts.policyBeforeBody) validate()
        const out = await route.handler(req, reply, opts.deps).catch((error: unknown) => {
          const probeSafe =
            typeof opts.enforceOnNotFound === 'function'
              ? opts.enforceOnNotFound(route)
              : opts.enforceOnNotFound
          if (probeSafe && route.enforce === 'handler' && rules.length && isNotFound(error)) {
            const checked = req.ctx.checked.slice(checkedBefore)
            if (!checked.some((rule) => rules.includes(rule))) enforceAny(req, rules, opts.authorize)
          }
          throw error
        })
        if (route.enforce === 'handler' && rules.length) {
          const checked = req.ctx.checked.slice(checkedBefore)
          if (!checked.some((rule) => rules.includes(rule)))
            throw new Error(`${method} ${path} answered without enforcing ${rules.join(' or ')}`)
        }
        if (reply.sent) return reply
        return out
      },
    })
  }
  // The methods a path lacks: answered by the scope's not-found handler (unrouted-methods.ts).
  const scope = UnroutedMethods.of(app)
  if (!scope) throw new Error('mountRoutes needs a service scope (serviceScope) for its 405s')
  scope.add({
    paths: unrouted,
    methods: opts.methods ?? DEFAULT_METHODS,
    public: opts.publicMethodNotAllowed !== false,
    methodNotAllowed: (method, allowed) => methodNotAllowed(opts, method, allowed),
  })
}

function isNotFound(error: unknown): boolean {
  return error instanceof DomainError && error.status === 404
}

/** Passes when one of the rules allows the caller an empty target; else throws the first refusal. */
function enforceAny(
  req: FastifyRequest,
  rules: readonly string[],
  authorize: ((req: FastifyRequest, rule: string, target: Record<string, unknown>) => void) | undefined,
): void {
  let refusal: unknown
  for (const rule of rules) {
    try {
      if (authorize) authorize(req, rule, {})
      else req.ctx.can(rule, {})
      return
    } catch (error) {
      refusal ??= error
    }
  }
  throw refusal
}

function pick<R extends { min?: string; max?: string }>(
  req: FastifyRequest,
  candidates: readonly R[],
): R | undefined {
  if (candidates.length <= 1 && !candidates[0]?.min && !candidates[0]?.max) return candidates[0]
  const v = req.version
  return candidates.find((r) => (v ? v.matches(r.min, r.max) : !r.min))
}

function methodNotAllowed(
  opts: { methodNotAllowed?: (method: string, allowed: readonly string[]) => DomainError },
  method: string,
  allow: readonly string[],
): DomainError {
  const error =
    opts.methodNotAllowed?.(method, allow) ??
    new MethodNotAllowed(`The method ${method} is not allowed for this resource.`)
  if (allow.length && error.headers.allow === undefined) error.headers.allow = allow.join(', ')
  return error
}

/**
 * What is wrong with a route table, as sentences (empty when nothing is): a route with
 * neither a policy nor `public`, a version the list does not declare, two windows of
 * one method and path that overlap.
 */
export function checkRouteTable(
  routes: readonly Route<never>[] | readonly Route<unknown>[],
  versions?: VersionList,
): string[] {
  const problems: string[] = []
  const list = routes as readonly Route<unknown>[]
  for (const r of list) {
    const name = `${r.method} ${r.path}`
    if (!r.public && !r.authenticated && policiesOf(r).length === 0)
      problems.push(`${name} has no policy and is not public`)
    if ((r.min || r.max) && !versions)
      problems.push(`${name} has a version window but the service has no versions`)
    for (const v of [r.min, r.max]) {
      if (v === undefined || !versions) continue
      try {
        versions.assertKnown(v)
      } catch {
        problems.push(`${name} names undeclared microversion ${v}`)
      }
    }
  }
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!
      const b = list[j]!
      if (a.method !== b.method || a.path !== b.path) continue
      if (overlaps(a, b)) problems.push(`${a.method} ${a.path}: windows ${win(a)} and ${win(b)} overlap`)
    }
  }
  return problems
}

function overlaps(a: Route<unknown>, b: Route<unknown>): boolean {
  const lo = (r: Route<unknown>) => r.min ?? '0.0'
  const hi = (r: Route<unknown>) => r.max ?? '999999.999999'
  const cmp = (x: string, y: string) => {
    const [xa, xb] = x.split('.').map(Number)
    const [ya, yb] = y.split('.').map(Number)
    return xa! - ya! || xb! - yb!
  }
  return cmp(lo(a), hi(b)) <= 0 && cmp(lo(b), hi(a)) <= 0
}

const win = (r: Route<unknown>) => `[${r.min ?? '-'}, ${r.max ?? '-'}]`
