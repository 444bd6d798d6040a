/**
 * The persona matrix's engine: every route of every service table, called by every
 * persona with objects of the caller's own project, of another project of its domain and
 * of another domain, and judged against what the service's policy defaults say.
 *
 * A service joins with a `MatrixService` (test/support/persona-matrix/<service>.ts):
 * its route table, an Enforcer over its own policy defaults, and `prepare`, which turns
 * (route, owner, persona) into a request plus the rule and target the defaults judge
 * it by. The engine knows nothing of any one service.
 *
 * Verdicts per call:
 * - leak: a 2xx where the defaults deny (or a refused DELETE whose object is gone);
 * - unexpected refusal: a 401/403 (or the service's "hidden" 404) where they allow;
 * - error: a 5xx;
 * - inconclusive: any other 4xx (a 400 or 409 from the service's own checks), counted
 *   and listed so that a fixture gap is visible, but not a verdict on authorization.
 */
import type { FastifyInstance } from 'fastify'
import type { Credentials, Enforcer, Target } from '../../../src/kernel/policy/index.js'

/**
 * Whose object a call names, from the caller's point of view: `ours`, `colleague`
 * (another user of the caller's project: for what belongs to a user, such as key pairs),
 * `other` (another project of its domain), `far` (another domain), `none` (nobody's), or
 * a service's own (image's `shared`, `public`, `community`).
 */
export type Owner = 'ours' | 'colleague' | 'other' | 'far' | 'none' | 'shared' | 'public' | 'community'

/** Keystone's access rule: the calls an application credential is limited to. */
export interface AccessRule {
  service: string
  method: string
  path: string
}

export interface Persona {
  name: string
  token: string
  /** What the policy defaults see: user, scope and the roles held (implied roles included). */
  creds: Credentials
  accessRules?: readonly AccessRule[]
}

/** The route fields the matrix reads; every service's Route has them. */
export interface MatrixRoute {
  method: string
  path: string
  min?: string
  max?: string
  policy?: string | readonly string[]
  public?: boolean
  authenticated?: boolean
  body?: unknown
}

export interface Prepared {
  method: string
  /** Relative to the service prefix. */
  url: string
  body?: unknown
  headers?: Record<string, string>
  /** The rule the defaults judge this call by; undefined for a route that needs a token only. */
  rule?: string
  target: Target
  /**
   * The service hides the object from this caller before any rule is asked (Glance's
   * visibility): the call is denied whatever the rule says.
   */
  hidden?: boolean
  /** The statuses this service answers for a call its defaults deny. */
  denied: readonly number[]
  /** Undo what a successful write did (run with the admin token). */
  cleanup?: (status: number, json: unknown) => Promise<void>
  /**
   * After a refused write: a description of its effect if it took effect anyway (the
   * object is gone, the field changed), undefined if it did not.
   */
  tookEffect?: () => Promise<string | undefined>
  /**
   * After a 2xx the defaults allow: what the answer shows that the caller may not see
   * (rows of another domain in a list), undefined when nothing.
   */
  inspect?: (json: unknown) => string | undefined
  /** Run after the call whatever its answer (after `cleanup`): removes a throwaway fixture. */
  after?: () => Promise<void>
}

export interface AllowEntry {
  /** `METHOD path` of the route. */
  route: string
  /** Personas it covers (all when unset). */
  personas?: readonly string[]
  owners?: readonly Owner[]
  /** The verdict tolerated. */
  verdict: 'refusal' | 'leak'
  reason: string
}

export interface MatrixService {
  name: string
  /** The catalog type access rules name (`identity`, `image`, `placement`). */
  serviceType: string
  prefix: string
  routes: readonly MatrixRoute[]
  enforcer: Enforcer
  /** The owners a route is called with (`none` when no object of the path has one). */
  owners(route: MatrixRoute): readonly Owner[]
  /** The request for one cell, or why the cell is not called. */
  prepare(route: MatrixRoute, owner: Owner, persona: Persona): Promise<Prepared | { skip: string }>
  allowList: readonly AllowEntry[]
}

export type Verdict = 'ok' | 'leak' | 'refusal' | 'error' | 'inconclusive' | 'allowed-by-list'

export interface Cell {
  service: string
  route: string
  owner: Owner
  persona: string
  rule?: string
  expected: 'allow' | 'deny'
  status: number
  verdict: Verdict
  note?: string
}

export interface ServiceTotals {
  service: string
  routes: number
  calls: number
  /** Calls the defaults allow (the rest they deny). */
  allowed: number
  skipped: number
  leaks: number
  refusals: number
  errors: number
  inconclusive: number
  allowListed: number
}

