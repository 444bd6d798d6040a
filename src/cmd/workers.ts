/**
 * `cloudlet api --workers N`: the primary process keeps N API worker processes alive.
 * A worker that exits while the primary is not stopping is replaced after a delay that
 * doubles with each worker that dies young (a crash loop does not spin the CPU) and
 * starts small again once a worker has lived long enough to count as healthy.
 */
import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'

export interface SupervisorOptions {
  count: number
  logger: Logger
  /** Told the port a worker listens on (workers report it when they are up). */
  onListening?: (port: number) => void
  /** Delay before the first replacement. @default 250 */
  minDelayMs?: number
  /** Longest delay between replacements. @default 30000 */
  maxDelayMs?: number
  /** A worker that lived this long resets the delay. @default 10000 */
  healthyAfterMs?: number
}

/** What a worker tells the primary once it listens. */
export interface ListeningMessage {
  type: 'cloudlet:listening'
  port: number
}

export interface Supervisor {
  /** Stops replacing workers, passes `signal` to each, resolves when all have exited. */
  stop(signal: NodeJS.Signals): Promise<void>
}

export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const minDelay = options.minDelayMs ?? 250
  const maxDelay = options.maxDelayMs ?? 30_000
  const healthyAfter = options.healthyAfterMs ?? 10_000
  const born = new Map<number, number>()
  const pending = new Set<NodeJS.Timeout>()
  let youngDeaths = 0
  let stopping = false
  let allGone: (() => void) | undefined

  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)

  const fork = () => {
    const worker = cluster.fork()
    born.set(worker.id, Date.now())
    worker.on('message', (m: Partial<ListeningMessage>) => {
      if (m?.type === 'cloudlet:listening' && typeof m.port === 'number') options.onListening?.(m.port)
    })
  }

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (born.get(worker.id) ?? Date.now())
    born.delete(worker.id)
    if (stopping) {
      if (live().length === 0) allGone?.()
      return
    }
    youngDeaths = lived >= healthyAfter ? 1 : youngDeaths + 1
    const delay = Math.min(maxDelay, minDelay * 2 ** (youngDeaths - 1))
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`
    options.logger.warn(
      { worker: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay },
      `API worker ${worker.process.pid} ${how}; starting another in ${delay} ms`,
    )
    const timer = setTimeout(() => {
      pending.delete(timer)
      if (!stopping) fork()
    }, delay)
    pending.add(timer)
  })

  for (let i = 0; i < options.count; i++) fork()

  return {
    stop(signal) {
      stopping = true
      for (const t of pending) clearTimeout(t)
      pending.clear()
      const workers = live()
      if (workers.length === 0) return Promise.resolve()
      const done = new Promise<void>((resolve) => {
        allGone = resolve
      })
      for (const w of workers) w.process.kill(signal)
      return done
    },
  }
}
