/**
 * The ids a server handled recently, so a message the broker redelivers or a sender
 * resends is handled once. A call's reply is kept too, so a resent call gets the same
 * answer without running again. Bounded by count and age; an id older than the window
 * is handled again, which is why handlers with lasting effects use the outbox's
 * processed-ids table (outbox.ts) instead.
 */

/** Replies larger than this are not kept; a resend of that call times out instead. */
const MAX_KEPT_REPLY = 64 * 1024

type Entry =
  | { running: true; done: Promise<Buffer | undefined> }
  | { running: false; at: number; reply?: Buffer }

export type Seen =
  | { kind: 'new'; finish(reply?: Buffer): void }
  | { kind: 'running'; done: Promise<Buffer | undefined> }
  | { kind: 'done'; reply: Buffer | undefined }

export class DuplicateWindow {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly maxSize: number,
    private readonly maxAgeMs: number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  /** Looks an id up; a new id is recorded as running until `finish` is called. */
  begin(id: string): Seen {
    const now = Date.now()
    const entry = this.entries.get(id)
    if (entry?.running) return { kind: 'running', done: entry.done }
    if (entry && now - entry.at <= this.maxAgeMs) return { kind: 'done', reply: entry.reply }
    if (this.maxSize === 0) return { kind: 'new', finish: () => {} }
    let resolve!: (reply: Buffer | undefined) => void
    const done = new Promise<Buffer | undefined>((r) => {
      resolve = r
    })
    this.entries.delete(id)
    this.entries.set(id, { running: true, done })
    return {
      kind: 'new',
      finish: (reply) => {
        const kept = reply && reply.length <= MAX_KEPT_REPLY ? reply : undefined
        // NOTE: re-inserting moves the id to the end, so eviction (oldest first) drops
        // ids by when they finished, never one still running.
        this.entries.delete(id)
        this.entries.set(id, { running: false, at: Date.now(), reply: kept })
        resolve(kept)
        this.evict()
      },
    }
  }

  private evict(): void {
    const now = Date.now()
    for (const [id, entry] of this.entries) {
      if (entry.running) continue
      if (this.entries.size <= this.maxSize && now - entry.at <= this.maxAgeMs) break
      this.entries.delete(id)
    }
  }
}
