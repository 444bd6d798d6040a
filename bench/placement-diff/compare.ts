/**
 * Differential comparison of two placement services through the HTTP API (on demand,
 * not part of npm test; bench/placement-diff/run.sh starts both):
 *
 *   node dist/bench/placement-diff/compare.js --seed 1 --cloudlet URL --reference URL
 *        [--queries 300] [--verbose]
 *
 * Both must be empty. The seeded world (world.ts) is loaded into both, each write's
 * answer compared; then the questions (queries.ts) and a dump of the whole state are
 * asked of both and the answers compared as JSON values: numbers by value, arrays as
 * sets where the API promises no order, links without the mount prefix, error bodies by
 * status and code. Known, justified differences are recognised by rule (KNOWN below),
 * never by count. Prints every difference with its question, then `N passed, N failed`.
 */
import http from 'node:http'
import { parseArgs } from 'node:util'
import { makeQueries, type Query } from './queries.js'
import { makeWorld, Rng, SHARES, type World } from './world.js'

interface Answer {
  status: number
  body: unknown
}

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    cloudlet: { type: 'string', default: 'http://127.0.0.1:18972/placement' },
    reference: { type: 'string', default: 'http://127.0.0.1:18971' },
    queries: { type: 'string', default: '300' },
    verbose: { type: 'boolean', default: false },
  },
})
const seed = Number(args.seed)
const targets = { cloudlet: args.cloudlet!, reference: args.reference! }

