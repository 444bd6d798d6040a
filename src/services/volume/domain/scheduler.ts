/**
 * Cinder's filter scheduler over the pools this service reports, pure: pools (their
 * capabilities, as get_pools shows them) and a request in, the chosen pool and every
 * rejected pool with the filter and reason out.
 *
 *   pools ─▶ filters in `[DEFAULT] scheduler_default_filters` order, each on what the
 *            previous left (AvailabilityZoneFilter, CapacityFilter, CapabilitiesFilter,
 *            DriverFilter) ─▶ weighers (`scheduler_default_weighers`: CapacityWeigher,
 *            GoodnessWeigher), each weight normalised to 0..1 over the pools left and
 *            times its multiplier, summed ─▶ the highest; a copy (clone, from a
 *            snapshot) and a retype stay on their source's pool when it passes
 *
 * CapacityFilter and CapacityWeigher honour thin provisioning as upstream: a thin pool
 * (thin_provisioning_support, unless the type asks `provisioning:type` thick) takes a
 * volume while (provisioned + size) / total stays within max_over_subscription_ratio and
 * the free space less reserved_percentage, times that ratio, holds it; the weigher ranks
 * thin pools by their virtual free space (total × ratio − provisioned − reserved).
 * DriverFilter and GoodnessWeigher evaluate the pool's `filter_function` and
 * `goodness_function` (domain/evaluator.ts) with `volume.*`, `capabilities.*`,
 * `stats.*`, `extra.*` and `qos.*`.
 */
import { matchesCapabilities } from './capabilities-filter.js'
import { compile, EvaluatorError, numeric, passes, type Variables } from './evaluator.js'

export interface PoolState {
  /** `host@backend#pool` */
  name: string
  /** Where its files are (FileBackends' key). */
  key: string
  capabilities: Readonly<Record<string, unknown>>
}

export interface ScheduleRequest {
  /** GiB asked for. */
  size: number
  extraSpecs: Readonly<Record<string, string>>
  qosSpecs?: Readonly<Record<string, string>>
  /** The volume's properties, `volume.*` in the functions (size, volume_type_id, display_name...). */
  volume?: Readonly<Record<string, unknown>>
  /** The pool key kept when it passes (the source of a clone or snapshot, the current pool of a retype). */
  prefer?: string
  /** A pool already holding the volume (a retype): its size is not asked of it again. */
  holding?: string
}

export interface SchedulerOptions {
  filters: readonly string[]
  weighers: readonly string[]
  capacityWeightMultiplier: number
  goodnessWeightMultiplier: number
}

export const DEFAULT_FILTERS = ['AvailabilityZoneFilter', 'CapacityFilter', 'CapabilitiesFilter'] as const
export const DEFAULT_WEIGHERS = ['CapacityWeigher'] as const

export interface Rejection {
  filter: string
  pool: string
  reason: string
}

export interface ScheduleResult {
  chosen?: PoolState
  /** The pools that passed, with their total weight, best first. */
  weighed: { pool: string; weight: number }[]
  rejected: Rejection[]
}

type Filter = (pool: PoolState, req: ScheduleRequest) => string | undefined
type Weigher = (pool: PoolState, req: ScheduleRequest) => number

const num = (v: unknown, fallback = 0): number => {
  const n = typeof v === 'number' ? v : Number.parseFloat(String(v))
  return Number.isFinite(n) ? n : fallback
}
const yes = (v: unknown) => v === true || /^(<is>\s*)?true$/i.test(String(v ?? '').trim())

/** Whether the request is thin on this pool (upstream: unless the type asks for thick). */
function thinOn(pool: PoolState, req: ScheduleRequest): boolean {
  const asked = (req.extraSpecs['provisioning:type'] ?? '').trim().toLowerCase()
  return asked !== 'thick' && yes(pool.capabilities.thin_provisioning_support)
}

function sizeFor(pool: PoolState, req: ScheduleRequest): number {
  return req.holding !== undefined && req.holding === pool.key ? 0 : req.size
}

const capacityFilter: Filter = (pool, req) => {
  const c = pool.capabilities
  const size = sizeFor(pool, req)
  if (['infinite', 'unknown'].includes(String(c.free_capacity_gb).toLowerCase())) return undefined
  const total = num(c.total_capacity_gb)
  if (total <= 0) return 'Insufficient free space for volume creation: total capacity is 0.'
  const reserved = Math.floor((total * num(c.reserved_percentage)) / 100)
  const free = num(c.free_capacity_gb) - reserved
  if (thinOn(pool, req)) {
    const ratio = num(c.max_over_subscription_ratio, 1)
    if (ratio < 1) return `Invalid maximum over subscription ratio ${ratio}.`
    const provisionedRatio = (num(c.provisioned_capacity_gb) + size) / total
    if (provisionedRatio > ratio)
      return `Insufficient free space for thin provisioning. The ratio of provisioned capacity over total capacity ${provisionedRatio.toFixed(2)} has exceeded the maximum over subscription ratio ${ratio.toFixed(2)}.`
    const virtualFree = free * ratio
    if (virtualFree < size)
      return `Insufficient free virtual space (${virtualFree}GB) to accommodate thin provisioned ${size}GB volume.`
    return undefined
  }
  if (free < size)
    return `Insufficient free space for volume creation (requested / avail): ${size}/${Math.max(0, free)}.`
  return undefined
}

const capabilitiesFilter: Filter = (pool, req) =>
  matchesCapabilities(req.extraSpecs, pool.capabilities)
    ? undefined
    : "The pool's capabilities do not match the volume type's extra specs."

