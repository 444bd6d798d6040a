/**
 * The scheduler's extension points: a plugin is a named object that implements one or
 * more of them (PreFilter, Filter, Score, Reserve). A `Status` says what a plugin decided
 * and why; a `CycleState` carries what a plugin computed once for the request. Nothing
 * here knows a concrete filter, the network or a database.
 */
import type { HostState, Snapshot } from './host-state.js'
import type { RequestSpec } from './request-spec.js'

/** What a plugin decided, after the Kubernetes scheduler framework's codes. */
export enum Code {
  /** The host (or request) passes. */
  Success = 'Success',
  /** The host does not fit now; it might after other servers leave or move. */
  Unschedulable = 'Unschedulable',
  /** The host can never fit this request as configured (disabled, wrong zone, ...). */
  UnschedulableAndUnresolvable = 'UnschedulableAndUnresolvable',
  /** The plugin could not decide: bad input or an internal failure. */
  Error = 'Error',
  /** The plugin has nothing to say for this request; its Filter is not run. */
  Skip = 'Skip',
}

/** A plugin's decision with the reasons an operator reads in "No valid host" and `explain`. */
export class Status {
  private constructor(
    readonly code: Code,
    readonly reasons: readonly string[],
    /** The plugin that returned it; the runtime fills it in. */
    readonly plugin?: string,
  ) {}

  static readonly SUCCESS = new Status(Code.Success, [])
  static readonly SKIP = new Status(Code.Skip, [])

  static success(): Status {
    return Status.SUCCESS
  }
  static skip(): Status {
    return Status.SKIP
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons)
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons)
  }
  static error(...reasons: string[]): Status {
    return new Status(Code.Error, reasons)
  }

  isSuccess(): boolean {
    return this.code === Code.Success
  }
  isSkip(): boolean {
    return this.code === Code.Skip
  }
  /** True for the two unschedulable codes and Error: the host or request is refused. */
  isRejection(): boolean {
    return !this.isSuccess() && !this.isSkip()
  }
  /** The same decision, signed by a plugin. */
  by(plugin: string): Status {
    return this.plugin === plugin ? this : new Status(this.code, this.reasons, plugin)
  }
  /** One line: the first reason, or the code when a plugin gave none. */
  reason(): string {
    return this.reasons[0] ?? this.code
  }
}

/** A typed key into the cycle state; the key's identity is the object. */
export interface StateKey<T> {
  readonly name: string
  /** Never read: it carries the value type. */
  readonly _type?: T
}

/** Makes a cycle-state key. @example const FREE = stateKey<number>('free') */
export function stateKey<T>(name: string): StateKey<T> {
  return Object.freeze({ name })
}

/**
 * Scratch space for one request (one scheduling cycle): what a plugin computes once in
 * its PreFilter and reads back in every Filter or Score call.
 */
export class CycleState {
  private readonly data = new Map<StateKey<unknown>, unknown>()
  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key) as T | undefined
  }
  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key, value)
  }
}

/** What every extension point receives: the snapshot, the clock, and the loaded options. */
export interface SchedulerContext {
  readonly snapshot: Snapshot
  /** Seconds since the epoch; the snapshot's clock, so a run is repeatable. */
  readonly now: number
}

/** Every plugin has a name: upstream's class name (`RAMWeigher`) or Cloudlet's own. */
export interface Plugin {
  readonly name: string
}

/**
 * Runs once per request before any host is looked at. It may rewrite the request (as
 * upstream's request filters add `member_of`, forbidden traits or forbidden aggregates
 * before placement is asked), precompute into the cycle state, answer Skip (its Filter
 * is then not run) or refuse the request outright.
 */
export interface PreFilterPlugin extends Plugin {
  preFilter(ctx: SchedulerContext, state: CycleState, request: RequestSpec): PreFilterResult
}

/** A PreFilter's answer: its status and, if it rewrote it, the new request. */
export interface PreFilterResult {
  readonly status: Status
  readonly request?: RequestSpec
}

