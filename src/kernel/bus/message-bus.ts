/**
 * The bus's semantics over any transport: envelopes, calls waiting for replies with a
 * deadline, servers dispatching to versioned endpoints, per-sender ordering of casts,
 * the duplicate window, dead-lettering of what cannot be handled, notifications and
 * their listeners, counters and status. The transports only move bytes.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import type {
  Bus,
  BusCounters,
  BusStatus,
  ClientOptions,
  ClientSendOptions,
  LatencyHistogram,
  Listener,
  ListenOptions,
  MessageInfo,
  Notification,
  ReceivedNotification,
  RpcClient,
  RpcEndpoint,
  RpcHandler,
  RpcServer,
  SendOptions,
  ServeOptions,
  Target,
} from './bus.js'
import { PRIORITIES } from './bus.js'
import { DuplicateWindow } from './duplicate-window.js'
import {
  decode,
  type Envelope,
  EVENT_TYPE,
  encode,
  parseVersion,
  type ReplyEnvelope,
  type RequestEnvelope,
  versionCompatible,
} from './envelope.js'
import {
  BusClosed,
  fromWireError,
  MalformedMessage,
  type MessagingError,
  MessagingTimeout,
  NoSuchMethod,
  toWireError,
  UnsupportedVersion,
} from './errors.js'
import type { Consumption, Delivery, Destination, Transport } from './transport.js'

type LogFn = (fields: Record<string, unknown>, message: string) => void
/** The logger methods the bus uses; a pino logger fits. */
export interface BusLogger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}

const silent: BusLogger = { debug() {}, info() {}, warn() {}, error() {} }

export interface MessageBusOptions {
  /** Seconds a call waits for its reply and a send for its confirmation. @default 60 */
  rpcResponseTimeout?: number
  /** @default 16 MiB */
  maxMessageSize?: number
  /** @default 10000 */
  duplicateWindowSize?: number
  /** @default 600 */
  duplicateWindowSeconds?: number
  /** Messages a server handles at once unless it says otherwise. @default 64 */
  prefetch?: number
  /** Host and process names in the bus id. */
  hostname?: string
  processname?: string
  logger?: BusLogger
}

const LATENCY_BOUNDS = [
  0.00005,
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  Number.POSITIVE_INFINITY,
]

function newCounters(): BusCounters {
  const callLatency: LatencyHistogram = {
    bounds: LATENCY_BOUNDS,
    counts: LATENCY_BOUNDS.map(() => 0),
    sum: 0,
    count: 0,
  }
  return {
    sent: 0,
    delivered: 0,
    redelivered: 0,
    duplicates: 0,
    deadLettered: 0,
    timeouts: 0,
    expired: 0,
    handlerErrors: 0,
    reconnects: 0,
    resends: 0,
    lateReplies: 0,
    callLatency,
  }
}

function observe(h: LatencyHistogram, seconds: number): void {
  h.sum += seconds
  h.count++
  for (let i = 0; i < h.bounds.length; i++) if (seconds <= h.bounds[i]!) h.counts[i]!++
}

interface PendingCall {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
  started: number
}

/** Keeps the order of casts and fanouts per sender: each waits for the previous one. */
class SenderChains {
  private readonly tails = new Map<string, Promise<void>>()
  run(sender: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(sender) ?? Promise.resolve()
    const next = previous.then(task)
    this.tails.set(sender, next)
    void next.then(() => {
      if (this.tails.get(sender) === next) this.tails.delete(sender)
    })
    return next
  }
}

/** What servers and listeners share: tracking in-flight work and what waits for its turn. */
abstract class Consumer {
  protected readonly consumptions: Consumption[] = []
  protected readonly inFlight = new Set<Promise<void>>()
  /** Received, waiting behind an earlier message of the same sender. */
  protected readonly waiting = new Set<Delivery>()
  protected readonly chains = new SenderChains()
  protected readonly window: DuplicateWindow
  protected stopped = false

