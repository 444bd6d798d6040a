/**
 * The in-process transport, the default of `cloudlet up`: queues in memory with the
 * broker's semantics (one queue per topic and per `topic.server`, round-robin between
 * consumers, a prefetch limit, requeue, a dead-letter list, fanout to each current
 * consumer, notification pools), so code written against it behaves the same on
 * RabbitMQ. Several buses may share one `InProcessBroker` (tests do, to play separate
 * processes); by default each bus has its own.
 */
import type { BusCounters, Priority, QueueStatus } from './bus.js'
import { BusClosed } from './errors.js'
import type { Consumption, Delivery, Destination, SendMeta, Source, Transport } from './transport.js'

interface Item {
  body: Buffer
  redelivered: boolean
}

interface MemConsumer {
  deliver(d: Delivery): void
  /** 0 means no limit. */
  prefetch: number
  unacked: number
  active: boolean
}

class MemQueue {
  readonly items: Item[] = []
  head = 0
  readonly consumers: MemConsumer[] = []
  private next = 0
  private scheduled = false

  constructor(
    readonly name: string,
    private readonly broker: InProcessBroker,
  ) {}

  get depth(): number {
    return this.items.length - this.head
  }

  push(item: Item, front = false): void {
    if (front) {
      if (this.head > 0) this.items[--this.head] = item
      else this.items.unshift(item)
    } else this.items.push(item)
    this.schedule()
  }

  /** Delivers on a later turn of the event loop, as a broker would, never inside send(). */
  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    while (this.depth > 0) {
      const c = this.pick()
      if (!c) return
      const item = this.items[this.head]!
      this.items[this.head++] = undefined as unknown as Item
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head)
        this.head = 0
      }
      c.unacked++
      let settled = false
      const settle = () => {
        if (settled) return false
        settled = true
        c.unacked--
        this.schedule()
        return true
      }
      c.deliver({
        body: item.body,
        redelivered: item.redelivered,
        ack: () => {
          settle()
        },
        deadLetter: (reason) => {
          if (settle()) this.broker.deadLetter(this.name, item.body, reason)
        },
        requeue: () => {
          if (settle()) this.push({ body: item.body, redelivered: true }, true)
        },
      })
    }
  }

  private pick(): MemConsumer | undefined {
    const n = this.consumers.length
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.next + i) % n]!
      if (c.active && (c.prefetch === 0 || c.unacked < c.prefetch)) {
        this.next = (this.next + i + 1) % n
        return c
      }
    }
    return undefined
  }
}

/** Dead-lettered messages, newest last; bounded so a flood of bad input cannot grow memory. */
export interface DeadLetter {
  queue: string
  reason: string
  body: Buffer
}

const MAX_DEAD_LETTERS = 1000

/** The in-memory broker several in-process transports may share. */
export class InProcessBroker {
  readonly queues = new Map<string, MemQueue>()
  /** Per-consumer queues of each fanout topic. */
  readonly fanouts = new Map<string, Set<MemQueue>>()
  /** Notification queues by topic, with the priorities each is bound to. */
  readonly notifications = new Map<string, Map<MemQueue, ReadonlySet<Priority>>>()
  readonly deadLetters: DeadLetter[] = []
  private replyCount = 0

  queue(name: string): MemQueue {
    let q = this.queues.get(name)
    if (!q) {
      q = new MemQueue(name, this)
      this.queues.set(name, q)
    }
    return q
  }

  newReplyAddress(): string {
    return `reply_${++this.replyCount}`
  }

  deadLetter(queue: string, body: Buffer, reason: string): void {
    this.deadLetters.push({ queue, reason, body })
    if (this.deadLetters.length > MAX_DEAD_LETTERS) this.deadLetters.shift()
  }
}

export class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const
  readonly durable = false
  readonly replyAddress: string
  readonly broker: string | undefined = undefined
  readonly lastError: string | undefined = undefined
  private closed = false
  private readonly consumers = new Set<{ queue: MemQueue; consumer: MemConsumer; owned: boolean }>()

  constructor(readonly memory: InProcessBroker = new InProcessBroker()) {
    this.replyAddress = memory.newReplyAddress()
  }

  get connected(): boolean {
    return !this.closed
  }

  async start(_counters: BusCounters): Promise<void> {}

  async send(dest: Destination, body: Buffer, _meta: SendMeta): Promise<void> {
    if (this.closed) throw new BusClosed()
    const m = this.memory
    const item = { body, redelivered: false }
    switch (dest.kind) {
      case 'rpc':
        m.queue(dest.server ? `${dest.topic}.${dest.server}` : dest.topic).push(item)
        return
      case 'reply':
        // NOTE: as with a mandatory publish, a reply whose caller is gone is dropped here
        // instead of filling a queue nobody reads.
        m.queues.get(dest.address)?.push(item)
        return
      case 'fanout':
        for (const q of m.fanouts.get(dest.topic) ?? []) q.push({ ...item })
        return
      case 'notification':
        for (const [q, priorities] of m.notifications.get(dest.topic) ?? []) {
          if (priorities.has(dest.priority)) q.push({ ...item })
        }
        return
    }
  }

  async consume(source: Source, deliver: (d: Delivery) => void, prefetch: number): Promise<Consumption> {
    if (this.closed) throw new BusClosed()
    const m = this.memory
    const attach = (queue: MemQueue, owned: boolean) => {
      const consumer: MemConsumer = { deliver, prefetch, unacked: 0, active: true }
      queue.consumers.push(consumer)
      const entry = { queue, consumer, owned }
      this.consumers.add(entry)
      queue.schedule()
      return entry
    }
    const entries: ReturnType<typeof attach>[] = []
    switch (source.kind) {
      case 'rpc':
        entries.push(attach(m.queue(source.topic), false))
        entries.push(attach(m.queue(`${source.topic}.${source.server}`), false))
        break
      case 'replies':
        entries.push(attach(m.queue(this.replyAddress), true))
        break
      case 'fanout': {
        const q = new MemQueue(`${source.topic}_fanout`, m)
        const set = m.fanouts.get(source.topic) ?? new Set()
        m.fanouts.set(source.topic, set)
        set.add(q)
        entries.push(attach(q, true))
        break
      }
      case 'notification': {
        const name = `${source.topic}.${source.pool}`
        const q = m.queue(name)
        const bound = m.notifications.get(source.topic) ?? new Map<MemQueue, ReadonlySet<Priority>>()
        m.notifications.set(source.topic, bound)
        const priorities = new Set([...(bound.get(q) ?? []), ...source.priorities])
        bound.set(q, priorities)
        entries.push(attach(q, false))
        break
      }
    }
    return {
      cancel: async () => {
        for (const e of entries) this.detach(e)
      },
      close: async () => {},
    }
  }

  private detach(entry: { queue: MemQueue; consumer: MemConsumer; owned: boolean }): void {
    if (!this.consumers.delete(entry)) return
    entry.consumer.active = false
    const list = entry.queue.consumers
    list.splice(list.indexOf(entry.consumer), 1)
    if (entry.owned) {
      // A reply or fanout queue belongs to its consumer and goes with it.
      this.memory.queues.delete(entry.queue.name)
      for (const set of this.memory.fanouts.values()) set.delete(entry.queue)
    }
  }

  async queues(): Promise<QueueStatus[]> {
    return [...this.memory.queues.values()].map((q) => ({
      name: q.name,
      depth: q.depth,
      consumers: q.consumers.length,
    }))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const entry of [...this.consumers]) this.detach(entry)
  }
}