/** Decides whether one host can take the request. Every refusal carries a reason. */
export interface FilterPlugin extends Plugin {
  filter(ctx: SchedulerContext, state: CycleState, request: RequestSpec, host: HostState): Status
}

/**
 * Gives a host a raw score; higher is better. The runtime normalises each plugin's scores
 * to 0..1 across the hosts (min-max, as upstream's weigher handler does, unless the
 * plugin brings its own `normalize`), multiplies by the plugin's multiplier for the host,
 * and sums.
 */
export interface ScorePlugin extends Plugin {
  score(ctx: SchedulerContext, state: CycleState, request: RequestSpec, host: HostState): number
  /** The multiplier for this host: the option, or an aggregate's metadata override. */
  multiplier(host: HostState, request: RequestSpec): number
  /** Optional clamp applied to raw scores before normalising (upstream's minval/maxval). */
  readonly minval?: number
  readonly maxval?: number
  /** Replaces min-max normalisation; must return one value per input, in order. */
  normalize?(scores: readonly number[]): number[]
}

/** One host chosen for one server, with what the caller claims in placement. */
export interface Selection {
  readonly host: string
  readonly nodename: string
  /** The placement allocation request body for this host, as placement returned it. */
  readonly allocationRequest: AllocationRequest
  readonly weight: number
}

/** An allocation request as placement's allocation candidates return it (1.12+ shape). */
export interface AllocationRequest {
  readonly allocations: Readonly<Record<string, { readonly resources: Readonly<Record<string, number>> }>>
  readonly mappings?: Readonly<Record<string, readonly string[]>>
}

/**
 * What the caller implements over placement: claim a server's allocation on a chosen
 * host (PUT /allocations/{consumer} with the consumer generation), and release it.
 * `false` means someone else claimed first (a 409): the runtime then tries an alternate.
 */
export interface Claimer {
  claim(consumer: string, selection: Selection, request: RequestSpec): Promise<boolean>
  release(consumer: string, selection: Selection): Promise<void>
}

/** Claims resources for a chosen host before the build starts; undoes it on failure. */
export interface ReservePlugin extends Plugin {
  reserve(
    ctx: SchedulerContext,
    state: CycleState,
    request: RequestSpec,
    consumer: string,
    selection: Selection,
    claimer: Claimer,
  ): Promise<Status>
  unreserve(
    ctx: SchedulerContext,
    state: CycleState,
    request: RequestSpec,
    consumer: string,
    selection: Selection,
    claimer: Claimer,
  ): Promise<void>
}

export const isPreFilter = (p: Plugin): p is PreFilterPlugin =>
  typeof (p as Partial<PreFilterPlugin>).preFilter === 'function'
export const isFilter = (p: Plugin): p is FilterPlugin =>
  typeof (p as Partial<FilterPlugin>).filter === 'function'
export const isScore = (p: Plugin): p is ScorePlugin =>
  typeof (p as Partial<ScorePlugin>).score === 'function'
export const isReserve = (p: Plugin): p is ReservePlugin =>
  typeof (p as Partial<ReservePlugin>).reserve === 'function'

/**
 * Min-max normalisation to 0..1, as upstream's weigher handler does: with no spread every
 * host gets 0 (so a weigher that cannot tell hosts apart adds nothing), and the bounds
 * default to the smallest and largest score.
 *
 * @example normalize([10, 20, 30]) // [0, 0.5, 1]
 */
export function normalize(scores: readonly number[], minval?: number, maxval?: number): number[] {
  if (scores.length === 0) return []
  let lo = minval ?? Number.POSITIVE_INFINITY
  let hi = maxval ?? Number.NEGATIVE_INFINITY
  if (minval === undefined || maxval === undefined) {
    for (const s of scores) {
      if (minval === undefined && s < lo) lo = s
      if (maxval === undefined && s > hi) hi = s
    }
  }
  if (lo === hi) return scores.map(() => 0)
  const range = hi - lo
  return scores.map((s) => (s - lo) / range)
}