  constructor(protected readonly bus: MessageBus) {
    this.window = new DuplicateWindow(
      bus.options.duplicateWindowSize,
      bus.options.duplicateWindowSeconds * 1000,
    )
  }

  get inFlightCount(): number {
    return this.inFlight.size
  }

  protected track(work: Promise<void>): void {
    this.inFlight.add(work)
    void work.finally(() => this.inFlight.delete(work))
  }

  async stop(deadlineMs = 30_000): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await Promise.all(this.consumptions.map((c) => c.cancel().catch(() => {})))
    // NOTE: messages still waiting for an earlier one of their sender have not started;
    // the broker gives them to another server rather than this one running them late.
    for (const d of this.waiting) d.requeue()
    this.waiting.clear()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs)
    })
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout])
    clearTimeout(timer)
    await Promise.all(this.consumptions.map((c) => c.close().catch(() => {})))
    this.bus.forget(this)
  }
}

class Server extends Consumer implements RpcServer {
  readonly target: Required<Target>
  private readonly endpoints: readonly RpcEndpoint[]

  constructor(bus: MessageBus, options: ServeOptions, endpoints: readonly RpcEndpoint[]) {
    super(bus)
    this.target = { topic: options.topic, server: options.server }
    for (const e of endpoints) parseVersion(e.version)
    this.endpoints = endpoints
  }

  async start(prefetch: number): Promise<void> {
    const t = this.bus.transport
    const deliver = (d: Delivery) => this.receive(d)
    this.consumptions.push(await t.consume({ kind: 'rpc', ...this.target }, deliver, prefetch))
    this.consumptions.push(await t.consume({ kind: 'fanout', topic: this.target.topic }, deliver, prefetch))
  }

  /** Finds the handler for a request, or the error the sender should see. */
  private resolve(env: RequestEnvelope): RpcHandler | MessagingError {
    const same = this.endpoints.filter((e) => (e.namespace ?? '') === env.ns)
    if (same.length === 0) return new NoSuchMethod(`no interface ${JSON.stringify(env.ns)} on ${this.name}`)
    const compatible = same.filter((e) => versionCompatible(e.version, env.ver))
    if (compatible.length === 0) {
      const speaks = same.map((e) => e.version).join(', ')
      return new UnsupportedVersion(
        `${this.name} speaks ${env.ns || 'its interface'} ${speaks}, not ${env.ver} (method ${env.method})`,
      )
    }
    for (const e of compatible) {
      if (Object.hasOwn(e.methods, env.method)) return e.methods[env.method]!
    }
    return new NoSuchMethod(
      `${this.name} has no method ${env.method} in ${env.ns || 'its interface'} ${env.ver}`,
    )
  }

  private get name(): string {
    return `${this.target.topic}.${this.target.server}`
  }

  private receive(d: Delivery): void {
    const env = this.bus.accept(d, 'call', 'cast', 'fanout') as RequestEnvelope | undefined
    if (!env) return
    if (this.stopped) {
      d.requeue()
      return
    }
    if (env.kind === 'call') {
      // NOTE: calls are not chained: a caller waits for each reply, so its calls are
      // already in order, and many callers in one process must not queue behind each other.
      this.track(this.handle(d, env))
      return
    }
    this.waiting.add(d)
    this.track(
      this.chains.run(env.from, async () => {
        if (!this.waiting.delete(d)) return // handed back by stop()
        await this.handle(d, env)
      }),
    )
  }

