/**
 * The RabbitMQ transport: the queues, exchanges and streams behind each destination and
 * source, publishing with confirms and retries across reconnections, consumers that ack
 * only when the bus says so and come back by themselves after a reconnection, stable
 * queue names from a queue-manager slot, and a dead-letter queue for what cannot be
 * handled. The topology is drawn in README.md.
 */
import { randomUUID } from 'node:crypto'
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib'
import type { BusCounters, QueueStatus } from './bus.js'
import { BusClosed, MessagingTimeout } from './errors.js'
import type { BusLogger } from './message-bus.js'
import { type Link, RabbitConnection, sleep } from './rabbit-connection.js'
import type { RabbitOptions } from './rabbit-options.js'
import type { Consumption, Delivery, Destination, SendMeta, Source, Transport } from './transport.js'

/** Exclusive queues named after this prefix hold a process's queue-manager slot. */
const SLOT_PREFIX = 'cloudlet.slot.'
const MAX_SLOTS = 64
/** RabbitMQ's pseudo-queue for replies straight to the calling channel. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to'

interface QueueDecl {
  name: string
  options: Options.AssertQueue
  bindings: Array<{ exchange: string; key: string }>
}

interface ConsumerSpec {
  source: Source
  deliver: (d: Delivery) => void
  prefetch: number
  active: boolean
  channel?: Channel
  /** The link generation the consumer is subscribed on. */
  generation: number
  tags: string[]
  /** Stream consumers resume after the last offset seen. */
  lastOffset?: number
  queues: QueueDecl[]
}

export class RabbitTransport implements Transport {
  readonly kind = 'rabbit' as const
  private connection!: RabbitConnection
  private counters!: BusCounters
  private readonly consumers = new Set<ConsumerSpec>()
  /** Per link generation: what was declared on that connection. */
  private declared = { generation: -1, names: new Set<string>() }
  private admin: { generation: number; channel: Promise<Channel> } | undefined
  private slot = 0
  private readonly random = randomUUID().replace(/-/g, '')
  private fanoutCount = 0
  private closed = false
  private readonly knownQueues = new Set<string>()
  private readonly everExchanges = new Set<string>()
  private readonly draining = new WeakMap<Channel, Promise<void>>()

  constructor(
    readonly options: RabbitOptions,
    private readonly log: BusLogger,
  ) {}

  get durable(): boolean {
    const o = this.options
    return o.confirms && (o.quorum || o.durable)
  }

  get connected(): boolean {
    return this.connection?.current !== undefined
  }

  get broker(): string | undefined {
    return this.connection?.current?.broker
  }

  get lastError(): string | undefined {
    return this.connection?.lastError
  }

  /** `hostname:processname[:slot]`, or a random id without the queue manager. */
  private get stableName(): string {
    const o = this.options
    if (!o.queueManager) return this.random
    return `${o.hostname}:${o.processname}${this.slot > 1 ? `:${this.slot}` : ''}`
  }

  get replyAddress(): string {
    return this.options.directReplyTo ? DIRECT_REPLY_TO : `reply_${this.stableName}`
  }

  async start(counters: BusCounters): Promise<void> {
    this.counters = counters
    this.connection = new RabbitConnection(this.options, counters, this.log)
    this.connection.onConnect(async (link) => {
      if (this.options.queueManager) await this.takeSlot(link)
      await this.declareCommon(link)
      for (const spec of this.consumers) if (spec.active) await this.subscribe(spec, link)
    })
    // A consumer added while the setup above was running may have been missed by it.
    this.connection.on('up', (link: Link) => {
      for (const spec of this.consumers) {
        if (spec.active && spec.generation !== link.generation)
          void this.subscribe(spec, link).catch(() => {})
      }
    })
    await this.connection.start()
  }

  // --- topology ------------------------------------------------------------------------

  private get deadLetterExchange(): string {
    return `${this.options.exchange}.dlx`
  }

  private durableQueue(name: string, bindings: QueueDecl['bindings']): QueueDecl {
    const o = this.options
    const dlx = o.deadLetter ? { 'x-dead-letter-exchange': this.deadLetterExchange } : {}
    if (o.quorum) {
      const limit = o.deliveryLimit > 0 ? { 'x-delivery-limit': o.deliveryLimit } : {}
      return {
        name,
        options: { durable: true, arguments: { 'x-queue-type': 'quorum', ...limit, ...dlx } },
        bindings,
      }
    }
    return {
      name,
      options: { durable: o.durable, autoDelete: o.autoDelete, arguments: { ...dlx } },
      bindings,
    }
  }