/** The variables a pool's functions see. */
function variables(pool: PoolState, req: ScheduleRequest): Variables {
  const c = pool.capabilities
  return {
    volume: { size: req.size, ...req.volume },
    capabilities: c,
    stats: {
      host: pool.name,
      volume_backend_name: c.volume_backend_name,
      vendor_name: c.vendor_name,
      driver_version: c.driver_version,
      storage_protocol: c.storage_protocol,
      QoS_support: c.QoS_support,
      total_capacity_gb: c.total_capacity_gb,
      allocated_capacity_gb: c.allocated_capacity_gb,
      free_capacity_gb: c.free_capacity_gb,
      provisioned_capacity_gb: c.provisioned_capacity_gb,
      reserved_percentage: c.reserved_percentage,
      max_over_subscription_ratio: c.max_over_subscription_ratio,
      updated: c.updated,
    },
    extra: req.extraSpecs,
    qos: req.qosSpecs ?? {},
  }
}

function fn(pool: PoolState, which: 'filter_function' | 'goodness_function'): string | undefined {
  const f = pool.capabilities[which]
  return typeof f === 'string' && f.trim() ? f : undefined
}

const driverFilter: Filter = (pool, req) => {
  const f = fn(pool, 'filter_function')
  if (!f) return undefined
  try {
    return passes(compile(f)(variables(pool, req))) ? undefined : `filter_function '${f}' is false.`
  } catch (e) {
    if (e instanceof EvaluatorError) return `filter_function '${f}' failed: ${e.message}.`
    throw e
  }
}

const FILTERS: Record<string, Filter> = {
  // NOTE: the zone is settled before the scheduler runs (every pool of this service is
  // in its one zone); the name is accepted so that upstream's defaults carry over.
  AvailabilityZoneFilter: () => undefined,
  CapacityFilter: capacityFilter,
  CapabilitiesFilter: capabilitiesFilter,
  DriverFilter: driverFilter,
}

const capacityWeigher: Weigher = (pool, req) => {
  const c = pool.capabilities
  if (['infinite', 'unknown'].includes(String(c.free_capacity_gb).toLowerCase()))
    return Number.POSITIVE_INFINITY
  const total = num(c.total_capacity_gb)
  const reserved = Math.floor((total * num(c.reserved_percentage)) / 100)
  if (thinOn(pool, req)) {
    const ratio = num(c.max_over_subscription_ratio, 1)
    return Math.floor(total * ratio - num(c.provisioned_capacity_gb) - reserved)
  }
  return Math.floor(num(c.free_capacity_gb) - reserved)
}

/** goodness_function: 0-100; none, a failure or a value out of range weighs 0. */
const goodnessWeigher: Weigher = (pool, req) => {
  const f = fn(pool, 'goodness_function')
  if (!f) return 0
  try {
    const g = numeric(compile(f)(variables(pool, req)))
    return g >= 0 && g <= 100 ? g : 0
  } catch (e) {
    if (e instanceof EvaluatorError) return 0
    throw e
  }
}

const WEIGHERS: Record<string, Weigher> = {
  CapacityWeigher: capacityWeigher,
  GoodnessWeigher: goodnessWeigher,
}

/** Names the configuration lists that this scheduler does not have. */
export function unknownPlugins(opts: Pick<SchedulerOptions, 'filters' | 'weighers'>): string[] {
  return [...opts.filters.filter((f) => !FILTERS[f]), ...opts.weighers.filter((w) => !WEIGHERS[w])]
}

/** oslo's normalisation: min-max over the list; all equal → all 0. */
function normalize(values: number[]): number[] {
  const finite = values.map((v) => (v === Number.POSITIVE_INFINITY ? Number.NaN : v))
  const known = finite.filter((v) => !Number.isNaN(v))
  const max = known.length ? Math.max(...known) : 0
  const min = known.length ? Math.min(...known) : 0
  return finite.map((v) => {
    if (Number.isNaN(v)) return 1
    return max === min ? 0 : (v - min) / (max - min)
  })
}

export function schedule(
  pools: readonly PoolState[],
  req: ScheduleRequest,
  opts: SchedulerOptions,
): ScheduleResult {
  const rejected: Rejection[] = []
  let left = [...pools]
  for (const name of opts.filters) {
    const filter = FILTERS[name]
    if (!filter) continue
    left = left.filter((p) => {
      const reason = filter(p, req)
      if (reason) rejected.push({ filter: name, pool: p.name, reason })
      return !reason
    })
  }
  const totals = left.map(() => 0)
  for (const name of opts.weighers) {
    const weigher = WEIGHERS[name]
    if (!weigher) continue
    const multiplier =
      name === 'GoodnessWeigher' ? opts.goodnessWeightMultiplier : opts.capacityWeightMultiplier
    normalize(left.map((p) => weigher(p, req))).forEach((w, i) => {
      totals[i]! += multiplier * w
    })
  }
  const weighed = left.map((p, i) => ({ p, weight: totals[i]! })).sort((a, b) => b.weight - a.weight)
  // a copy stays on its source's pool when that pool passes (upstream keeps it on the backend)
  const chosen = left.find((p) => p.key === req.prefer) ?? weighed[0]?.p
  return {
    ...(chosen ? { chosen } : {}),
    weighed: weighed.map((w) => ({ pool: w.p.name, weight: w.weight })),
    rejected,
  }
}

/** Why no pool was chosen, for the user message and the log: each filter and the pools it removed. */
export function explain(result: ScheduleResult, poolCount: number): string {
  if (!poolCount) return 'No pool is reported.'
  const byFilter = new Map<string, Rejection[]>()
  for (const r of result.rejected) byFilter.set(r.filter, [...(byFilter.get(r.filter) ?? []), r])
  return [...byFilter]
    .map(([filter, rs]) => `${filter} removed ${rs.map((r) => `${r.pool} (${r.reason})`).join(', ')}`)
    .join('; ')
}
