/**
 * The scheduling run, pure: `prepare` runs the request filters (the caller then asks
 * placement with the rewritten query), `select` runs the filters and weighers over the
 * placement candidates for each server and returns a plan with alternates, and
 * `claimPlan` walks the plan through the Reserve plugins with the caller's `Claimer`.
 * Nothing here does I/O; every rejected host keeps the plugin and the reason.
 */
import {
  type AllocationRequest,
  type Claimer,
  CycleState,
  isPreFilter,
  normalize,
  type SchedulerContext,
  type Selection,
  Status,
} from './framework.js'
import type { HostState, Snapshot } from './host-state.js'
import type { Profile } from './profiles.js'
import type { RequestSpec } from './request-spec.js'

/** One placement allocation candidate, keyed by the compute node's root provider. */
export interface Candidate {
  readonly rootProviderUuid: string
  readonly allocationRequest: AllocationRequest
}

/** Built-in steps that can refuse a host before the filters; named like plugins. */
export const RequestedDestination = 'RequestedDestination'
export const IgnoreHosts = 'IgnoreHosts'
export const EarlierServers = 'EarlierServersOfRequest'

/** A request after its request filters, ready for placement. */
export interface Prepared {
  readonly ctx: SchedulerContext
  readonly original: RequestSpec
  /** The request as the request filters left it; ask placement with `request.placement`. */
  readonly request: RequestSpec
  readonly requestFilters: readonly { readonly plugin: string; readonly status: Status }[]
  /** Success, or the request filter that refused the request. */
  readonly status: Status
}

/** How one host fared in one pass. */
export interface HostOutcome {
  readonly host: HostState
  /** Undefined when the host passed every filter. */
  readonly rejection?: Status
}

/** One weigher's scores in one pass, by index of `Pass.passed`. */
export interface ScoreColumn {
  readonly plugin: string
  readonly raw: readonly number[]
  readonly normalized: readonly number[]
  readonly multipliers: readonly number[]
}

/** The hosts that passed, best first after picking; `index` points into `Pass.passed`. */
export interface Ranked {
  readonly index: number
  readonly host: HostState
  readonly weight: number
}

/** Filtering and weighing for one server of the request. */
export interface Pass {
  readonly instance: string
  readonly outcomes: readonly HostOutcome[]
  /** Per plugin (filters and built-in steps), how many hosts it removed, in pipeline order. */
  readonly removedBy: readonly { readonly plugin: string; readonly count: number }[]
  /** Filters skipped for this server (their PreFilter said Skip). */
  readonly skipped: readonly string[]
  readonly passed: readonly HostState[]
  readonly scores: readonly ScoreColumn[]
  readonly ranked: readonly Ranked[]
  readonly chosen?: Selection
}

/** One server's place in the plan: the chosen host and the alternates to retry on. */
export interface Placement {
  readonly instance: string
  readonly selection: Selection
  readonly alternates: readonly Selection[]
}

export interface RunResult {
  readonly prepared: Prepared
  /** Distinct hosts placement returned. */
  readonly candidates: number
  /** Candidates whose provider is not a compute node of the snapshot. */
  readonly unknownCandidates: number
  readonly passes: readonly Pass[]
  /** Success with a plan, or why the request cannot be placed. */
  readonly status: Status
  readonly plan?: readonly Placement[]
}

export interface SelectOptions {
  /** Uniform in [0, 1); injected so tests and benchmarks are repeatable. @default Math.random */
  readonly random?: () => number
}

/** Runs the request filters. Call once per request, before asking placement. */
export function prepare(profile: Profile, snapshot: Snapshot, request: RequestSpec): Prepared {
  const ctx: SchedulerContext = { snapshot, now: snapshot.now }
  const state = new CycleState()
  const decisions: { plugin: string; status: Status }[] = []
  let current = request
  for (const p of profile.requestFilters) {
    const r = p.preFilter(ctx, state, current)
    const status = r.status.by(p.name)
    decisions.push({ plugin: p.name, status })
    if (r.request) current = r.request
    if (status.isRejection())
      return { ctx, original: request, request: current, requestFilters: decisions, status }
  }
  return { ctx, original: request, request: current, requestFilters: decisions, status: Status.success() }
}

