/**
 * md5 and sha512 of upload data, computed in parallel off the main thread.
 *
 * Two long-lived worker threads per process, one per algorithm (hash-worker.ts), shared
 * by every upload. Each upload (`HashSession`) owns a SharedArrayBuffer ring of SLOTS
 * slots of SLOT_BYTES: incoming chunks are copied once into the current slot (the
 * chunk itself goes on to the file writer untouched, so nothing is transferred away
 * from it); a full slot is handed to both workers by offset, and it becomes free again
 * when both have acknowledged it. When every slot is in flight, `update` returns a
 * promise that resolves when one frees, which holds the caller's stream callback and so
 * pushes backpressure back to the socket. Memory per upload is the ring, whatever the
 * image size.
 *
 * md5 is inherently sequential (one chunk's state feeds the next), so its single-thread
 * speed is the upload's ceiling; sha512 runs beside it on another core.
 */
import { Worker } from 'node:worker_threads'

export const SLOT_BYTES = 1 << 20
export const SLOTS = 4

export type Algo = 'md5' | 'sha512'
const ALGOS: readonly Algo[] = ['md5', 'sha512']

export type ToWorker =
  | { op: 'open'; id: number; ring: SharedArrayBuffer }
  | { op: 'update'; id: number; slot: number; offset: number; length: number }
  | { op: 'digest'; id: number }
  | { op: 'abort'; id: number }

type FromWorker = { op: 'done'; id: number; slot: number } | { op: 'digest'; id: number; hex: string }

/** A worker thread for one algorithm, routing its replies to the sessions using it. */
class HashThread {
  private readonly worker: Worker
  readonly sessions = new Map<number, HashSession>()
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

  add(s: HashSession, id: number): void {
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

function thread(algo: Algo): HashThread {
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

/** The running md5 + sha512 of one upload. */
export class HashSession {
  private readonly id = nextId++
  private readonly ring = new SharedArrayBuffer(SLOT_BYTES * SLOTS)
  private readonly view = new Uint8Array(this.ring)
  private readonly threads: HashThread[]
  /** Acknowledgements still awaited per slot (0: free). */
  private readonly pending = new Array<number>(SLOTS).fill(0)
  private slot = 0
  private fill = 0
  private waiter: { resolve: () => void; reject: (e: Error) => void } | undefined
  private readonly digests = new Map<Algo, string>()
  private digestWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined
  private failed: Error | undefined
  private closed = false

  constructor() {
    this.threads = ALGOS.map(thread)
    for (const t of this.threads) {
      t.add(this, this.id)
      t.post({ op: 'open', id: this.id, ring: this.ring })
    }
  }

  /**
   * Copies `chunk` into the ring, handing full slots to the workers. Returns undefined
   * when all of it was taken, or a promise that resolves once it has been (a slot had to
   * free first) and rejects if a hashing thread died.
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    let at = 0
    while (at < chunk.length) {
      if (this.failed) return Promise.reject(this.failed)
      if (this.pending[this.slot]! > 0) return this.whenFree().then(() => this.update(chunk.subarray(at)))
      const n = Math.min(chunk.length - at, SLOT_BYTES - this.fill)
      this.view.set(chunk.subarray(at, at + n), this.slot * SLOT_BYTES + this.fill)
      this.fill += n
      at += n
      if (this.fill === SLOT_BYTES) this.dispatch()
    }
    return undefined
  }

  /** Hashes what is left and returns both digests (hex). */
  async digest(): Promise<{ md5: string; sha512: string }> {
    if (this.failed) throw this.failed
    if (this.fill > 0) {
      if (this.pending[this.slot]! > 0) await this.whenFree()
      this.dispatch()
    }
    const done = new Promise<void>((resolve, reject) => {
      this.digestWaiter = { resolve, reject }
    })
    for (const t of this.threads) t.post({ op: 'digest', id: this.id })
    await done
    this.close()
    return { md5: this.digests.get('md5')!, sha512: this.digests.get('sha512')! }
  }

  /** Abandons the session (the upload failed); the workers drop its state. */
  abort(): void {
    if (this.closed) return
    for (const t of this.threads) if (!t.dead) t.post({ op: 'abort', id: this.id })
    this.close()
  }

  private close(): void {
    this.closed = true
    for (const t of this.threads) t.remove(this.id)
  }

  private dispatch(): void {
    const m = {
      op: 'update',
      id: this.id,
      slot: this.slot,
      offset: this.slot * SLOT_BYTES,
      length: this.fill,
    }
    this.pending[this.slot] = this.threads.length
    for (const t of this.threads) t.post(m as ToWorker)
    this.slot = (this.slot + 1) % SLOTS
    this.fill = 0
  }

  private whenFree(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  /** @internal a worker finished hashing `slot`. */
  acked(slot: number): void {
    this.pending[slot] = this.pending[slot]! - 1
    if (this.pending[slot] === 0 && slot === this.slot && this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w.resolve()
    }
  }

  /** @internal a worker returned its digest. */
  digested(algo: Algo, hex: string): void {
    this.digests.set(algo, hex)
    if (this.digests.size === this.threads.length) this.digestWaiter?.resolve()
  }

  /** @internal a hashing thread died: the upload cannot be verified. */
  fail(err: Error): void {
    this.failed = err
    this.waiter?.reject(err)
    this.digestWaiter?.reject(err)
    this.waiter = undefined
    this.digestWaiter = undefined
    this.abort()
  }
}