/** Whether an access rule admits a call: `*` is one path segment, `**` any number. */
export function accessRuleAllows(
  rules: readonly AccessRule[],
  serviceType: string,
  method: string,
  path: string,
): boolean {
  const segs = path.split('?')[0]!.split('/').filter(Boolean)
  const match = (pat: string[], at: string[]): boolean => {
    if (pat.length === 0) return at.length === 0
    const [head, ...rest] = pat
    if (head === '**') return at.some((_, i) => match(rest, at.slice(i + 1))) || match(rest, at)
    if (at.length === 0) return false
    return (head === '*' || head === at[0]) && match(rest, at.slice(1))
  }
  const m = method === 'HEAD' ? 'GET' : method
  return rules.some(
    (r) => r.service === serviceType && r.method === m && match(r.path.split('/').filter(Boolean), segs),
  )
}

export interface RunOptions {
  app: FastifyInstance
  personas: readonly Persona[]
  /** Only routes whose `METHOD path` contains this (a debugging aid: PERSONA_MATRIX_ROUTE). */
  only?: string
}

/** Runs one service's matrix; returns every cell and the totals. */
export async function runService(
  svc: MatrixService,
  opts: RunOptions,
): Promise<{ cells: Cell[]; totals: ServiceTotals }> {
  const cells: Cell[] = []
  const totals: ServiceTotals = {
    service: svc.name,
    routes: 0,
    calls: 0,
    allowed: 0,
    skipped: 0,
    leaks: 0,
    refusals: 0,
    errors: 0,
    inconclusive: 0,
    allowListed: 0,
  }
  for (const route of svc.routes) {
    if (route.public) continue
    const name = `${route.method} ${route.path}`
    if (opts.only && !name.includes(opts.only)) continue
    totals.routes++
    for (const owner of svc.owners(route)) {
      for (const persona of opts.personas) {
        const prep = await svc.prepare(route, owner, persona)
        if ('skip' in prep) {
          totals.skipped++
          continue
        }
        let allowed =
          !prep.hidden &&
          (prep.rule === undefined || svc.enforcer.check(prep.rule, prep.target, persona.creds))
        let denied = prep.denied
        if (
          persona.accessRules &&
          !accessRuleAllows(persona.accessRules, svc.serviceType, prep.method, prep.url)
        ) {
          // keystonemiddleware refuses the token outright: 401 before the service.
          allowed = false
          denied = [401, 403, ...prep.denied]
        }
        const res = await opts.app.inject({
          method: prep.method as 'GET',
          url: `${svc.prefix}${prep.url}`,
          headers: { 'x-auth-token': persona.token, ...prep.headers },
          ...(prep.body !== undefined ? { payload: prep.body as object } : {}),
        })
        totals.calls++
        if (allowed) totals.allowed++
        const status = res.statusCode
        let json: unknown
        try {
          json = res.body ? JSON.parse(res.body) : undefined
        } catch {
          json = undefined
        }
        let verdict: Verdict
        let note: string | undefined
        if (status >= 500) {
          verdict = 'error'
          note = res.body.slice(0, 200)
        } else if (allowed) {
          verdict =
            status < 300 ? 'ok' : [401, 403, ...prep.denied].includes(status) ? 'refusal' : 'inconclusive'
          if (verdict !== 'ok') note = res.body.slice(0, 200)
          const shown = status < 300 ? prep.inspect?.(json) : undefined
          if (shown) {
            verdict = 'leak'
            note = shown
          }
        } else if (status < 300) {
          verdict = 'leak'
        } else if (denied.includes(status)) {
          verdict = 'ok'
          const effect = await prep.tookEffect?.()
          if (effect) {
            verdict = 'leak'
            note = `answered ${status} but ${effect}`
          }
        } else {
          verdict = 'inconclusive'
          note = res.body.slice(0, 200)
        }
        if (status < 300) await prep.cleanup?.(status, json)
        await prep.after?.()
        if (verdict === 'leak' || verdict === 'refusal') {
          const listed = svc.allowList.find(
            (a) =>
              a.route === name &&
              a.verdict === verdict &&
              (!a.personas || a.personas.includes(persona.name)) &&
              (!a.owners || a.owners.includes(owner)),
          )
          if (listed) verdict = 'allowed-by-list'
        }
        if (verdict === 'leak') totals.leaks++
        if (verdict === 'refusal') totals.refusals++
        if (verdict === 'error') totals.errors++
        if (verdict === 'inconclusive') totals.inconclusive++
        if (verdict === 'allowed-by-list') totals.allowListed++
        cells.push({
          service: svc.name,
          route: name,
          owner,
          persona: persona.name,
          ...(prep.rule ? { rule: prep.rule } : {}),
          expected: allowed ? 'allow' : 'deny',
          status,
          verdict,
          ...(note ? { note } : {}),
        })
      }
    }
  }
  return { cells, totals }
}