const byUuidCache = new WeakMap<Snapshot, Map<string, HostState>>()
function hostsByUuid(s: Snapshot): Map<string, HostState> {
  let m = byUuidCache.get(s)
  if (!m) {
    m = new Map(s.hosts.map((h) => [h.uuid, h]))
    byUuidCache.set(s, m)
  }
  return m
}

/** The host after one more server of the request: its resources, instances and I/O. */
function consume(h: HostState, instance: string, alloc: AllocationRequest): HostState {
  const mine = alloc.allocations[h.uuid]?.resources ?? {}
  const resources = { ...h.resources }
  for (const [rc, n] of Object.entries(mine)) {
    const r = resources[rc]
    if (r) resources[rc] = { ...r, used: r.used + n }
  }
  return { ...h, resources, instances: [...h.instances, instance], numIoOps: h.numIoOps + 1 }
}

/** Can the host still give what the allocation request takes from its root provider? */
function stillFits(h: HostState, alloc: AllocationRequest): string | undefined {
  for (const [rc, n] of Object.entries(alloc.allocations[h.uuid]?.resources ?? {})) {
    const r = h.resources[rc]
    if (!r) continue
    const left = (r.total - r.reserved) * r.allocationRatio - r.used
    if (left < n) return `${rc}: ${left} left, ${n} needed`
  }
  return undefined
}

function shuffle<T>(xs: T[], random: () => number): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = xs[i]!
    xs[i] = xs[j]!
    xs[j] = t
  }
}

/**
 * Filters and weighs the candidates for every server of the request and picks a host
 * for each: among the `host_subset_size` best (the best ones with equal weight shuffled
 * first when `shuffle_best_same_weighed_hosts`), then takes that server's resources off
 * the chosen host before the next server. Alternates come from the last ranking.
 */
