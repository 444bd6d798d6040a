/**
 * One AMQP connection that stays up: it connects to the hosts of the transport URL in
 * turn, reconnects with backoff when the connection is lost, notices a connection that
 * went silent (no FIN, no error) from the bytes it stops receiving, and re-runs the
 * transport's setup (topology, consumers) after every reconnection. Senders wait for it
 * with a deadline, never longer.
 */
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib'
import type { BusCounters } from './bus.js'
import { BusClosed, MessagingTimeout } from './errors.js'
import type { BusLogger } from './message-bus.js'
import { type BrokerAddress, describeBroker, type RabbitOptions } from './rabbit-options.js'

/** One live connection and its publishing channel; replaced as a whole on loss. */
export interface Link {
  readonly model: ChannelModel
  readonly publisher: Channel | ConfirmChannel
  /** Counts connections made; a cache keyed by it is dropped on reconnection. */
  readonly generation: number
  readonly broker: string
}

/** How long one connection attempt to one host may take. */
const CONNECT_TIMEOUT_MS = 5000

export class RabbitConnection extends EventEmitter {
  private link: Link | undefined
  private generation = 0
  private hostIndex = 0
  private closing = false
  private connecting: Promise<void> | undefined
  private waiters = new Set<() => void>()
  private watchdog: NodeJS.Timeout | undefined
  private readonly setups: Array<(link: Link) => Promise<void>> = []
  lastError: string | undefined

  constructor(
    private readonly options: RabbitOptions,
    private readonly counters: BusCounters,
    private readonly log: BusLogger,
  ) {
    super()
    if (options.failover === 'shuffle') this.hostIndex = Math.floor(Math.random() * options.url.hosts.length)
  }

  get current(): Link | undefined {
    return this.link
  }

  /** Runs after every connection, in registration order, before senders are let through. */
  onConnect(setup: (link: Link) => Promise<void>): void {
    this.setups.push(setup)
  }

  /**
   * Connects, trying every host once; if none answers, keeps trying in the background
   * and resolves anyway (senders wait with their own deadlines).
   */
  async start(): Promise<void> {
    await this.reconnect(true)
  }