  private transientQueue(name: string, bindings: QueueDecl['bindings']): QueueDecl {
    const o = this.options
    const expires = { 'x-expires': o.transientTtlSeconds * 1000 }
    if (o.transientQuorum) {
      return {
        name,
        options: { durable: true, arguments: { 'x-queue-type': 'quorum', ...expires } },
        bindings,
      }
    }
    return { name, options: { durable: false, autoDelete: true, arguments: expires }, bindings }
  }

  private fanoutExchange(topic: string): string {
    return `${topic}_fanout`
  }

  private queuesFor(source: Source): QueueDecl[] {
    const ex = this.options.exchange
    switch (source.kind) {
      case 'rpc': {
        const server = `${source.topic}.${source.server}`
        return [
          this.durableQueue(source.topic, [{ exchange: ex, key: source.topic }]),
          this.durableQueue(server, [{ exchange: ex, key: server }]),
        ]
      }
      case 'replies':
        return this.options.directReplyTo ? [] : [this.transientQueue(this.replyAddress, [])]
      case 'fanout': {
        const bind = [{ exchange: this.fanoutExchange(source.topic), key: '' }]
        if (this.options.streamFanout) {
          return [
            {
              name: this.fanoutExchange(source.topic),
              options: {
                durable: true,
                arguments: {
                  'x-queue-type': 'stream',
                  'x-max-age': '1h',
                  'x-max-length-bytes': 256 * 1024 * 1024,
                  'x-stream-max-segment-size-bytes': 8 * 1024 * 1024,
                },
              },
              bindings: bind,
            },
          ]
        }
        const n = ++this.fanoutCount
        const name = `${this.fanoutExchange(source.topic)}_${this.stableName}${n > 1 ? `.${n}` : ''}`
        return [this.transientQueue(name, bind)]
      }
      case 'notification':
        return [
          this.durableQueue(
            `${source.topic}.${source.pool}`,
            source.priorities.map((p) => ({ exchange: ex, key: `${source.topic}.${p}` })),
          ),
        ]
    }
  }

  /** A channel for declarations, replaced when a failed declaration closes it. */
  private adminChannel(link: Link): Promise<Channel> {
    if (!this.admin || this.admin.generation !== link.generation) {
      const channel = link.model.createChannel().then((ch) => {
        ch.on('error', () => {})
        ch.on('close', () => {
          if (this.admin?.channel === channel) this.admin = undefined
        })
        return ch
      })
      channel.catch(() => {
        if (this.admin?.channel === channel) this.admin = undefined
      })
      this.admin = { generation: link.generation, channel }
    }
    return this.admin.channel
  }

  private async declareExchange(ch: Channel, name: string, type: string): Promise<void> {
    const durable = this.options.quorum || this.options.durable
    await ch.assertExchange(name, type, { durable, autoDelete: false })
    this.everExchanges.add(name)
  }

  private async declareCommon(link: Link): Promise<void> {
    const ch = await this.adminChannel(link)
    await this.declareExchange(ch, this.options.exchange, 'topic')
    if (this.options.deadLetter) {
      await ch.assertExchange(this.deadLetterExchange, 'fanout', { durable: true })
      const dlq = `${this.options.exchange}.dead_letter`
      await ch.assertQueue(dlq, {
        durable: true,
        arguments: this.options.quorum ? { 'x-queue-type': 'quorum' } : {},
      })
      await ch.bindQueue(dlq, this.deadLetterExchange, '')
      this.knownQueues.add(dlq)
    }
  }

  private async declareQueue(ch: Channel, q: QueueDecl): Promise<void> {
    for (const b of q.bindings) {
      if (b.exchange !== this.options.exchange) await this.declareExchange(ch, b.exchange, 'fanout')
    }
    await ch.assertQueue(q.name, q.options)
    for (const b of q.bindings) await ch.bindQueue(q.name, b.exchange, b.key)
    this.knownQueues.add(q.name)
  }