export function select(
  profile: Profile,
  prepared: Prepared,
  candidates: readonly Candidate[],
  opts: SelectOptions = {},
): RunResult {
  const random = opts.random ?? Math.random
  const { ctx } = prepared
  const base = { prepared, candidates: 0, unknownCandidates: 0, passes: [] as Pass[] }
  if (prepared.status.isRejection()) return { ...base, status: prepared.status }

  const known = hostsByUuid(ctx.snapshot)
  const allocOf = new Map<string, AllocationRequest>()
  let hosts: HostState[] = []
  let unknown = 0
  for (const c of candidates) {
    if (allocOf.has(c.rootProviderUuid)) continue
    const h = known.get(c.rootProviderUuid)
    if (!h) {
      unknown++
      continue
    }
    // NOTE: placement may offer several allocation requests per host (different
    // child providers); like upstream, the first one is the one claimed.
    allocOf.set(c.rootProviderUuid, c.allocationRequest)
    hosts.push(h)
  }
  const result = { ...base, candidates: allocOf.size, unknownCandidates: unknown }

  let request = prepared.request
  const n = Math.max(1, request.instanceUuids.length)
  const passes: Pass[] = []
  const plan: { instance: string; selection: Selection }[] = []
  const consumed = new Set<string>()
  for (let i = 0; i < n; i++) {
    const instance = request.instanceUuids[i] ?? `instance-${i}`
    const state = new CycleState()
    const skipped = new Set<string>()
    for (const f of profile.filters) {
      if (!isPreFilter(f)) continue
      const r = f.preFilter(ctx, state, request)
      if (r.status.isSkip()) skipped.add(f.name)
      else if (r.status.isRejection()) {
        const status = r.status.by(f.name)
        passes.push({
          instance,
          outcomes: [],
          removedBy: [],
          skipped: [...skipped],
          passed: [],
          scores: [],
          ranked: [],
        })
        return { ...result, passes, status }
      }
    }
    const active = profile.filters.filter((f) => !skipped.has(f.name))
    const removed = new Map<string, number>()
    const outcomes: HostOutcome[] = []
    const passed: HostState[] = []
    const dest = request.requestedDestination
    const ignore = new Set(request.ignoreHosts ?? [])
    for (const h of hosts) {
      let rejection: Status | undefined
      if (dest?.host && dest.host !== h.host)
        rejection = Status.unresolvable('not the requested destination', `${dest.host} was requested`).by(
          RequestedDestination,
        )
      else if (dest?.node && dest.node !== h.nodename)
        rejection = Status.unresolvable(
          'not the requested destination',
          `node ${dest.node} was requested`,
        ).by(RequestedDestination)
      else if (ignore.has(h.host))
        rejection = Status.unresolvable('already tried for this server').by(IgnoreHosts)
      else if (consumed.has(h.uuid)) {
        const why = stillFits(h, allocOf.get(h.uuid)!)
        if (why)
          rejection = Status.unschedulable('full after earlier servers of this request', why).by(
            EarlierServers,
          )
      }
      if (!rejection) {
        for (const f of active) {
          const s = f.filter(ctx, state, request, h)
          if (s.isRejection()) {
            rejection = s.by(f.name)
            break
          }
        }
      }
      if (rejection) {
        const p = rejection.plugin!
        removed.set(p, (removed.get(p) ?? 0) + 1)
        outcomes.push({ host: h, rejection })
      } else {
        outcomes.push({ host: h })
        passed.push(h)
      }
    }
    const order = [RequestedDestination, IgnoreHosts, EarlierServers, ...profile.filters.map((f) => f.name)]
    const removedBy = order
      .filter((p) => removed.has(p))
      .map((plugin) => ({ plugin, count: removed.get(plugin)! }))
    const pass = { instance, outcomes, removedBy, skipped: [...skipped], passed }
    if (passed.length === 0) {
      passes.push({ ...pass, scores: [], ranked: [] })
      const status = Status.unschedulable(
        'No valid host was found.',
        `no host passed the filters for server ${i + 1} of ${n}`,
      )
      return { ...result, passes, status }
    }

    // Weighing: each weigher's raw scores, normalised to 0..1 over the passing hosts,
    // times the host's multiplier, summed.
    const weights = new Float64Array(passed.length)
    const scores: ScoreColumn[] = []
    // NOTE: one host needs no ranking; upstream skips weighing too, so a weigher that
    // would fail (a missing required metric) does not fail a request with one choice.
    if (passed.length > 1) {
      for (const w of profile.scorers) {
        let raw: number[]
        try {
          raw = passed.map((h) => {
            let v = w.score(ctx, state, request, h)
            if (w.minval !== undefined) v = Math.max(v, w.minval)
            if (w.maxval !== undefined) v = Math.min(v, w.maxval)
            return v
          })
        } catch (e) {
          passes.push({ ...pass, scores, ranked: [] })
          return { ...result, passes, status: Status.error((e as Error).message).by(w.name) }
        }
        const norm = w.normalize ? w.normalize(raw) : normalize(raw, w.minval, w.maxval)
        const multipliers = passed.map((h) => w.multiplier(h, request))
        for (let k = 0; k < passed.length; k++) weights[k]! += multipliers[k]! * norm[k]!
        scores.push({ plugin: w.name, raw, normalized: norm, multipliers })
      }
    }
    const ranked: Ranked[] = passed.map((host, index) => ({ index, host, weight: weights[index]! }))
    // NOTE: Array.prototype.sort is stable, so equal weights keep placement's order.
    ranked.sort((a, b) => b.weight - a.weight)
    if (profile.shuffleBestSameWeighedHosts) {
      let same = 1
      while (same < ranked.length && ranked[same]!.weight === ranked[0]!.weight) same++
      const best = ranked.slice(0, same)
      shuffle(best, random)
      ranked.splice(0, same, ...best)
    }
    const subset = Math.min(profile.hostSubsetSize, ranked.length)
    const pick = Math.floor(random() * subset)
    const [chosen] = ranked.splice(pick, 1)
    ranked.unshift(chosen!)
    const alloc = allocOf.get(chosen!.host.uuid)!
    const selection: Selection = {
      host: chosen!.host.host,
      nodename: chosen!.host.nodename,
      allocationRequest: alloc,
      weight: chosen!.weight,
    }
    passes.push({ ...pass, scores, ranked, chosen: selection })
    plan.push({ instance, selection })

    // The next server sees this one on its host: resources, instance, group.
    const after = consume(chosen!.host, instance, alloc)
    hosts = hosts.map((h) => (h.uuid === after.uuid ? after : h))
    consumed.add(after.uuid)
    const g = request.group
    if (g) {
      request = {
        ...request,
        group: {
          ...g,
          hosts: g.hosts.includes(after.host) ? g.hosts : [...g.hosts, after.host],
          members: g.members.includes(instance) ? g.members : [...g.members, instance],
        },
      }
    }
  }

  // Alternates: the last ranking's next hosts in the same cell, not chosen for any
  // server of this request, up to max_attempts - 1 each.
  const last = passes[passes.length - 1]!
  const chosenHosts = new Set(plan.map((p) => p.selection.host))
  const placements: Placement[] = plan.map((p) => {
    const cell = hosts.find((h) => h.host === p.selection.host)?.cell
    const alternates: Selection[] = []
    for (const r of last.ranked) {
      if (alternates.length >= profile.maxAttempts - 1) break
      if (chosenHosts.has(r.host.host) || r.host.cell !== cell) continue
      alternates.push({
        host: r.host.host,
        nodename: r.host.nodename,
        allocationRequest: allocOf.get(r.host.uuid)!,
        weight: r.weight,
      })
    }
    return { ...p, alternates }
  })
  return { ...result, passes, status: Status.success(), plan: placements }
}

