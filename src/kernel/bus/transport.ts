/**
 * What a transport does for the bus: move opaque message bodies to destinations and
 * deliver them from sources, with acknowledgements. Everything about RPC (envelopes,
 * replies, deadlines, versions, duplicates) lives above it in message-bus.ts, so the
 * in-process and RabbitMQ transports keep one set of semantics.
 */
import type { BusCounters, Priority, QueueStatus } from './bus.js'

/** Where a body goes. */
export type Destination =
  | { kind: 'rpc'; topic: string; server?: string }
  | { kind: 'fanout'; topic: string }
  | { kind: 'reply'; address: string }
  | { kind: 'notification'; topic: string; priority: Priority }

/** Where bodies come from. */
export type Source =
  /** The topic's shared queue and this server's own queue. */
  | { kind: 'rpc'; topic: string; server: string }
  /** Every fanout of the topic sent while this consumer listens. */
  | { kind: 'fanout'; topic: string }
  /** This process's reply queue. */
  | { kind: 'replies' }
  /** One pool's share of the topic's notifications at these priorities. */
  | { kind: 'notification'; topic: string; pool: string; priorities: readonly Priority[] }

export interface SendMeta {
  messageId: string
  /** Epoch ms after which the send fails with MessagingTimeout. */
  deadline: number
  /** Kept on disk by the broker (casts, fanouts, notifications). */
  persistent: boolean
  /**
   * Resolve only once the broker confirmed the message (when confirms are on).
   * @default true
   */
  awaitConfirm?: boolean
  /** Calls: the caller's reply address, also given to the broker (direct reply-to needs it). */
  replyTo?: string
}

/** One received body; exactly one of ack, deadLetter or requeue is called. */
export interface Delivery {
  readonly body: Buffer
  readonly redelivered: boolean
  /** Where the broker says the reply goes, when it rewrote the sender's address (direct reply-to). */
  readonly replyTo?: string
  /** Done with it: the broker forgets it. */
  ack(): void
  /** It cannot ever be handled: to the dead-letter queue (or dropped where there is none). */
  deadLetter(reason: string): void
  /** Not handled here: back to the queue for another consumer. */
  requeue(): void
}

export interface Consumption {
  /** Stops new deliveries; deliveries already made stay valid until settled or closed. */
  cancel(): Promise<void>
  /** After cancel: gives whatever is still unsettled back to the queue. */
  close(): Promise<void>
}

export interface Transport {
  readonly kind: 'in-process' | 'rabbit'
  /** A message the transport confirmed survives a crash of this process. */
  readonly durable: boolean
  /** Connects; on RabbitMQ, keeps reconnecting in the background if the broker is away. */
  start(counters: BusCounters): Promise<void>
  /**
   * Hands a body over. Resolves once the transport holds it (a broker confirmation
   * when confirms are on), retrying across reconnections until `meta.deadline`.
   * @throws MessagingTimeout at the deadline.
   */
  send(dest: Destination, body: Buffer, meta: SendMeta): Promise<void>
  consume(source: Source, deliver: (d: Delivery) => void, prefetch: number): Promise<Consumption>
  /** The address of this process's reply queue. */
  readonly replyAddress: string
  readonly connected: boolean
  readonly broker: string | undefined
  readonly lastError: string | undefined
  queues(): Promise<QueueStatus[]>
  close(): Promise<void>
}