  private async handle(d: Delivery, env: RequestEnvelope): Promise<void> {
    const seen = this.window.begin(env.id)
    if (seen.kind !== 'new') {
      this.bus.counters.duplicates++
      const reply = seen.kind === 'done' ? seen.reply : await seen.done
      if (env.kind === 'call' && reply) await this.bus.sendReply(env, reply, d.replyTo)
      d.ack()
      return
    }
    let reply: Buffer | undefined
    try {
      const found = this.resolve(env)
      if (typeof found !== 'function') {
        this.bus.log.warn(
          { messageId: env.id, method: env.method, version: env.ver, sender: env.from, code: found.code },
          `refused: ${found.message}`,
        )
        if (env.kind !== 'call') {
          this.bus.deadLetter(d, found.message)
          return
        }
        reply = this.bus.replyBody(env, { error: found })
      } else if (env.kind === 'call' && env.deadline! < Date.now()) {
        // NOTE: the caller has already given up (a broker outage held the request back);
        // running it now would do work nobody waits for.
        this.bus.counters.expired++
      } else {
        const info: MessageInfo = {
          messageId: env.id,
          kind: env.kind,
          sender: env.from,
          version: env.ver,
          context: env.ctx,
          redelivered: d.redelivered,
        }
        let outcome: { result: unknown } | { error: unknown }
        try {
          outcome = { result: await found(env.args, info) }
        } catch (error) {
          this.bus.counters.handlerErrors++
          this.bus.log.error(
            { messageId: env.id, method: env.method, sender: env.from, err: error },
            `handler ${this.target.topic}.${env.method} failed`,
          )
          outcome = { error }
        }
        if (env.kind === 'call') reply = this.bus.replyBody(env, outcome)
      }
      if (reply) await this.bus.sendReply(env, reply, d.replyTo)
      d.ack()
    } finally {
      seen.finish(reply)
    }
  }
}

class NotificationListener extends Consumer implements Listener {
  private readonly patterns: RegExp[] | undefined

  constructor(
    bus: MessageBus,
    readonly topic: string,
    readonly pool: string,
    eventTypes: readonly string[] | undefined,
    private readonly handler: (n: ReceivedNotification) => unknown,
  ) {
    super(bus)
    this.patterns = eventTypes?.map(
      (p) =>
        new RegExp(
          `^${p
            .split('.')
            .map((part) => (part === '*' ? '[^.]+' : part.replace(/[^\w-]/g, '\\$&')))
            .join('\\.')}$`,
        ),
    )
  }

  async start(options: ListenOptions, prefetch: number): Promise<void> {
    const source = {
      kind: 'notification' as const,
      topic: this.topic,
      pool: this.pool,
      priorities: options.priorities ?? PRIORITIES,
    }
    this.consumptions.push(await this.bus.transport.consume(source, (d) => this.receive(d), prefetch))
  }

  private receive(d: Delivery): void {
    const env = this.bus.accept(d, 'notify')
    if (env?.kind !== 'notify') return
    if (this.stopped) {
      d.requeue()
      return
    }
    this.waiting.add(d)
    this.track(
      this.chains.run(env.from, async () => {
        if (!this.waiting.delete(d)) return
        const seen = this.window.begin(env.id)
        if (seen.kind !== 'new') {
          this.bus.counters.duplicates++
          if (seen.kind === 'running') await seen.done
          d.ack()
          return
        }
        try {
          if (!this.patterns || this.patterns.some((p) => p.test(env.event.eventType))) {
            await this.handler({ ...env.event, messageId: env.id })
          }
        } catch (error) {
          this.bus.counters.handlerErrors++
          this.bus.log.error(
            { messageId: env.id, eventType: env.event.eventType, err: error },
            'notification handler failed',
          )
        } finally {
          seen.finish()
        }
        d.ack()
      }),
    )
  }
}

/** The one Bus implementation; `createBus` gives it a transport. */
export class MessageBus implements Bus {
  readonly id: string
  readonly counters: BusCounters = newCounters()
  readonly log: BusLogger
  readonly options: Required<Omit<MessageBusOptions, 'logger' | 'hostname' | 'processname'>>
  private readonly pending = new Map<string, PendingCall>()
  private readonly servers = new Set<Server>()
  private readonly listeners = new Set<NotificationListener>()
  private replies: Consumption | undefined
  private seq = 0
  private closed = false

