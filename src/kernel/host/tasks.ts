/**
 * Background work a module runs, owned by the host: periodic jobs (with jitter, so many
 * processes started together do not fire together) and one-shot work. `close()` stops
 * the timers and waits for whatever is running, up to a deadline.
 *
 *   module ─▶ tasks.every('prune', 600_000, fn) ─▶ timer ─▶ fn ─▶ next timer
 *          ─▶ tasks.spawn('cache image', fn) ─────────────▶ fn (tracked)
 *   host.close ─▶ tasks.close(deadline): no new runs; awaits the running ones
 */
import type { Logger } from 'pino'

export interface PeriodicOptions {
  /** A fraction of the interval added at random to each wait, 0..1. @default 0.1 */
  jitter?: number
  /** Run once right away as well. @default false */
  runAtStart?: boolean
  /**
   * Asked before each run; the run is skipped when it answers false. Work that must run
   * once per cluster passes a lease: `() => ctx.leases.acquire(name, 3 * intervalMs)`.
   */
  onlyWhen?: () => Promise<boolean>
}

export interface TaskGroupStatus {
  name: string
  periodic: readonly { name: string; intervalMs: number; runs: number; failures: number }[]
  running: number
}

export class TaskGroup {
  private closed = false
  private readonly running = new Set<Promise<void>>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly periodic: { name: string; intervalMs: number; runs: number; failures: number }[] = []

  constructor(
    readonly name: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs `fn` every `intervalMs` (plus jitter), never twice at once: the next wait
   * starts when a run ends. A failure is logged and the schedule goes on.
   */
  every(name: string, intervalMs: number, fn: () => Promise<void>, options: PeriodicOptions = {}): void {
    if (this.closed) return
    const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.1))
    const stats = { name, intervalMs, runs: 0, failures: 0 }
    this.periodic.push(stats)
    const schedule = () => {
      if (this.closed) return
      const timer = setTimeout(
        () => {
          this.timers.delete(timer)
          runOnce().then(schedule)
        },
        intervalMs + Math.random() * jitter * intervalMs,
      )
      timer.unref()
      this.timers.add(timer)
    }
    const runOnce = () =>
      this.track(name, async () => {
        if (options.onlyWhen && !(await options.onlyWhen())) return
        stats.runs++
        try {
          await fn()
        } catch (err) {
          stats.failures++
          throw err
        }
      })
    if (options.runAtStart) runOnce().then(schedule)
    else schedule()
  }

  /** Runs `fn` in the background; close() waits for it. A failure is logged. */
  spawn(name: string, fn: () => Promise<void>): Promise<void> {
    return this.track(name, fn)
  }

  private track(name: string, fn: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.resolve()
    const run = (async () => {
      try {
        await fn()
      } catch (err) {
        this.logger.warn({ err, task: `${this.name}.${name}` }, 'background task failed')
      }
    })()
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
    return run
  }

  status(): TaskGroupStatus {
    return { name: this.name, periodic: this.periodic.map((p) => ({ ...p })), running: this.running.size }
  }

  /** Stops scheduling and waits for running work; resolves false if the deadline passed first. */
  async close(deadlineMs = 10_000): Promise<boolean> {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    if (this.running.size === 0) return true
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs)
      timer.unref()
    })
    const done = Promise.allSettled([...this.running]).then(() => true as const)
    const finished = await Promise.race([done, deadline])
    clearTimeout(timer)
    if (!finished)
      this.logger.warn(
        { tasks: this.name, running: this.running.size },
        'background work still running at the close deadline',
      )
    return finished
  }
}