  /**
   * Takes the first free queue-manager slot: an exclusive queue only one connection can
   * hold, so two processes of one name on one host never share a reply queue. A
   * restarted process takes the same slot again and finds its queues.
   */
  private async takeSlot(link: Link): Promise<void> {
    const first = this.slot || 1
    for (let slot = first; slot <= MAX_SLOTS; slot++) {
      const ch = await link.model.createChannel()
      ch.on('error', () => {})
      const name = `${SLOT_PREFIX}${this.options.hostname}:${this.options.processname}:${slot}`
      try {
        await ch.assertQueue(name, { exclusive: true, durable: false, autoDelete: true })
        await ch.close()
        if (this.slot && this.slot !== slot) {
          this.log.warn(
            { was: this.slot, now: slot },
            'queue-manager slot taken by another process meanwhile',
          )
        }
        if (!this.slot) this.slot = slot
        return
      } catch (e) {
        if ((e as { code?: number }).code !== 405) throw e
        if (this.slot) {
          // NOTE: our own slot is held by someone else now; keep our names (the queues are
          // ours) rather than move under a running process's feet.
          this.log.warn({ slot }, 'queue-manager slot held elsewhere after reconnection')
          return
        }
      }
    }
    throw new Error(`no free queue-manager slot for ${this.options.hostname}:${this.options.processname}`)
  }

  // --- sending -------------------------------------------------------------------------

  private route(dest: Destination): { exchange: string; key: string; queue?: QueueDecl } {
    switch (dest.kind) {
      case 'rpc': {
        const key = dest.server ? `${dest.topic}.${dest.server}` : dest.topic
        // NOTE: the sender declares the target's queue, so a cast sent before its server
        // first started waits in the queue instead of being dropped as unroutable.
        return {
          exchange: this.options.exchange,
          key,
          queue: this.durableQueue(key, [{ exchange: this.options.exchange, key }]),
        }
      }
      case 'fanout':
        return { exchange: this.fanoutExchange(dest.topic), key: '' }
      case 'reply':
        return { exchange: '', key: dest.address }
      case 'notification':
        return { exchange: this.options.exchange, key: `${dest.topic}.${dest.priority}` }
    }
  }

  private async ensureDeclared(link: Link, dest: Destination, r: { exchange: string; queue?: QueueDecl }) {
    if (this.declared.generation !== link.generation)
      this.declared = { generation: link.generation, names: new Set() }
    const key = r.queue ? `q:${r.queue.name}` : dest.kind === 'fanout' ? `x:${r.exchange}` : undefined
    if (!key || this.declared.names.has(key)) return
    const ch = await this.adminChannel(link)
    if (r.queue) await this.declareQueue(ch, r.queue)
    else await this.declareExchange(ch, r.exchange, 'fanout')
    this.declared.names.add(key)
  }

  async send(dest: Destination, body: Buffer, meta: SendMeta): Promise<void> {
    if (this.closed) throw new BusClosed()
    const r = this.route(dest)
    const o = this.options
    const props: Options.Publish = {
      messageId: meta.messageId,
      contentType: 'application/json',
      persistent: meta.persistent && (o.quorum || o.durable),
      mandatory: dest.kind === 'reply' && o.mandatoryReplies,
      ...(meta.replyTo ? { replyTo: meta.replyTo } : {}),
    }
    for (let attempt = 0; ; attempt++) {
      const link = await this.connection.whenUp(meta.deadline)
      try {
        await this.ensureDeclared(link, dest, r)
        await this.publish(link, r.exchange, r.key, body, props, meta.deadline, meta.awaitConfirm ?? true)
        return
      } catch (e) {
        if (e instanceof MessagingTimeout || e instanceof BusClosed || e instanceof RangeError) throw e
        this.counters.resends++
        this.log.debug(
          { messageId: meta.messageId, err: (e as Error).message, attempt },
          'send failed; retrying',
        )
        if (Date.now() >= meta.deadline) {
          throw new MessagingTimeout(`message ${meta.messageId} not confirmed by the broker in time`)
        }
        // The link is probably going down; let the connection notice before trying again.
        await sleep(Math.min(25 * 2 ** attempt, 500, Math.max(0, meta.deadline - Date.now())))
      }
    }
  }

