/**
 * The message bus contract every transport keeps: RPC `call` with a reply and a
 * deadline, `cast` without one, `fanout` to every server of a topic, versioned
 * notifications, and the servers and listeners that receive them. The delivery
 * guarantees behind each verb are in README.md beside this file.
 */

/**
 * Where an RPC message goes. Every server of a topic shares the topic's queue (one of
 * them gets each message); `server` picks one server, as `compute.<host>` does.
 */
export interface Target {
  /** e.g. `conductor`, `scheduler`, `compute`. */
  topic: string
  /** One server of the topic, e.g. the compute host name. */
  server?: string
}

/** The request context that travels with a message (request id, user, project, roles). */
export type MessageContextDict = Readonly<Record<string, unknown>>

/** What a handler learns about the message it runs for. */
export interface MessageInfo {
  readonly messageId: string
  readonly kind: 'call' | 'cast' | 'fanout'
  /** The sending bus's id (`<hostname>:<processname>:<random>`). */
  readonly sender: string
  /** The version the sender asked for, `major.minor`. */
  readonly version: string
  readonly context: MessageContextDict
  /** The broker delivered this message before (its handler may have run). */
  readonly redelivered: boolean
}

/** A method of an RPC interface. The value it returns (JSON) is the call's reply. */
// biome-ignore lint/suspicious/noExplicitAny: handlers declare their own argument types
export type RpcHandler = (args: any, info: MessageInfo) => unknown

/**
 * One versioned RPC interface a server speaks. A message for `namespace` at version
 * `M.m` is accepted when the endpoint's version is `M.n` with `n >= m`; any other major
 * version is refused with UnsupportedVersion.
 */
export interface RpcEndpoint {
  /** The interface's name; messages name the interface they are for. @default '' */
  namespace?: string
  /** The newest version this endpoint speaks, `major.minor`. */
  version: string
  methods: Readonly<Record<string, RpcHandler>>
}

/** Options every send shares. */
export interface SendOptions {
  /** The interface the method belongs to. @default '' */
  namespace?: string
  /** The interface version the message needs, `major.minor`. @default '1.0' */
  version?: string
  context?: MessageContextDict
  /**
   * The message's id. A server that handled an id within its duplicate window handles
   * a resend once (and a call gets the first reply again). @default a random UUID
   */
  messageId?: string
  /**
   * Seconds the send may take: for a call, until the reply; otherwise until the broker
   * confirmed it. @default `[DEFAULT] rpc_response_timeout`
   */
  timeout?: number
}

/** A running RPC server; `stop` lets in-flight handlers finish. */
export interface RpcServer {
  readonly target: Required<Target>
  /**
   * Stops consuming, waits for in-flight handlers up to `deadlineMs`, and hands back
   * (to the broker, for another server) whatever was received but not handled.
   */
  stop(deadlineMs?: number): Promise<void>
}

export interface ServeOptions {
  topic: string
  /** This server's name within the topic (a host name); it also gets `topic.server` messages. */
  server: string
  /** Messages handled at once. @default `[oslo_messaging_rabbit] rabbit_qos_prefetch_count` (64) */
  concurrency?: number
}

/** Notification priorities, as upstream spells them. */
export type Priority = 'audit' | 'debug' | 'info' | 'warn' | 'error' | 'critical' | 'sample'
export const PRIORITIES: readonly Priority[] = [
  'audit',
  'debug',
  'info',
  'warn',
  'error',
  'critical',
  'sample',
]

/** A notification's payload: a named, versioned object, so consumers can evolve with it. */
export interface VersionedPayload {
  /** e.g. `InstanceActionPayload`. */
  name: string
  /** `major.minor`; a consumer reads any minor of a major it knows. */
  version: string
  data: Readonly<Record<string, unknown>>
}

export interface Notification {
  /** Who sent it, e.g. `compute.host1`. */
  publisherId: string
  /** `<service>.<object>.<action>`, e.g. `compute.instance.create.end`. */
  eventType: string
  /** @default 'info' */
  priority?: Priority
  payload: VersionedPayload
}

/** A notification as a listener receives it. */
export interface ReceivedNotification extends Required<Notification> {
  readonly messageId: string
  /** ISO 8601, when the publisher sent it. */
  readonly timestamp: string
}

export interface ListenOptions {
  /** @default 'notifications' */
  topic?: string
  /**
   * Listeners of one pool share the notifications (each goes to one of them); every pool
   * gets every notification. @default 'default'
   */
  pool?: string
  /** @default every priority */
  priorities?: readonly Priority[]
  /** Event types to keep, with `*` matching one dotted part (`compute.instance.*`). @default all */
  eventTypes?: readonly string[]
}

export interface Listener {
  stop(deadlineMs?: number): Promise<void>
}

/**
 * A client for one interface, pinned to the newest version it may send (`versionCap`)
 * during a rolling upgrade: a message needing a newer version is refused before it is
 * sent, and `canSendVersion` lets the caller pick an older form instead.
 */