  constructor(
    readonly transport: Transport,
    options: MessageBusOptions = {},
  ) {
    this.log = options.logger ?? silent
    this.options = {
      rpcResponseTimeout: options.rpcResponseTimeout ?? 60,
      maxMessageSize: options.maxMessageSize ?? 16 * 1024 * 1024,
      duplicateWindowSize: options.duplicateWindowSize ?? 10_000,
      duplicateWindowSeconds: options.duplicateWindowSeconds ?? 600,
      prefetch: options.prefetch ?? 64,
    }
    const host = options.hostname ?? hostname()
    const proc = options.processname ?? 'cloudlet'
    this.id = `${host}:${proc}:${randomBytes(4).toString('hex')}`
  }

  get durable(): boolean {
    return this.transport.durable
  }

  /** Connects the transport and starts receiving replies. */
  async start(): Promise<this> {
    await this.transport.start(this.counters)
    this.replies = await this.transport.consume({ kind: 'replies' }, (d) => this.receiveReply(d), 0)
    return this
  }

  // --- sending -------------------------------------------------------------------------

  call<R = unknown>(target: Target, method: string, args: object, options: SendOptions = {}): Promise<R> {
    const timeoutMs = this.timeoutMs(options)
    const started = performance.now()
    const deadline = Date.now() + timeoutMs
    let env: RequestEnvelope
    let body: Buffer
    try {
      this.assertOpen()
      env = this.request('call', method, args, options, { replyTo: this.transport.replyAddress, deadline })
      if (this.pending.has(env.id)) throw new MalformedMessage(`a call with id ${env.id} is already waiting`)
      body = encode(env, this.options.maxMessageSize)
    } catch (e) {
      return Promise.reject(e)
    }
    const where = target.server ? `${target.topic}.${target.server}` : target.topic
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(env.id)) return
        this.counters.timeouts++
        reject(
          new MessagingTimeout(
            `no reply from ${where} to ${method} within ${timeoutMs / 1000} s (message ${env.id})`,
          ),
        )
      }, timeoutMs)
      this.pending.set(env.id, { resolve: resolve as (v: unknown) => void, reject, timer, started })
      this.transport
        .send({ kind: 'rpc', ...target }, body, {
          messageId: env.id,
          deadline,
          persistent: false,
          replyTo: env.replyTo!,
        })
        .then(
          () => {
            this.counters.sent++
          },
          (error: Error) => {
            const call = this.pending.get(env.id)
            if (!call) return
            this.pending.delete(env.id)
            clearTimeout(call.timer)
            if (error instanceof MessagingTimeout) this.counters.timeouts++
            reject(error)
          },
        )
    })
  }

  async cast(target: Target, method: string, args: object, options: SendOptions = {}): Promise<void> {
    this.assertOpen()
    const env = this.request('cast', method, args, options)
    await this.send({ kind: 'rpc', ...target }, env, options)
  }

  async fanout(topic: string, method: string, args: object, options: SendOptions = {}): Promise<void> {
    this.assertOpen()
    const env = this.request('fanout', method, args, options)
    await this.send({ kind: 'fanout', topic }, env, options)
  }

  async notify(n: Notification, options: { topic?: string; timeout?: number } = {}): Promise<void> {
    this.assertOpen()
    const priority = n.priority ?? 'info'
    if (!EVENT_TYPE.test(n.eventType))
      throw new MalformedMessage(
        `event type ${JSON.stringify(n.eventType)} is not <service>.<object>.<action>`,
      )
    if (!PRIORITIES.includes(priority))
      throw new MalformedMessage(`unknown priority ${JSON.stringify(priority)}`)
    if (!n.publisherId) throw new MalformedMessage('a notification needs a publisher id')
    parseVersion(n.payload.version)
    const env: Envelope = {
      v: 1,
      kind: 'notify',
      id: randomUUID(),
      from: this.id,
      seq: ++this.seq,
      event: {
        publisherId: n.publisherId,
        eventType: n.eventType,
        priority,
        payload: n.payload,
        timestamp: new Date().toISOString(),
      },
    }
    await this.send({ kind: 'notification', topic: options.topic ?? 'notifications', priority }, env, options)
  }

  client(options: ClientOptions): RpcClient {
    const cap = options.versionCap
    if (cap) parseVersion(cap)
    const canSendVersion = (version: string) => {
      if (!cap) return true
      const [cM, cm] = parseVersion(cap)
      const [vM, vm] = parseVersion(version)
      return vM < cM || (vM === cM && vm <= cm)
    }
    const prepare = (o: ClientSendOptions = {}) => {
      const version = o.version ?? '1.0'
      if (!canSendVersion(version)) {
        throw new UnsupportedVersion(
          `${options.topic} client is pinned to ${cap}; it cannot send version ${version}`,
        )
      }
      const { server, ...rest } = o
      return {
        target: { topic: options.topic, ...(server ? { server } : {}) },
        send: { ...rest, version, namespace: options.namespace ?? '' },
      }
    }
    return {
      canSendVersion,
      call: async <R>(method: string, args: object, o?: ClientSendOptions) => {
        const p = prepare(o)
        return this.call<R>(p.target, method, args, p.send)
      },
      cast: async (method, args, o) => {
        const p = prepare(o)
        return this.cast(p.target, method, args, p.send)
      },
      fanout: async (method, args, o) => {
        const p = prepare(o)
        return this.fanout(options.topic, method, args, p.send)
      },
    }
  }

  private request(
    kind: 'call' | 'cast' | 'fanout',
    method: string,
    args: object,
    options: SendOptions,
    extra: { replyTo?: string; deadline?: number } = {},
  ): RequestEnvelope {
    const version = options.version ?? '1.0'
    parseVersion(version)
    if (!method) throw new MalformedMessage('a message needs a method')
    return {
      v: 1,
      kind,
      id: options.messageId ?? randomUUID(),
      from: this.id,
      seq: ++this.seq,
      ns: options.namespace ?? '',
      ver: version,
      method,
      args,
      ctx: { ...(options.context ?? {}) },
      ...extra,
    }
  }

  private async send(dest: Destination, env: Envelope, options: { timeout?: number }): Promise<void> {
    const body = encode(env, this.options.maxMessageSize)
    const deadline = Date.now() + this.timeoutMs(options)
    try {
      await this.transport.send(dest, body, { messageId: env.id, deadline, persistent: true })
    } catch (e) {
      if (e instanceof MessagingTimeout) this.counters.timeouts++
      throw e
    }
    this.counters.sent++
  }

  private timeoutMs(options: { timeout?: number }): number {
    return Math.max(1, (options.timeout ?? this.options.rpcResponseTimeout) * 1000)
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosed()
  }

  // --- receiving -----------------------------------------------------------------------

  /**
   * Decodes a delivery for a consumer that takes `kinds`; dead-letters anything else.
   * Returns undefined when the delivery was settled here.
   */
  accept(d: Delivery, ...kinds: Envelope['kind'][]): Envelope | undefined {
    this.counters.delivered++
    if (d.redelivered) this.counters.redelivered++
    let env: Envelope
    try {
      env = decode(d.body, this.options.maxMessageSize)
    } catch (e) {
      this.deadLetter(d, (e as Error).message)
      return undefined
    }
    if (!kinds.includes(env.kind)) {
      this.deadLetter(d, `a ${env.kind} message does not belong here`)
      return undefined
    }
    return env
  }

  deadLetter(d: Delivery, reason: string): void {
    this.counters.deadLettered++
    this.log.warn({ reason, bytes: d.body.length }, 'message dead-lettered')
    d.deadLetter(reason)
  }

  replyBody(env: RequestEnvelope, outcome: { result: unknown } | { error: unknown }): Buffer {
    const base = { v: 1 as const, kind: 'reply' as const, id: randomUUID(), from: this.id, seq: ++this.seq }
    const reply: ReplyEnvelope =
      'result' in outcome
        ? { ...base, corr: env.id, ok: true, result: outcome.result ?? null }
        : { ...base, corr: env.id, ok: false, error: toWireError(outcome.error) }
    try {
      return encode(reply, this.options.maxMessageSize)
    } catch (e) {
      return encode({ ...base, corr: env.id, ok: false, error: toWireError(e) }, this.options.maxMessageSize)
    }
  }

  async sendReply(env: RequestEnvelope, body: Buffer, brokerReplyTo?: string): Promise<void> {
    try {
      // NOTE: the request is acknowledged as soon as its reply is written, not confirmed:
      // waiting for the reply's confirmation held the server's prefetch slots for a
      // quorum commit (half the call throughput at concurrency 100). A reply the broker
      // loses after that leaves the caller with its timeout, as a lost request does.
      await this.transport.send({ kind: 'reply', address: brokerReplyTo ?? env.replyTo! }, body, {
        messageId: env.id,
        deadline: env.deadline!,
        persistent: false,
        awaitConfirm: false,
      })
      this.counters.sent++
    } catch (e) {
      this.log.debug({ messageId: env.id, err: e }, 'reply not delivered before its deadline')
    }
  }

  private receiveReply(d: Delivery): void {
    const env = this.accept(d, 'reply')
    d.ack()
    if (env?.kind !== 'reply') return
    const call = this.pending.get(env.corr)
    if (!call) {
      this.counters.lateReplies++
      return
    }
    this.pending.delete(env.corr)
    clearTimeout(call.timer)
    observe(this.counters.callLatency, (performance.now() - call.started) / 1000)
    if (env.ok) call.resolve(env.result)
    else call.reject(fromWireError(env.error!))
  }

  // --- servers and listeners -------------------------------------------------------------

  async serve(options: ServeOptions, endpoints: readonly RpcEndpoint[]): Promise<RpcServer> {
    this.assertOpen()
    if (!options.topic || !options.server)
      throw new MalformedMessage('a server needs a topic and a server name')
    const server = new Server(this, options, endpoints)
    this.servers.add(server)
    await server.start(options.concurrency ?? this.options.prefetch)
    return server
  }

  async listen(options: ListenOptions, handler: (n: ReceivedNotification) => unknown): Promise<Listener> {
    this.assertOpen()
    const listener = new NotificationListener(
      this,
      options.topic ?? 'notifications',
      options.pool ?? 'default',
      options.eventTypes,
      handler,
    )
    this.listeners.add(listener)
    await listener.start(options, this.options.prefetch)
    return listener
  }

  /** Called by a server or listener once it stopped. */
  forget(consumer: Consumer): void {
    this.servers.delete(consumer as Server)
    this.listeners.delete(consumer as NotificationListener)
  }

  async status(): Promise<BusStatus> {
    const t = this.transport
    return {
      transport: t.kind,
      id: this.id,
      connected: t.connected,
      ...(t.broker ? { broker: t.broker } : {}),
      servers: [...this.servers].map((s) => ({ ...s.target, inFlight: s.inFlightCount })),
      listeners: [...this.listeners].map((l) => ({ topic: l.topic, pool: l.pool })),
      pendingCalls: this.pending.size,
      queues: await t.queues().catch(() => []),
      ...(t.lastError ? { lastError: t.lastError } : {}),
    }
  }

  async close(deadlineMs = 30_000): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([...this.servers, ...this.listeners].map((c) => c.stop(deadlineMs)))
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer)
      call.reject(new BusClosed(`the bus closed before the reply to message ${id}`))
    }
    this.pending.clear()
    await this.replies?.cancel().catch(() => {})
    await this.replies?.close().catch(() => {})
    await this.transport.close()
  }
}