  /** The live link, waiting for one until `deadline` (epoch ms). */
  async whenUp(deadline: number): Promise<Link> {
    for (;;) {
      if (this.closing) throw new BusClosed()
      if (this.link) return this.link
      const left = deadline - Date.now()
      if (left <= 0)
        throw new MessagingTimeout(`no connection to the message broker (${this.lastError ?? 'connecting'})`)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          this.waiters.delete(done)
          resolve()
        }
        const timer = setTimeout(done, left)
        this.waiters.add(done)
      })
    }
  }

  /** Drops the current link (if it is still `link`) and starts reconnecting. */
  lost(link: Link, error: unknown): void {
    if (this.link !== link) return
    this.link = undefined
    this.stopWatchdog()
    this.lastError = error instanceof Error ? error.message : String(error)
    this.log.warn({ broker: link.broker, err: this.lastError }, 'message broker connection lost')
    link.model.removeAllListeners('close')
    void link.model.close().catch(() => {})
    this.emit('down')
    if (!this.closing) void this.reconnect(false)
  }

  private reconnect(first: boolean): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.connectLoop(first).finally(() => {
        this.connecting = undefined
      })
    }
    return this.connecting
  }

  private async connectLoop(first: boolean): Promise<void> {
    const hosts = this.options.url.hosts
    for (let round = 0; !this.closing; round++) {
      for (let i = 0; i < hosts.length && !this.closing; i++) {
        const host = hosts[this.hostIndex % hosts.length]!
        try {
          await this.connectTo(host)
          if (!first || this.generation > 1) this.counters.reconnects++
          return
        } catch (e) {
          this.lastError = `${describeBroker(host)}: ${(e as Error).message}`
          this.log.debug(
            { broker: describeBroker(host), err: (e as Error).message },
            'broker connection failed',
          )
          this.hostIndex =
            this.options.failover === 'shuffle'
              ? Math.floor(Math.random() * hosts.length)
              : this.hostIndex + 1
        }
      }
      if (first && round === 0) {
        // NOTE: start() returns after one round so a process can come up while the broker
        // is away; its sends wait (with their deadlines) for the background attempts.
        this.log.warn({ err: this.lastError }, 'message broker unreachable; retrying in the background')
        setTimeout(() => void this.reconnect(false), 0)
        return
      }
      const o = this.options
      const wait = Math.min(o.retryInterval + round * o.retryBackoff, o.intervalMax) * 1000
      // Jitter, so every process of a cloud does not knock on a restarted broker at once.
      await sleep(wait * (0.8 + Math.random() * 0.4))
    }
  }

  private async connectTo(host: BrokerAddress): Promise<void> {
    const o = this.options
    // NOTE: the AMQP heartbeat interval is half the threshold: the broker then sends
    // something at least once an interval, and the watchdog below declares the link dead
    // after one and a half intervals of silence, within two intervals of a silent cut.
    const heartbeat = o.heartbeatThreshold > 0 ? Math.max(1, Math.round(o.heartbeatThreshold / 2)) : 0
    const model = await amqp.connect(
      {
        protocol: o.url.ssl ? 'amqps' : 'amqp',
        hostname: host.hostname,
        port: host.port,
        username: host.username,
        password: host.password,
        vhost: o.url.vhost,
        heartbeat,
      },
      {
        timeout: CONNECT_TIMEOUT_MS,
        noDelay: true,
        clientProperties: { connection_name: `${o.hostname}:${o.processname}` },
      },
    )
    if (this.closing) {
      await model.close().catch(() => {})
      throw new BusClosed()
    }
    let link: Link | undefined
    model.on('error', (e: Error) => {
      this.lastError = e.message
    })
    model.on('close', (e?: Error) => {
      if (link) this.lost(link, e ?? new Error('connection closed'))
    })
    model.on('blocked', (reason: string) => this.log.warn({ reason }, 'message broker blocked publishing'))
    try {
      const publisher = o.confirms ? await model.createConfirmChannel() : await model.createChannel()
      publisher.on('error', () => {})
      publisher.on('return', () => {
        this.counters.lateReplies++
      })
      link = { model, publisher, generation: ++this.generation, broker: describeBroker(host) }
      for (const setup of this.setups) await setup(link)
    } catch (e) {
      link = undefined
      await model.close().catch(() => {})
      throw e
    }
    // A channel error on the publisher (an exchange that vanished, say) replaces the link.
    link.publisher.on('close', () => {
      if (link) this.lost(link, new Error('publishing channel closed'))
    })
    this.link = link
    this.lastError = undefined
    this.startWatchdog(link, heartbeat)
    this.log.info({ broker: link.broker, generation: link.generation }, 'connected to the message broker')
    for (const w of [...this.waiters]) w()
    this.waiters.clear()
    this.emit('up', link)
  }

  /**
   * Declares the link dead when no byte arrived for one and a half heartbeat intervals.
   * A broker sends at least one frame per interval, so silence that long means the path
   * is gone even though the socket never saw a FIN or a reset.
   */
  private startWatchdog(link: Link, heartbeat: number): void {
    this.stopWatchdog()
    if (heartbeat === 0) return
    const socket = (link.model as unknown as { connection: { stream: Socket } }).connection.stream
    let seen = socket.bytesRead
    let changedAt = Date.now()
    const limit = heartbeat * 1500
    const every = Math.max(50, (heartbeat * 1000) / (2 * this.options.heartbeatRate))
    this.watchdog = setInterval(() => {
      if (socket.bytesRead !== seen) {
        seen = socket.bytesRead
        changedAt = Date.now()
        return
      }
      if (Date.now() - changedAt < limit) return
      this.log.warn({ broker: link.broker, silentMs: Date.now() - changedAt }, 'message broker went silent')
      socket.destroy(new Error('heartbeat missed'))
      this.lost(link, new Error(`no traffic from the broker for ${Date.now() - changedAt} ms`))
    }, every)
    this.watchdog.unref()
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = undefined
  }

  async close(): Promise<void> {
    this.closing = true
    this.stopWatchdog()
    for (const w of [...this.waiters]) w()
    const link = this.link
    this.link = undefined
    if (link) {
      link.model.removeAllListeners('close')
      await link.model.close().catch(() => {})
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
