/**
 * Keeps this process's PlacementState in step with the database. Before a read the
 * cache asks for the change counter (one indexed row); when it moved, the state is
 * reloaded once, however many requests are waiting. Every write transaction bumps the
 * counter, so a write through any process sharing the database is seen by the next
 * read in every other process.
 */
import { PlacementState, type StateRows } from './model.js'

export interface StateSource {
  counter(): Promise<string>
  loadState(): Promise<StateRows>
}

export interface CacheStats {
  reloads: number
  lastReloadMs: number
  checks: number
}

export class StateCache {
  private state: PlacementState | undefined
  private loading: Promise<PlacementState> | undefined
  private lastCheck = 0
  readonly stats: CacheStats = { reloads: 0, lastReloadMs: 0, checks: 0 }

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
      this.loading = this.source
        .loadState()
        .then((rows) => {
          const s = PlacementState.build(rows, this.epoch)
          if (!this.state || BigInt(s.counter) >= BigInt(this.state.counter)) this.state = s
          this.stats.reloads++
          this.stats.lastReloadMs = performance.now() - t0
          return s
        })
        .finally(() => {
          this.loading = undefined
        })
    }
    return this.loading
  }
}