  private publish(
    link: Link,
    exchange: string,
    key: string,
    body: Buffer,
    props: Options.Publish,
    deadline: number,
    awaitConfirm: boolean,
  ): Promise<void> {
    const ch = link.publisher
    if (!this.options.confirms || !awaitConfirm) {
      // The confirm channel wants a callback for every publish; nobody waits on this one.
      const ok = this.options.confirms
        ? (ch as ConfirmChannel).publish(exchange, key, body, props, () => {})
        : ch.publish(exchange, key, body, props)
      return ok ? Promise.resolve() : this.drained(ch)
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new MessagingTimeout(`message ${props.messageId} not confirmed by the broker in time`)),
        Math.max(0, deadline - Date.now()),
      )
      try {
        ;(ch as ConfirmChannel).publish(exchange, key, body, props, (err: unknown) => {
          clearTimeout(timer)
          if (err) reject(err instanceof Error ? err : new Error('the broker refused the message (nack)'))
          else resolve()
        })
      } catch (e) {
        clearTimeout(timer)
        reject(e)
      }
    })
  }

  /** One wait for a full channel buffer to drain, shared by every publisher waiting on it. */
  private drained(ch: Channel): Promise<void> {
    let wait = this.draining.get(ch)
    if (!wait) {
      wait = new Promise<void>((resolve) => {
        const done = () => {
          ch.off('drain', done)
          ch.off('close', done)
          this.draining.delete(ch)
          resolve()
        }
        ch.on('drain', done)
        ch.on('close', done)
      })
      this.draining.set(ch, wait)
    }
    return wait
  }

  // --- consuming -----------------------------------------------------------------------

  async consume(source: Source, deliver: (d: Delivery) => void, prefetch: number): Promise<Consumption> {
    if (this.closed) throw new BusClosed()
    const spec: ConsumerSpec = {
      source,
      deliver,
      prefetch,
      active: true,
      generation: 0,
      tags: [],
      queues: this.queuesFor(source),
    }
    this.consumers.add(spec)
    const link = this.connection.current
    if (link) {
      try {
        await this.subscribe(spec, link)
      } catch (e) {
        // NOTE: a connection lost meanwhile is not this consumer's failure: the next
        // connection subscribes it. A refusal on a live connection (a queue declared
        // with other arguments) is, and the caller hears of it.
        if (this.connection.current === link) {
          spec.active = false
          this.consumers.delete(spec)
          throw e
        }
      }
    }
    let channel: Channel | undefined
    return {
      cancel: async () => {
        spec.active = false
        this.consumers.delete(spec)
        channel = spec.channel
        spec.channel = undefined
        for (const tag of spec.tags) await channel?.cancel(tag).catch(() => {})
      },
      // NOTE: the channel stays open until the bus settled what it was given (acks go
      // through it); what is still unsettled returns to the queue when it closes.
      close: async () => {
        // Direct replies are consumed on the publishing channel, which stays.
        if (channel && channel !== this.connection.current?.publisher) await channel.close().catch(() => {})
      },
    }
  }

  private async subscribe(spec: ConsumerSpec, link: Link): Promise<void> {
    spec.generation = link.generation
    if (spec.source.kind === 'replies' && this.options.directReplyTo) {
      // NOTE: direct replies come back on the channel that published the call, so the
      // consumer lives on the publishing channel and goes with it.
      const ch = link.publisher
      spec.channel = ch
      const { consumerTag } = await ch.consume(
        DIRECT_REPLY_TO,
        (msg) => this.onMessage(spec, ch, msg, link, false),
        {
          noAck: true,
        },
      )
      spec.tags = [consumerTag]
      return
    }
    const ch = await link.model.createChannel()
    ch.on('error', (e: Error) => this.log.warn({ err: e.message }, 'consumer channel error'))
    spec.channel = ch
    spec.tags = []
    const stream = spec.source.kind === 'fanout' && this.options.streamFanout
    // NOTE: a stream needs a prefetch; reply consumers have no limit otherwise.
    await ch.prefetch(spec.prefetch || (stream ? 256 : 0))
    for (const q of spec.queues) await this.declareQueue(ch, q)
    const noAck = spec.source.kind === 'replies'
    for (const q of spec.queues) {
      const args = stream
        ? { 'x-stream-offset': spec.lastOffset === undefined ? 'next' : spec.lastOffset + 1 }
        : undefined
      const { consumerTag } = await ch.consume(q.name, (msg) => this.onMessage(spec, ch, msg, link, stream), {
        noAck,
        ...(args ? { arguments: args } : {}),
      })
      spec.tags.push(consumerTag)
    }
    ch.on('close', () => {
      // A channel the broker closed while the connection lives (a deleted queue, a
      // declaration mismatch) is opened again; a lost connection resubscribes everything.
      if (spec.active && spec.channel === ch && this.connection.current === link && !this.closed) {
        setTimeout(() => {
          if (spec.active && this.connection.current === link) {
            void this.subscribe(spec, link).catch((e) =>
              this.log.warn({ err: (e as Error).message }, 'consumer could not resubscribe'),
            )
          }
        }, 1000).unref()
      }
    })
  }

  private onMessage(
    spec: ConsumerSpec,
    ch: Channel,
    msg: ConsumeMessage | null,
    link: Link,
    stream: boolean,
  ): void {
    if (!msg) {
      // The broker cancelled the consumer (its queue went away or moved): subscribe again.
      if (spec.active && this.connection.current === link) {
        setTimeout(() => void this.subscribe(spec, link).catch(() => {}), 1000).unref()
      }
      return
    }
    if (stream) {
      const offset = Number(msg.properties.headers?.['x-stream-offset'])
      if (Number.isFinite(offset)) spec.lastOffset = Math.max(spec.lastOffset ?? -1, offset)
    }
    const noAck = spec.source.kind === 'replies'
    let settled = noAck
    // NOTE: a settle on a channel that closed meanwhile is a no-op: the broker already
    // gave the message back and will redeliver it (the duplicate window catches a rerun).
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      try {
        fn()
      } catch {}
    }
    spec.deliver({
      body: msg.content,
      redelivered: msg.fields.redelivered,
      ...(typeof msg.properties.replyTo === 'string' && msg.properties.replyTo.startsWith(DIRECT_REPLY_TO)
        ? { replyTo: msg.properties.replyTo }
        : {}),
      ack: () => settle(() => ch.ack(msg)),
      deadLetter: () => settle(() => (stream ? ch.ack(msg) : ch.nack(msg, false, false))),
      requeue: () => settle(() => (stream ? ch.ack(msg) : ch.nack(msg, false, true))),
    })
  }

  // --- status and shutdown ----------------------------------------------------------------

  /** Every queue and exchange this transport declared (tests delete them afterwards). */
  topology(): { queues: string[]; exchanges: string[] } {
    const exchanges = new Set<string>([this.options.exchange])
    if (this.options.deadLetter) exchanges.add(this.deadLetterExchange)
    for (const spec of this.consumers)
      for (const q of spec.queues) for (const b of q.bindings) exchanges.add(b.exchange)
    for (const name of this.declared.names) if (name.startsWith('x:')) exchanges.add(name.slice(2))
    for (const x of this.everExchanges) exchanges.add(x)
    return { queues: [...this.knownQueues], exchanges: [...exchanges].filter((x) => x !== '') }
  }

  async queues(): Promise<QueueStatus[]> {
    const link = this.connection.current
    if (!link) return [...this.knownQueues].map((name) => ({ name }))
    const out: QueueStatus[] = []
    for (const name of this.knownQueues) {
      try {
        const ch = await this.adminChannel(link)
        const q = await ch.checkQueue(name)
        out.push({ name, depth: q.messageCount, consumers: q.consumerCount })
      } catch {
        out.push({ name })
      }
    }
    return out
  }

  /**
   * Cuts the live connection as a crash or a reset would (the socket is destroyed, no
   * AMQP close): the broker requeues what this process held unacknowledged. For tests.
   */
  cutConnection(): void {
    const link = this.connection.current
    if (!link) return
    ;(
      link.model as unknown as { connection: { stream: { destroy(e: Error): void } } }
    ).connection.stream.destroy(new Error('connection cut'))
  }

  /** Fires `fn` each time the connection is lost or made. */
  onLink(fn: (event: 'up' | 'down') => void): void {
    this.connection.on('up', () => fn('up'))
    this.connection.on('down', () => fn('down'))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const spec of this.consumers) spec.active = false
    await this.connection?.close()
  }
}
