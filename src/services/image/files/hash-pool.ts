/**
 * The hashing threads: two long-lived workers per process, one per algorithm
 * (hash-worker.ts), shared by every upload. Each upload's ring (upload-ring.ts) opens a
 * session on both, then hands them its full slots by offset; each thread acknowledges a
 * slot once hashed, and returns the digest when asked.
 *
 * md5 is inherently sequential (one chunk's state feeds the next), so its single-thread
 * speed is the upload's ceiling; sha512 runs beside it on another core.
 */
import { Worker } from 'node:worker_threads'

export type Algo = 'md5' | 'sha512'
export const ALGOS: readonly Algo[] = ['md5', 'sha512']

export type ToWorker =
  | { op: 'open'; id: number; ring: SharedArrayBuffer }
  | { op: 'update'; id: number; slot: number; offset: number; length: number }
  | { op: 'digest'; id: number }
  | { op: 'abort'; id: number }

/** What a thread reports to the session that owns an id. */
export interface HashClient {
  acked(slot: number): void
  digested(algo: Algo, hex: string): void
  fail(err: Error): void
}

type FromWorker = { op: 'done'; id: number; slot: number } | { op: 'digest'; id: number; hex: string }

/** A worker thread for one algorithm, routing its replies to the sessions using it. */
export class HashThread {
  private readonly worker: Worker
  readonly sessions = new Map<number, HashClient>()
  dead: Error | undefined

  constructor(
    readonly algo: Algo,
    onDeath: () => void,
  ) {
    this.worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { algo } })
    this.worker.on('message', (m: FromWorker) => {
      const s = this.sessions.get(m.id)
      if (!s) return
      if (m.op === 'done') s.acked(m.slot)
      else s.digested(algo, m.hex)
    })
    const die = (err: Error) => {
      if (this.dead) return
      this.dead = err
      onDeath()
      for (const s of this.sessions.values()) s.fail(err)
      this.sessions.clear()
    }
    this.worker.on('error', die)
    this.worker.on('exit', (code) => die(new Error(`${algo} hashing thread exited (code ${code})`)))
    // NOTE: an idle hashing thread must not keep the process alive; one with sessions
    // in flight must (their callers wait on its replies).
    this.worker.unref()
  }

  add(s: HashClient, id: number): void {
    if (this.sessions.size === 0) this.worker.ref()
    this.sessions.set(id, s)
  }

  remove(id: number): void {
    if (this.sessions.delete(id) && this.sessions.size === 0) this.worker.unref()
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m)
  }
}

const threads = new Map<Algo, HashThread>()
let nextId = 1

/** A fresh session id. */
export function sessionId(): number {
  return nextId++
}

/** The running thread for `algo`, started (again) if needed. */
export function thread(algo: Algo): HashThread {
  let t = threads.get(algo)
  if (!t) {
    const created = new HashThread(algo, () => {
      if (threads.get(algo) === created) threads.delete(algo)
    })
    threads.set(algo, created)
    t = created
  }
  return t
}

/**
 * Starts the hashing threads now rather than on the first upload, so that upload does
 * not wait for them and their fixed memory is not counted against it.
 */
export function startHashThreads(): void {
  for (const algo of ALGOS) thread(algo)
}
