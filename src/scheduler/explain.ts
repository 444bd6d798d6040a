/**
 * Turning a run into words, pure: `noValidHostMessage` is the one-paragraph fault a
 * server in ERROR carries (how many candidates placement returned, how many hosts each
 * filter removed, the most common reason); `explain` is the full per-host account that
 * `cloudlet scheduler explain` and the admin route print (`explainText`) or return as
 * JSON.
 */
import type { Code } from './framework.js'
import type { HostState, Snapshot } from './host-state.js'
import { allocationCandidatesQuery } from './request-spec.js'
import type { Pass, RunResult } from './runtime.js'

/** The commonest (plugin, first reason) among a pass's rejections. */
function commonestReason(pass: Pass): { plugin: string; reason: string; count: number } | undefined {
  const counts = new Map<string, { plugin: string; reason: string; count: number }>()
  for (const o of pass.outcomes) {
    if (!o.rejection) continue
    const plugin = o.rejection.plugin ?? '?'
    const reason = o.rejection.reason()
    const key = `${plugin}\u0000${reason}`
    const c = counts.get(key) ?? { plugin, reason, count: 0 }
    c.count++
    counts.set(key, c)
  }
  let best: { plugin: string; reason: string; count: number } | undefined
  for (const c of counts.values()) if (!best || c.count > best.count) best = c
  return best
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/**
 * The fault message of a request that found no host, or undefined if it found one.
 *
 * @example
 * "No valid host was found. Placement returned 20 candidates; ComputeFilter removed 2,
 *  AvailabilityZoneFilter removed 6, NumInstancesFilter removed 12. Most common reason:
 *  NumInstancesFilter: too many servers (12 hosts)."
 */
export function noValidHostMessage(result: RunResult): string | undefined {
  if (result.status.isSuccess()) return undefined
  const head = 'No valid host was found.'
  const refused = result.prepared.status
  if (refused.isRejection()) return `${head} Request filter ${refused.plugin}: ${refused.reasons.join('; ')}.`
  const pass = result.passes[result.passes.length - 1]
  const prefix =
    result.candidates === 0
      ? `${head} Placement returned no candidates for ${describeQuery(result)}.`
      : `${head} Placement returned ${plural(result.candidates, 'candidate')}`
  if (result.candidates === 0 || !pass) return prefix
  if (pass.outcomes.length === 0) {
    // a filter's PreFilter refused the request before any host was looked at
    return `${prefix}; ${result.status.plugin}: ${result.status.reasons.join('; ')}.`
  }
  if (result.status.plugin && !result.status.reasons.includes('No valid host was found.')) {
    return `${prefix}; ${result.status.plugin} failed: ${result.status.reasons.join('; ')}.`
  }
  const removed = pass.removedBy.map((r) => `${r.plugin} removed ${r.count}`).join(', ')
  const which = result.passes.length > 1 ? ` (server ${result.passes.length} of the request)` : ''
  const top = commonestReason(pass)
  const reason = top
    ? ` Most common reason: ${top.plugin}: ${top.reason} (${plural(top.count, 'host')}).`
    : ''
  return `${prefix}${which}; ${removed}.${reason}`
}

function describeQuery(result: RunResult): string {
  return allocationCandidatesQuery(result.prepared.request.placement)
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/** One weigher's part in a host's weight. */
export interface WeightPart {
  readonly weigher: string
  readonly raw: number
  readonly normalized: number
  readonly multiplier: number
  readonly contribution: number
}

/** What happened to one host for one server. */
export interface HostExplanation {
  readonly host: string
  readonly nodename: string
  readonly outcome: 'selected' | 'alternate' | 'passed' | 'rejected' | 'not a candidate'
  readonly rank?: number
  readonly weight?: number
  readonly weights?: readonly WeightPart[]
  readonly plugin?: string
  readonly code?: Code
  readonly reasons?: readonly string[]
}

export interface PassExplanation {
  readonly instance: string
  readonly skipped: readonly string[]
  readonly removedBy: readonly { readonly plugin: string; readonly count: number }[]
  readonly hosts: readonly HostExplanation[]
}

/** The JSON an admin reads: the request as placement saw it, and every host's fate. */
export interface Explanation {
  readonly status: { readonly code: Code; readonly plugin?: string; readonly reasons: readonly string[] }
  readonly message?: string
  readonly placementQuery: string
  readonly requestFilters: readonly {
    readonly plugin: string
    readonly code: Code
    readonly reasons: readonly string[]
  }[]
  readonly candidates: number
  readonly unknownCandidates: number
  readonly passes: readonly PassExplanation[]
}

/**
 * The full account of a run. With the snapshot, hosts placement did not return are
 * listed too ("not a candidate"), so an operator sees the whole cloud.
 */
export function explain(result: RunResult, snapshot?: Snapshot): Explanation {
  const alternates = new Map<string, Set<string>>()
  for (const p of result.plan ?? []) alternates.set(p.instance, new Set(p.alternates.map((a) => a.host)))
  const passes = result.passes.map((pass): PassExplanation => {
    const hosts: HostExplanation[] = []
    const alt = alternates.get(pass.instance) ?? new Set<string>()
    pass.ranked.forEach((r, rank) => {
      const weights = pass.scores.map((col) => ({
        weigher: col.plugin,
        raw: col.raw[r.index]!,
        normalized: col.normalized[r.index]!,
        multiplier: col.multipliers[r.index]!,
        contribution: col.multipliers[r.index]! * col.normalized[r.index]!,
      }))
      const outcome =
        pass.chosen?.host === r.host.host ? 'selected' : alt.has(r.host.host) ? 'alternate' : 'passed'
      hosts.push({ ...names(r.host), outcome, rank: rank + 1, weight: r.weight, weights })
    })
    for (const o of pass.outcomes) {
      if (!o.rejection) continue
      hosts.push({
        ...names(o.host),
        outcome: 'rejected',
        ...(o.rejection.plugin ? { plugin: o.rejection.plugin } : {}),
        code: o.rejection.code,
        reasons: o.rejection.reasons,
      })
    }
    if (snapshot) {
      const seen = new Set(pass.outcomes.map((o) => o.host.uuid))
      for (const h of snapshot.hosts)
        if (!seen.has(h.uuid)) hosts.push({ ...names(h), outcome: 'not a candidate' })
    }
    return { instance: pass.instance, skipped: pass.skipped, removedBy: pass.removedBy, hosts }
  })
  const message = noValidHostMessage(result)
  return {
    status: {
      code: result.status.code,
      ...(result.status.plugin ? { plugin: result.status.plugin } : {}),
      reasons: result.status.reasons,
    },
    ...(message ? { message } : {}),
    placementQuery: describeQuery(result),
    requestFilters: result.prepared.requestFilters.map((d) => ({
      plugin: d.plugin,
      code: d.status.code,
      reasons: d.status.reasons,
    })),
    candidates: result.candidates,
    unknownCandidates: result.unknownCandidates,
    passes,
  }
}

const names = (h: HostState) => ({ host: h.host, nodename: h.nodename })
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(3))

/**
 * The explanation as an operator reads it in a terminal: the `top` best-ranked hosts
 * (all of them with `top: Infinity`) and every rejected host with its reason.
 */
export function explainText(e: Explanation, opts: { readonly top?: number } = {}): string {
  const top = opts.top ?? 25
  const out: string[] = []
  out.push(e.message ?? 'Placed.')
  out.push(`placement query: ${e.placementQuery || '(none)'}`)
  const active = e.requestFilters.filter((d) => d.code !== 'Skip')
  if (active.length) {
    out.push(
      `request filters: ${active.map((d) => `${d.plugin} ${d.code}${d.reasons.length ? ` (${d.reasons.join('; ')})` : ''}`).join(', ')}`,
    )
  }
  out.push(
    `candidates from placement: ${e.candidates}${e.unknownCandidates ? ` (+${e.unknownCandidates} unknown to the snapshot)` : ''}`,
  )
  for (const p of e.passes) {
    out.push('')
    out.push(`server ${p.instance}`)
    if (p.skipped.length) out.push(`  skipped (nothing to check): ${p.skipped.join(', ')}`)
    if (p.removedBy.length)
      out.push(`  removed: ${p.removedBy.map((r) => `${r.plugin} ${r.count}`).join(', ')}`)
    const ranked = p.hosts.filter((h) => h.rank !== undefined)
    if (ranked.length) {
      out.push('  rank  host                  weight    outcome    weighers (raw -> normalised x multiplier)')
      for (const h of ranked.slice(0, top)) {
        const parts = (h.weights ?? [])
          .filter((w) => w.contribution !== 0 || w.raw !== 0)
          .map((w) => `${w.weigher} ${fmt(w.raw)}->${fmt(w.normalized)}x${fmt(w.multiplier)}`)
          .join(', ')
        out.push(
          `  ${String(h.rank).padStart(4)}  ${h.host.padEnd(20)}  ${fmt(h.weight ?? 0).padStart(8)}  ${h.outcome.padEnd(9)}  ${parts}`,
        )
      }
    }
    if (ranked.length > top) out.push(`  ... ${ranked.length - top} more hosts passed`)
    const rejected = p.hosts.filter((h) => h.outcome === 'rejected')
    if (rejected.length) {
      out.push('  rejected:')
      for (const h of rejected)
        out.push(`    ${h.host.padEnd(20)}  ${h.plugin}: ${(h.reasons ?? []).join('; ')}`)
    }
    const missing = p.hosts.filter((h) => h.outcome === 'not a candidate')
    if (missing.length) out.push(`  not returned by placement: ${missing.map((h) => h.host).join(', ')}`)
  }
  return out.join('\n')
}