/** Both steps for a caller that has the candidates at hand (tests, explain, benchmarks). */
export function schedule(
  profile: Profile,
  snapshot: Snapshot,
  request: RequestSpec,
  candidatesFor: (prepared: Prepared) => readonly Candidate[],
  opts: SelectOptions = {},
): RunResult {
  const prepared = prepare(profile, snapshot, request)
  if (prepared.status.isRejection()) return select(profile, prepared, [], opts)
  return select(profile, prepared, candidatesFor(prepared), opts)
}

/** One claim attempt while walking the plan. */
export interface ClaimAttempt {
  readonly instance: string
  readonly host: string
  readonly status: Status
}

export interface ClaimResult {
  readonly status: Status
  /** Per server: the host claimed and the alternates left for a reschedule. */
  readonly claimed: readonly Placement[]
  readonly attempts: readonly ClaimAttempt[]
}

/**
 * Claims the plan: for each server, the chosen host, else its alternates in order, each
 * through every Reserve plugin. If a server gets no host, every claim made for the
 * request is released and the result says why.
 */
export async function claimPlan(profile: Profile, result: RunResult, claimer: Claimer): Promise<ClaimResult> {
  if (!result.plan) return { status: result.status, claimed: [], attempts: [] }
  const { ctx, request } = result.prepared
  const state = new CycleState()
  const claimed: Placement[] = []
  const attempts: ClaimAttempt[] = []
  const release = async (instance: string, sel: Selection, upTo: number) => {
    for (let k = upTo - 1; k >= 0; k--)
      await profile.reservers[k]!.unreserve(ctx, state, request, instance, sel, claimer)
  }
  for (const p of result.plan) {
    const tries = [p.selection, ...p.alternates]
    let won: number | undefined
    for (let t = 0; t < tries.length && won === undefined; t++) {
      const sel = tries[t]!
      let status = Status.success()
      let done = 0
      for (const r of profile.reservers) {
        status = (await r.reserve(ctx, state, request, p.instance, sel, claimer)).by(r.name)
        if (status.isRejection()) break
        done++
      }
      attempts.push({ instance: p.instance, host: sel.host, status })
      if (status.isRejection()) await release(p.instance, sel, done)
      else won = t
    }
    if (won === undefined) {
      for (const c of [...claimed].reverse()) await release(c.instance, c.selection, profile.reservers.length)
      const status = Status.unschedulable(
        'No valid host was found.',
        `every host planned for server ${p.instance} was claimed by another request`,
      )
      return { status, claimed: [], attempts }
    }
    claimed.push({ instance: p.instance, selection: tries[won]!, alternates: tries.slice(won + 1) })
  }
  return { status: Status.success(), claimed, attempts }
}