async function call(
  base: string,
  method: string,
  path: string,
  version: string,
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  // NOTE: a new connection per request (agent: false): uWSGI's HTTP socket closes idle
  // keep-alive connections under a client, which fetch reports as a reset.
  const { status, type, text } = await new Promise<{ status: number; type: string; text: string }>(
    (done, fail) => {
      const req = http.request(
        `${base}${path}`,
        {
          method,
          agent: false,
          headers: {
            'x-auth-token': 'admin',
            'openstack-api-version': `placement ${version}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            done({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString(),
            }),
          )
          res.on('error', fail)
        },
      )
      req.on('error', fail)
      req.end(payload)
    },
  )
  return { status, body: text && type.includes('json') ? JSON.parse(text) : null }
}

async function both(method: string, path: string, version: string, body?: unknown) {
  const [c, u] = await Promise.all([
    call(targets.cloudlet, method, path, version, body),
    call(targets.reference, method, path, version, body),
  ])
  return { c, u }
}

// ---- normal form --------------------------------------------------------------------

/** Links lose the mount prefix, so `/placement/resource_providers/…` equals `/resource_providers/…`. */
function stripPrefix(href: string, base: string): string {
  const path = new URL(base).pathname.replace(/\/$/, '')
  return path && href.startsWith(path) ? href.slice(path.length) : href
}

/** A JSON value in a form where equal answers are equal strings. */
function normal(x: unknown, base: string): unknown {
  if (Array.isArray(x)) {
    // NOTE: the API promises no order for any list compared here (providers, traits,
    // aggregates, allocation requests, mappings, links), so lists compare as sets.
    return x
      .map((e) => normal(e, base))
      .sort((a, b) =>
        JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
      )
  }
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>
    if (Array.isArray(o.errors)) {
      // Error bodies: status and code (request ids differ, wording is not the contract).
      return {
        errors: (o.errors as { status: number; code?: string }[]).map((e) => ({
          status: e.status,
          code: e.code,
        })),
      }
    }
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(o).sort()) {
      const v = o[k]
      out[k] = k === 'href' && typeof v === 'string' ? stripPrefix(v, base) : normal(v, base)
    }
    return out
  }
  return x
}

const key = (a: Answer, base: string) => JSON.stringify({ status: a.status, body: normal(a.body, base) })

/** The first few paths where two normal forms differ. */
function differences(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (out.length >= 6) return out
  if (JSON.stringify(a) === JSON.stringify(b)) return out
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a)
    const kb = Object.keys(b)
    for (const k of new Set([...ka, ...kb])) {
      const va = (a as Record<string, unknown>)[k]
      const vb = (b as Record<string, unknown>)[k]
      if (va === undefined) out.push(`${path}.${k}: only upstream: ${short(vb)}`)
      else if (vb === undefined) out.push(`${path}.${k}: only cloudlet: ${short(va)}`)
      else differences(va, vb, `${path}.${k}`, out)
    }
    return out
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const sa = new Set(a.map((e) => JSON.stringify(e)))
    const sb = new Set(b.map((e) => JSON.stringify(e)))
    for (const e of sa) if (!sb.has(e)) out.push(`${path}[]: only cloudlet: ${short(JSON.parse(e))}`)
    for (const e of sb) if (!sa.has(e)) out.push(`${path}[]: only upstream: ${short(JSON.parse(e))}`)
    return out.slice(0, 6)
  }
  out.push(`${path}: cloudlet ${short(a)}, upstream ${short(b)}`)
  return out
}

const short = (x: unknown) => {
  const s = JSON.stringify(x)
  return s.length > 300 ? `${s.slice(0, 300)}…` : s
}

// ---- allocation candidates ----------------------------------------------------------

interface Candidates {
  allocation_requests: {
    allocations:
      | Record<string, { resources: Record<string, number> }>
      | { resource_provider: { uuid: string }; resources: Record<string, number> }[]
    mappings?: Record<string, string[]>
  }[]
  provider_summaries: Record<string, { root_provider_uuid?: string }>
}

/** Provider uuid -> resources of one allocation request, whatever its version's shape. */
function allocationsOf(r: Candidates['allocation_requests'][number]): Map<string, Record<string, number>> {
  const a = r.allocations
  if (Array.isArray(a)) return new Map(a.map((x) => [x.resource_provider.uuid, x.resources]))
  return new Map(Object.entries(a).map(([u, x]) => [u, x.resources]))
}

interface Verdict {
  ok: boolean
  /** The known difference that explains it, when not ok by equality. */
  known?: string
  detail?: string[]
}

/**
 * Known, justified differences, each a rule over the question and both answers. A
 * difference passes a rule only when the rule explains all of it.
 */
const KNOWN = {
  sharingUnsuffixed:
    'upstream drops candidates whose unsuffixed group is served by a sharing provider when other groups are present (docs/conformance-placement.md, difference 3)',
  amountLeak:
    "upstream adds one candidate's amounts into another's when the unsuffixed and a numbered group take one class from one provider without group_policy=none (docs/conformance-placement.md, difference 4)",
  limitSummaries:
    'upstream before 1.29 with limit summarises providers of the kept trees that only dropped candidates use (docs/conformance-placement.md, difference 5)',
} as const

type Request = Candidates['allocation_requests'][number]
const canon = (r: Request) => JSON.stringify(normal(r, 'http://x/'))

function rootOf(w: World, uuid: string): string {
  return w.providers.find((p) => p.uuid === uuid)?.root ?? uuid
}

/** What the question asks for in all, class -> amount (every resources* parameter). */
function requestedTotals(q: Query): Map<string, number> {
  const totals = new Map<string, number>()
  for (const [k, v] of new URLSearchParams(q.path.split('?')[1] ?? '')) {
    if (!k.startsWith('resources')) continue
    for (const item of v.split(',')) {
      const [rc, n] = item.split(':')
      totals.set(rc!, (totals.get(rc!) ?? 0) + Number(n))
    }
  }
  return totals
}

/** Whether a request's amounts add up, class by class, to what was asked. */
function addsUp(r: Request, totals: Map<string, number>): boolean {
  const sum = new Map<string, number>()
  for (const res of allocationsOf(r).values())
    for (const [rc, n] of Object.entries(res)) sum.set(rc, (sum.get(rc) ?? 0) + n)
  if (sum.size !== totals.size) return false
  for (const [rc, n] of totals) if (sum.get(rc) !== n) return false
  return true
}

/** A request without its amounts: which provider gives which classes, and the mappings. */
function shape(r: Request): string {
  const byProvider = [...allocationsOf(r)].map(([u, res]) => [u, Object.keys(res).sort()] as const).sort()
  return JSON.stringify({ byProvider, mappings: normal(r.mappings ?? {}, '') })
}

/**
 * Explains a difference in allocation candidates by the known differences, or says it
 * cannot (undefined). Each upstream request that does not add up to the amounts asked
 * (difference 4, an upstream defect) must have a Cloudlet request of the same shape
 * (providers, classes, mappings) that does, which stands in for it; upstream's requests,
 * so repaired, must all be Cloudlet's. Each request only Cloudlet has must then be one
 * upstream loses by a known difference:
 *
 * - difference 3: it puts some of the unsuffixed group's resources on a sharing provider
 *   (its '' mapping names one) in a question with numbered or resourceless groups;
 * - difference 4: the question is one that triggers the leak (see leakProne) and this
 *   answer shows it; inflated amounts fail upstream's capacity check, so valid
 *   candidates go missing too.
 *
 * Summaries must be equal where both have a provider; Cloudlet's others must belong to
 * the trees of its extra requests. Returns the differences that explain it.
 */
function explainCandidates(q: Query, w: World, c: Candidates, u: Candidates): string[] | undefined {
  const used = new Set<string>()
  const totals = requestedTotals(q)
  const bad = u.allocation_requests.filter((r) => !addsUp(r, totals))
  const upstream = new Set(u.allocation_requests.filter((r) => addsUp(r, totals)).map(canon))
  const spare = c.allocation_requests.filter((r) => !upstream.has(canon(r)) && addsUp(r, totals))
  for (const r of bad) {
    const i = spare.findIndex((m) => shape(m) === shape(r))
    if (i < 0) return undefined
    upstream.add(canon(spare.splice(i, 1)[0]!))
    used.add(KNOWN.amountLeak)
  }
  const mine = new Set(c.allocation_requests.map(canon))
  for (const r of upstream) if (!mine.has(r)) return undefined
  const sharing = new Set(w.providers.filter((p) => p.traits.includes(SHARES)).map((p) => p.uuid))
  const grouped = q.granular || q.path.includes('same_subtree')
  const extraTrees = new Set<string>()
  for (const r of c.allocation_requests) {
    if (upstream.has(canon(r))) continue
    const alloc = allocationsOf(r)
    const mapped = r.mappings?.['']
    const onSharing =
      grouped &&
      [...alloc].some(
        ([uuid, res]) => sharing.has(uuid) && Object.keys(res).some((rc) => q.unsuffixed?.includes(rc)),
      ) &&
      (!mapped || mapped.some((p) => sharing.has(p)))
    if (onSharing) used.add(KNOWN.sharingUnsuffixed)
    else if (bad.length && leakProne(q)) used.add(KNOWN.amountLeak)
    else return undefined
    for (const uuid of alloc.keys()) extraTrees.add(rootOf(w, uuid))
  }
  for (const [uuid, sum] of Object.entries(u.provider_summaries)) {
    if (JSON.stringify(normal(sum, '')) !== JSON.stringify(normal(c.provider_summaries[uuid], '')))
      return undefined
  }
  for (const uuid of Object.keys(c.provider_summaries)) {
    if (uuid in u.provider_summaries) continue
    if (!extraTrees.has(rootOf(w, uuid))) return undefined
  }
  return used.size ? [...used] : undefined
}

/** Whether the unsuffixed group and a numbered one ask for one class, group_policy not none. */
function leakProne(q: Query): boolean {
  const params = new URLSearchParams(q.path.split('?')[1] ?? '')
  if (params.get('group_policy') === 'none') return false
  const classes = (v: string) => v.split(',').map((x) => x.split(':')[0]!)
  const unsuffixed = new Set(classes(params.get('resources') ?? ''))
  for (const [k, v] of params)
    if (k.startsWith('resources') && k !== 'resources' && classes(v).some((rc) => unsuffixed.has(rc)))
      return true
  return false
}

/**
 * With `limit`, which candidates come back is the service's choice (upstream picks at
 * random): each side's answer must have min(limit, all) candidates, each one of the
 * unlimited answer's, summarising exactly the trees (1.29+) or providers (before) they
 * use. `known` is set when only difference 5 explains the answer.
 */
function limitedAnswerValid(
  q: Query,
  w: World,
  limited: Candidates,
  all: Candidates,
): { problem?: string; known?: string } {
  const everything = new Set(all.allocation_requests.map(canon))
  const want = Math.min(q.limit!, everything.size)
  if (limited.allocation_requests.length !== want)
    return { problem: `${limited.allocation_requests.length} candidates, want ${want}` }
  const nested = Number(q.version.split('.')[1]) >= 29
  const listed = new Set<string>()
  const roots = new Set<string>()
  for (const r of limited.allocation_requests) {
    if (!everything.has(canon(r))) return { problem: `candidate not in the unlimited answer: ${short(r)}` }
    for (const uuid of allocationsOf(r).keys()) {
      listed.add(nested ? rootOf(w, uuid) : uuid)
      roots.add(rootOf(w, uuid))
    }
  }
  let known: string | undefined
  for (const uuid of Object.keys(limited.provider_summaries)) {
    if (listed.has(nested ? rootOf(w, uuid) : uuid)) continue
    if (!nested && roots.has(rootOf(w, uuid)) && uuid in all.provider_summaries) known = KNOWN.limitSummaries
    else return { problem: `summary of ${uuid}, which no candidate uses` }
  }
  for (const l of listed)
    if (
      nested
        ? !Object.keys(limited.provider_summaries).some((u) => rootOf(w, u) === l)
        : !(l in limited.provider_summaries)
    )
      return { problem: `no summary for ${l}` }
  return known ? { known } : {}
}

// ---- the run ------------------------------------------------------------------------

let passed = 0
let failed = 0
/** Questions whose difference a known-difference rule explains (not counted as passed). */
let excluded = 0
const known = new Map<string, number>()
const report: string[] = []

function record(what: string, v: Verdict): void {
  if (v.ok && !v.known) passed++
  else if (v.known) {
    excluded++
    for (const reason of v.known.split('; ')) known.set(reason, (known.get(reason) ?? 0) + 1)
  } else {
    failed++
    report.push(`FAIL ${what}\n    ${(v.detail ?? []).join('\n    ')}`)
  }
  if (args.verbose && v.known) report.push(`KNOWN ${what}: ${v.known}`)
}

function compareAnswers(c: Answer, u: Answer): Verdict {
  if (key(c, targets.cloudlet) === key(u, targets.reference)) return { ok: true }
  return {
    ok: false,
    detail: [
      `status cloudlet ${c.status}, upstream ${u.status}`,
      ...differences(normal(c.body, targets.cloudlet), normal(u.body, targets.reference)),
    ],
  }
}

/** A write sent to both; its answers compared like any question. */
async function write(method: string, path: string, version: string, body?: unknown): Promise<Answer> {
  const { c, u } = await both(method, path, version, body)
  record(`${method} ${path} @${version}`, compareAnswers(c, u))
  return c
}

async function generationOf(uuid: string): Promise<number> {
  const r = await call(targets.cloudlet, 'GET', `/resource_providers/${uuid}`, '1.39')
  return (r.body as { generation: number }).generation
}

async function load(w: World): Promise<void> {
  for (const t of w.customTraits) await write('PUT', `/traits/${t}`, '1.39')
  for (const p of w.providers) {
    await write('POST', '/resource_providers', '1.39', {
      uuid: p.uuid,
      name: p.name,
      ...(p.parent ? { parent_provider_uuid: p.parent } : {}),
    })
    if (Object.keys(p.inventories).length)
      await write('PUT', `/resource_providers/${p.uuid}/inventories`, '1.39', {
        resource_provider_generation: await generationOf(p.uuid),
        inventories: p.inventories,
      })
    if (p.aggregates.length)
      await write('PUT', `/resource_providers/${p.uuid}/aggregates`, '1.39', {
        resource_provider_generation: await generationOf(p.uuid),
        aggregates: p.aggregates,
      })
    // Traits set, then set again unchanged (the generation must not move), and on a
    // provider without traits an empty set and a DELETE (neither may move it).
    const traitsPath = `/resource_providers/${p.uuid}/traits`
    for (let i = 0; i < 2; i++)
      await write('PUT', traitsPath, '1.39', {
        resource_provider_generation: await generationOf(p.uuid),
        traits: p.traits,
      })
    if (p.traits.length === 0) await write('DELETE', traitsPath, '1.39')
  }
  for (const a of w.consumers) {
    await write('PUT', `/allocations/${a.consumer}`, '1.38', {
      allocations: Object.fromEntries(Object.entries(a.allocations).map(([u, r]) => [u, { resources: r }])),
      project_id: a.project,
      user_id: a.user,
      consumer_generation: null,
      consumer_type: a.type,
    })
  }
  // An unchanged inventory PUT bumps on both.
  const first = w.providers.find((p) => Object.keys(p.inventories).length)
  if (first)
    await write('PUT', `/resource_providers/${first.uuid}/inventories`, '1.39', {
      resource_provider_generation: await generationOf(first.uuid),
      inventories: first.inventories,
    })
}

async function ask(q: Query, w: World): Promise<void> {
  if (q.kind === 'candidates' && q.limit !== undefined) {
    // The unlimited question is compared like any other, then each side's limited
    // answer is checked against its own unlimited one.
    const unlimited: Query = { ...q, path: q.path.replace(/&limit=\d+/, '') }
    delete unlimited.limit
    await ask(unlimited, w)
    const what = `GET ${q.path} @${q.version}`
    const { c, u } = await both('GET', q.path, q.version)
    if (c.status !== 200 || u.status !== 200) return record(what, compareAnswers(c, u))
    const all = await both('GET', unlimited.path, q.version)
    const checks = [
      { who: 'cloudlet', ...limitedAnswerValid(q, w, c.body as Candidates, all.c.body as Candidates) },
      { who: 'upstream', ...limitedAnswerValid(q, w, u.body as Candidates, all.u.body as Candidates) },
    ]
    const problems = checks.filter((x) => x.problem).map((x) => `${x.who}: ${x.problem}`)
    if (problems.length) return record(what, { ok: false, detail: problems })
    // Only upstream's answers may be excused by a known upstream defect.
    if (checks[0]!.known) return record(what, { ok: false, detail: [`cloudlet: ${checks[0]!.known}`] })
    return record(what, checks[1]!.known ? { ok: true, known: checks[1]!.known } : { ok: true })
  }
  const what = `GET ${q.path} @${q.version}`
  const { c, u } = await both('GET', q.path, q.version)
  const v = compareAnswers(c, u)
  if (!v.ok && q.kind === 'candidates' && c.status === 200 && u.status === 200) {
    const known = explainCandidates(q, w, c.body as Candidates, u.body as Candidates)
    if (known) return record(what, { ok: true, known: known.join('; ') })
  }
  record(what, v)
}

async function dump(w: World): Promise<void> {
  await ask({ kind: 'providers', path: '/resource_providers', version: '1.39' }, w)
  await ask({ kind: 'providers', path: '/traits?name=startswith:CUSTOM_', version: '1.39' }, w)
  await ask({ kind: 'providers', path: '/resource_classes', version: '1.39' }, w)
  for (const p of w.providers) {
    for (const sub of ['', '/inventories', '/traits', '/aggregates', '/usages', '/allocations'])
      await ask({ kind: 'providers', path: `/resource_providers/${p.uuid}${sub}`, version: '1.39' }, w)
  }
  for (const a of w.consumers)
    await ask({ kind: 'allocations', path: `/allocations/${a.consumer}`, version: '1.38' }, w)
  for (const project of w.projects)
    await ask({ kind: 'usages', path: `/usages?project_id=${project}&consumer_type=all`, version: '1.38' }, w)
}

const world = makeWorld(seed)
const rng = new Rng(seed * 7919 + 1)
const t0 = performance.now()
await load(world)
const loadCounts = { passed, failed }
for (const q of makeQueries(world, rng, Number(args.queries))) await ask(q, world)
await dump(world)
for (const line of report) console.log(line)
const trees = world.providers.filter((p) => p.kind === 'compute').length
const sharing = world.providers.filter((p) => p.kind === 'sharing').length
console.log(
  `seed ${seed}: ${trees} trees, ${world.providers.length} providers (${sharing} sharing), ${world.consumers.length} consumers; ` +
    `load ${loadCounts.passed + loadCounts.failed} writes; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
)
if (excluded) console.log(`${excluded} answers differ as known differences explain (excluded by rule):`)
for (const [reason, n] of known) console.log(`  ${n} x ${reason}`)
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed ? 1 : 0
