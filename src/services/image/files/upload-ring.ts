/**
 * One upload's bytes on their way to disk: copied once into a ring of shared slots, and
 * each full slot handed at the same time to the md5 thread, the sha512 thread
 * (hash-pool.ts) and the data file (data-file.ts). A slot is refilled once all three
 * are done with it.
 *
 *   socket chunk ──copy──▶ slot k ──▶ md5 thread ─────┐
 *                                 ├──▶ sha512 thread ──┼──▶ slot k free
 *                                 └──▶ file.write ─────┘    (position k·SLOT_BYTES…)
 *
 * When every slot is in use, `update` returns a promise that resolves once one frees;
 * that holds the caller's stream callback and so pushes backpressure back to the
 * socket. Memory per upload is the ring, whatever the image size. The slots start at
 * the offset the file asks for (`DataFile.alignIn`) and are multiples of DIRECT_ALIGN,
 * so a direct file writes them straight from the ring, without the page cache.
 */
import { type DataFile, DIRECT_ALIGN } from './data-file.js'
import { ALGOS, type Algo, type HashClient, type HashThread, sessionId, thread } from './hash-pool.js'

export const SLOT_BYTES = 1 << 20
export const SLOTS = 4

export interface RingResult {
  size: number
  md5: string
  sha512: string
}

type Waiter = { ready: () => boolean; resolve: () => void; reject: (e: Error) => void }

export class UploadRing implements HashClient {
  private readonly id = sessionId()
  private readonly threads: HashThread[]
  /** Consumers still working on each slot (0: free). */
  private readonly pending = new Array<number>(SLOTS).fill(0)
  /** File writes in flight, so an abort can wait for them before the file is closed. */
  private readonly writes = new Set<Promise<void>>()
  private slot = 0
  private fill = 0
  private written = 0
  private waiter: Waiter | undefined
  private readonly digests = new Map<Algo, string>()
  private failed: Error | undefined
  private closed = false

  private constructor(
    private readonly file: DataFile,
    ring: SharedArrayBuffer,
    private readonly view: Uint8Array,
    private readonly base: number,
  ) {
    this.threads = ALGOS.map(thread)
    for (const t of this.threads) {
      t.add(this, this.id)
      t.post({ op: 'open', id: this.id, ring })
    }
  }

  /** A ring whose slots `file` can write directly. */
  static async open(file: DataFile): Promise<UploadRing> {
    const ring = new SharedArrayBuffer(SLOTS * SLOT_BYTES + DIRECT_ALIGN)
    const view = new Uint8Array(ring)
    return new UploadRing(file, ring, view, await file.alignIn(view))
  }

  /**
   * Copies `chunk` into the ring, handing full slots on. Returns undefined when all of it
   * was taken, or a promise that resolves once it has been (a slot had to free first)
   * and rejects if hashing or writing failed.
   */
  update(chunk: Uint8Array): Promise<void> | undefined {
    let at = 0
    while (at < chunk.length) {
      if (this.failed) return Promise.reject(this.failed)
      if (this.pending[this.slot]! > 0) {
        const rest = chunk.subarray(at)
        return this.until(() => this.pending[this.slot] === 0).then(() => this.update(rest))
      }
      const n = Math.min(chunk.length - at, SLOT_BYTES - this.fill)
      this.view.set(chunk.subarray(at, at + n), this.start(this.slot) + this.fill)
      this.fill += n
      at += n
      if (this.fill === SLOT_BYTES) this.dispatch()
    }
    return undefined
  }

  /** Hands on what is left, waits for every slot, and returns the size and digests. */
  async finish(): Promise<RingResult> {
    if (this.failed) throw this.failed
    if (this.fill > 0) {
      await this.until(() => this.pending[this.slot] === 0)
      this.dispatch()
    }
    await this.until(() => this.pending.every((n) => n === 0))
    const digested = this.until(() => this.digests.size === this.threads.length)
    for (const t of this.threads) t.post({ op: 'digest', id: this.id })
    await digested
    this.close()
    return { size: this.written, md5: this.digests.get('md5')!, sha512: this.digests.get('sha512')! }
  }

  /**
   * Abandons the upload: the hashing threads drop its state, and the promise resolves
   * once no write is in flight, so the caller may close and remove the file.
   */
  async abort(): Promise<void> {
    if (!this.closed) {
      for (const t of this.threads) if (!t.dead) t.post({ op: 'abort', id: this.id })
      this.close()
    }
    await Promise.allSettled([...this.writes])
  }

  private close(): void {
    this.closed = true
    for (const t of this.threads) t.remove(this.id)
  }

  private start(slot: number): number {
    return this.base + slot * SLOT_BYTES
  }

  private dispatch(): void {
    const slot = this.slot
    const offset = this.start(slot)
    const length = this.fill
    this.pending[slot] = this.threads.length + 1
    for (const t of this.threads) t.post({ op: 'update', id: this.id, slot, offset, length })
    const write = this.file.write(this.view.subarray(offset, offset + length), this.written).then(
      () => this.acked(slot),
      (e: Error) => this.fail(e),
    )
    this.writes.add(write)
    void write.finally(() => this.writes.delete(write))
    this.written += length
    this.slot = (slot + 1) % SLOTS
    this.fill = 0
  }

  private until(ready: () => boolean): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.waiter = { ready, resolve, reject }
    })
  }

  private wake(): void {
    const w = this.waiter
    if (w?.ready()) {
      this.waiter = undefined
      w.resolve()
    }
  }

  /** @internal a consumer (hashing thread or file write) is done with `slot`. */
  acked(slot: number): void {
    this.pending[slot] = this.pending[slot]! - 1
    this.wake()
  }

  /** @internal a hashing thread returned its digest. */
  digested(algo: Algo, hex: string): void {
    this.digests.set(algo, hex)
    this.wake()
  }

  /** @internal a hashing thread died or a write failed: the upload cannot complete. */
  fail(err: Error): void {
    if (this.failed) return
    this.failed = err
    this.waiter?.reject(err)
    this.waiter = undefined
    void this.abort()
  }
}