export interface RpcClient {
  canSendVersion(version: string): boolean
  call<R = unknown>(method: string, args: object, options?: ClientSendOptions): Promise<R>
  cast(method: string, args: object, options?: ClientSendOptions): Promise<void>
  fanout(method: string, args: object, options?: Omit<ClientSendOptions, 'server'>): Promise<void>
}

export interface ClientSendOptions extends Omit<SendOptions, 'namespace'> {
  /** Send to one server of the client's topic. */
  server?: string
}

export interface ClientOptions {
  topic: string
  namespace?: string
  /** The newest version this client may send. @default no cap */
  versionCap?: string
}

/** A latency histogram in seconds, cumulative by upper bound, as Prometheus wants it. */
export interface LatencyHistogram {
  readonly bounds: readonly number[]
  /** counts[i] = observations <= bounds[i]; the last entry counts everything. */
  readonly counts: number[]
  sum: number
  count: number
}

/** Figures for /metrics; every field only grows. */
export interface BusCounters {
  /** Messages handed to the transport (calls, casts, fanouts, notifications, replies). */
  sent: number
  /** Messages received by servers, listeners and reply consumers. */
  delivered: number
  /** Deliveries the broker marked as delivered before. */
  redelivered: number
  /** Deliveries skipped because their id was already handled (resends, redeliveries). */
  duplicates: number
  /** Malformed, oversized, unknown-method or unknown-version messages not handled. */
  deadLettered: number
  /** Calls and sends that failed with MessagingTimeout. */
  timeouts: number
  /** Calls a server skipped because their caller's deadline had passed. */
  expired: number
  /** Handlers that threw. */
  handlerErrors: number
  /** Connections re-established after a loss. */
  reconnects: number
  /** Sends that had to be tried again (lost connection, broker nack). */
  resends: number
  /** Replies that arrived after their caller gave up. */
  lateReplies: number
  callLatency: LatencyHistogram
}

export interface QueueStatus {
  name: string
  /** Messages waiting; undefined when the broker did not say. */
  depth?: number
  consumers?: number
}

export interface BusStatus {
  transport: 'in-process' | 'rabbit'
  /** The bus's id: `<hostname>:<processname>:<random>`. */
  id: string
  connected: boolean
  /** `host:port` of the broker in use (no credentials). */
  broker?: string
  servers: ReadonlyArray<{ topic: string; server: string; inFlight: number }>
  listeners: ReadonlyArray<{ topic: string; pool: string }>
  pendingCalls: number
  queues: readonly QueueStatus[]
  lastError?: string
}

/**
 * The message bus. One per process, created by `createBus(config)`; every service of
 * the process shares it.
 *
 * @example
 * const server = await bus.serve({ topic: 'conductor', server: 'host1' }, [
 *   { namespace: 'conductor', version: '1.3', methods: { build: async (args) => ({ ok: true }) } },
 * ])
 * const reply = await bus.call({ topic: 'conductor' }, 'build', { id: 7 }, { namespace: 'conductor', version: '1.1' })
 */
export interface Bus {
  /**
   * Sends a request to one server of the target and waits for its reply.
   *
   * @throws MessagingTimeout (retriable) when no reply came within `timeout`; the
   *   request may have run.
   * @throws UnsupportedVersion, NoSuchMethod when the server refused it.
   * @throws RemoteError when the handler threw.
   * @throws MessageTooLarge, MalformedMessage when the request cannot be sent at all.
   */
  call<R = unknown>(target: Target, method: string, args: object, options?: SendOptions): Promise<R>
  /**
   * Sends a request to one server of the target with no reply. Resolves once the
   * transport holds it (a broker confirmation on RabbitMQ); a server that cannot run it
   * (unknown method or version) dead-letters it.
   *
   * @throws MessagingTimeout (retriable) when it could not be handed over in time.
   */
  cast(target: Target, method: string, args: object, options?: SendOptions): Promise<void>
  /** Sends a request to every server of the topic now listening. */
  fanout(topic: string, method: string, args: object, options?: SendOptions): Promise<void>
  /** Publishes a notification; resolves once the transport holds it. */
  notify(notification: Notification, options?: { topic?: string; timeout?: number }): Promise<void>
  /** Starts a server for the endpoints on `topic` (and `topic.server`, and the topic's fanout). */
  serve(options: ServeOptions, endpoints: readonly RpcEndpoint[]): Promise<RpcServer>
  /** Starts a notification listener. */
  listen(options: ListenOptions, handler: (n: ReceivedNotification) => unknown): Promise<Listener>
  /** A client for one interface, optionally pinned to an older version. */
  client(options: ClientOptions): RpcClient
  /** What /metrics exports. */
  readonly counters: Readonly<BusCounters>
  /**
   * Whether a confirmed cast outlives this process: true on RabbitMQ with durable queues
   * and confirms; false in-process, where a queued message dies with the process.
   */
  readonly durable: boolean
  /** What `cloudlet bus status` prints. */
  status(): Promise<BusStatus>
  /** Stops servers and listeners (in-flight handlers get `deadlineMs`), fails pending calls, disconnects. */
  close(deadlineMs?: number): Promise<void>
}
