/**
 * The 405s of a service scope. A route table registers with Fastify only the methods a
 * path declares (and HEAD beside GET); a request for any other method on a known path
 * reaches the scope's not-found handler, which asks this table for the path's Allow
 * list and the table's own 405.
 *
 * NOTE: one Fastify route per declared method, not one per method for every path: the
 * six services declare about 1,000 method-path pairs but would need 2,300 routes, and
 * route registration was a third of `cloudlet up`'s start-up.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { DomainError } from '../errors/index.js'

export interface UnroutedPath {
  /** The path as registered (Fastify syntax, `*` for a greedy tail), without the prefix. */
  url: string
  /** The methods it answers, as an Allow header lists them. */
  allow: readonly string[]
}

export interface UnroutedTable {
  paths: readonly UnroutedPath[]
  /** Methods answered with 405 when a path lacks them; others are a plain 404. */
  methods: readonly string[]
  /** Whether the 405 is answered before authentication. */
  public: boolean
  /** The service's 405 for a method outside `allow`. */
  methodNotAllowed: (method: string, allowed: readonly string[]) => DomainError
}

interface Compiled {
  segments: readonly (string | null)[] // null: a parameter
  greedy: boolean
  path: UnroutedPath
  table: UnroutedTable
}

const TABLES = Symbol('unroutedMethods')

/** The scope's 405 tables; a child scope (same prefix) shares its parent's. */
export class UnroutedMethods {
  private readonly tables: UnroutedTable[] = []
  private compiled: Compiled[] | undefined

  constructor(private readonly prefix: string) {}

  static attach(app: FastifyInstance): UnroutedMethods {
    const own = new UnroutedMethods(app.prefix)
    Object.defineProperty(app, TABLES, { value: own })
    return own
  }

  /** The tables of the nearest scope that attached one (inherited through Fastify's child scopes). */
  static of(app: FastifyInstance): UnroutedMethods | undefined {
    return (app as unknown as Record<symbol, UnroutedMethods | undefined>)[TABLES]
  }

  add(table: UnroutedTable): void {
    this.tables.push(table)
    this.compiled = undefined
  }

  /** The path and table a request's URL names, when its method is one the table answers with 405. */
  match(req: FastifyRequest): { path: UnroutedPath; table: UnroutedTable } | undefined {
    const url = (req.url.split('?')[0] ?? '').slice(this.prefix.length)
    const parts = url.split('/').slice(1)
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop() // ignoreTrailingSlash
    this.compiled ??= this.compile()
    let best: Compiled | undefined
    for (const c of this.compiled) {
      if (!c.table.methods.includes(req.method) || !matches(c, parts)) continue
      if (!best || morePrecise(c, best)) best = c
    }
    return best && { path: best.path, table: best.table }
  }

  /** The 405 for a request on a known path, or undefined. */
  fault(req: FastifyRequest): DomainError | undefined {
    const hit = this.match(req)
    return hit?.table.methodNotAllowed(req.method, hit.path.allow)
  }

  private compile(): Compiled[] {
    return this.tables.flatMap((table) =>
      table.paths.map((path) => {
        const segments = path.url.split('/').slice(1)
        const greedy = segments[segments.length - 1] === '*'
        if (greedy) segments.pop()
        return { segments: segments.map((s) => (s.startsWith(':') ? null : s)), greedy, path, table }
      }),
    )
  }
}

function matches(c: Compiled, parts: readonly string[]): boolean {
  if (c.greedy ? parts.length <= c.segments.length : parts.length !== c.segments.length) return false
  return c.segments.every((s, i) => (s === null ? parts[i] !== '' : s === parts[i]))
}

/** As the router prefers them: a static segment before a parameter, earliest first. */
function morePrecise(a: Compiled, b: Compiled): boolean {
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const sa = a.segments[i] !== null
    const sb = b.segments[i] !== null
    if (sa !== sb) return sa
  }
  return !a.greedy && b.greedy
}
