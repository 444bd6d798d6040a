/**
 * JsonFilter: hint `query` is a JSON expression over host figures, e.g.
 * `[">=", "$free_ram_mb", 1024]` or `["and", [">=", "$vcpus_total", 8], ["in", "$host", "a", "b"]]`.
 * Commands: `=`, `<`, `>`, `<=`, `>=`, `in`, `not`, `or`, `and`; `$name` (dotted for
 * nesting) reads a host figure under upstream's name.
 */
import { type FilterPlugin, type PreFilterPlugin, Status, stateKey } from '../../framework.js'
import { type HostState, hostAttributes, lookup } from '../../host-state.js'
import { hint } from '../../request-spec.js'

export const name = 'JsonFilter'

const QUERY = stateKey<unknown>('json query')

type Cmp = (a: unknown, b: unknown) => boolean
// NOTE: the operands are JSON values and host figures; JavaScript's relational
// operators compare numbers as numbers and strings as strings, which is what queries mean.
const lt: Cmp = (a, b) => (a as number) < (b as number)
const compare = (args: unknown[], ok: Cmp): boolean =>
  args.length >= 2 && args.slice(1).every((b) => ok(args[0], b))

const COMMANDS: Readonly<Record<string, (args: unknown[]) => unknown>> = {
  '=': (a) => compare(a, (x, y) => x === y),
  '<': (a) => compare(a, lt),
  '>': (a) => compare(a, (x, y) => lt(y, x)),
  '<=': (a) => compare(a, (x, y) => !lt(y, x)),
  '>=': (a) => compare(a, (x, y) => !lt(x, y)),
  in: (a) => a.length >= 2 && a.slice(1).includes(a[0]),
  not: (a) => a.map((x) => !x),
  or: (a) => a.some(Boolean),
  and: (a) => a.every(Boolean),
}

class QueryInvalid extends Error {}

/** Evaluates one query node against a host's figures. */
function evaluate(node: unknown, attrs: Record<string, unknown>): unknown {
  if (!Array.isArray(node) || node.length === 0) return true
  const [op, ...raw] = node
  const fn = typeof op === 'string' ? COMMANDS[op] : undefined
  if (!fn) throw new QueryInvalid(`unknown query command ${JSON.stringify(op)}`)
  const args: unknown[] = []
  for (const arg of raw) {
    const v = Array.isArray(arg)
      ? evaluate(arg, attrs)
      : typeof arg === 'string' && arg.startsWith('$')
        ? lookup(attrs, arg.slice(1).split('.'))
        : arg
    // NOTE: an unknown variable drops out of the argument list instead of failing the
    // host outright, so `["or", "$missing", ...]` still decides on what is known.
    if (v !== undefined && v !== null) args.push(v)
  }
  return fn(args)
}

/** Does the host satisfy the parsed query? */
export function queryMatches(query: unknown, host: HostState): boolean {
  const r = evaluate(query, hostAttributes(host))
  return Array.isArray(r) ? r.some(Boolean) : Boolean(r)
}

export const create = (): FilterPlugin & PreFilterPlugin => ({
  name,
  preFilter(_ctx, state, request) {
    const text = hint(request, 'query')
    if (!text) return { status: Status.skip() }
    try {
      state.write(QUERY, JSON.parse(text))
    } catch {
      return { status: Status.error('query hint is not valid JSON') }
    }
    return { status: Status.success() }
  },
  filter(_ctx, state, _request, host) {
    try {
      return queryMatches(state.read(QUERY), host)
        ? Status.success()
        : Status.unschedulable('does not satisfy the query hint')
    } catch (e) {
      return Status.error((e as Error).message)
    }
  },
})
