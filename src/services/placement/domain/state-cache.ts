/**
 * Keeps this process's PlacementState in step with the database. Before a read the
 * cache asks for the change counter (one indexed row); when it moved, the state is
 * brought up to date once, however many requests are waiting: from the change log
 * (only the providers and consumers the writes since then touched are read and patched
 * in), or by a full reload when the log cannot say. Every write transaction bumps the
 * counter and logs what it touched, so a write through any process sharing the
 * database is seen by the next read in every other process.
 */
import { type ChangeRows, PlacementState, type StateRows } from './model.js'

export interface StateSource {
  counter(): Promise<string>
  loadState(): Promise<StateRows>
  /** What changed since a counter value (absent: always reload everything). */
  loadChanges?(since: string): Promise<ChangeRows>
}

export interface CacheStats {
  /** Full reloads. */
  reloads: number
  /** Incremental updates from the change log. */
  updates: number
  lastReloadMs: number
  checks: number
}

export class StateCache {
  private state: PlacementState | undefined
  private loading: Promise<PlacementState> | undefined
  private lastCheck = 0
  readonly stats: CacheStats = { reloads: 0, updates: 0, lastReloadMs: 0, checks: 0 }
  /** Told after the state was patched from the change log or reloaded. */
  onUpdate: ((s: PlacementState) => void) | undefined

  constructor(
    private readonly source: StateSource,
    private readonly epoch: string,
    /** Seconds a state may be served without asking for the counter (0: always ask). */
    private readonly pollInterval = 0,
  ) {}

  /** The current state; `fresh` forces a counter check (writers validate against it). */
  async current(fresh = false): Promise<PlacementState> {
    const s = this.state
    if (s && !fresh && this.pollInterval > 0 && Date.now() - this.lastCheck < this.pollInterval * 1000)
      return s
    this.stats.checks++
    const counter = await this.source.counter()
    this.lastCheck = Date.now()
    if (this.state && this.state.counter === counter) return this.state
    // A reload already under way may have started before the write we were told
    // about; wait for one that has seen at least this counter.
    let state = await this.reload()
    for (let i = 0; i < 3 && BigInt(state.counter) < BigInt(counter); i++) state = await this.reload()
    return state
  }

  /** Drops the state so the next read reloads (after a lost compare-and-swap). */
  invalidate(): void {
    this.state = undefined
  }

  private reload(): Promise<PlacementState> {
    if (!this.loading) {
      const t0 = performance.now()
      this.loading = this.refresh()
        .then((s) => {
          this.stats.lastReloadMs = performance.now() - t0
          return s
        })
        .finally(() => {
          this.loading = undefined
        })
    }
    return this.loading
  }

  private async refresh(): Promise<PlacementState> {
    const current = this.state
    if (current && this.source.loadChanges) {
      const changes = await this.source.loadChanges(current.counter)
      // The state may have been dropped (invalidate) while the changes were read.
      if (this.state === current && BigInt(changes.counter) >= BigInt(current.counter)) {
        if (current.applyChanges(changes, this.epoch)) {
          this.stats.updates++
          this.onUpdate?.(current)
          return current
        }
        // Half-applied: nobody may use it any more.
        this.state = undefined
      }
    }
    const s = PlacementState.build(await this.source.loadState(), this.epoch)
    if (!this.state || BigInt(s.counter) >= BigInt(this.state.counter)) this.state = s
    this.stats.reloads++
    this.onUpdate?.(s)
    return s
  }
}
