/**
 * RabbitMQ settings: the transport URL parsed into broker addresses, and the
 * `[oslo_messaging_rabbit]` and `[bus]` options resolved into one object, with
 * `[bus] profile = upstream` forcing oslo.messaging's own defaults.
 */
import { MalformedMessage } from './errors.js'

export interface BrokerAddress {
  hostname: string
  port: number
  username: string
  password: string
}

export interface TransportUrl {
  hosts: BrokerAddress[]
  vhost: string
  ssl: boolean
}

/**
 * Reads `rabbit://user:pass@h1:5672,user:pass@h2:5672/vhost` (oslo.messaging's form; a
 * host without credentials takes the previous host's). `amqp://` is accepted too.
 */
export function parseTransportUrl(url: string): TransportUrl {
  const m = /^(rabbit|amqp|amqps):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url.trim())
  if (!m) throw new MalformedMessage('transport_url must look like rabbit://user:pass@host:5672/vhost')
  const query = new URLSearchParams(m[4] ?? '')
  const ssl = m[1] === 'amqps' || ['1', 'true', 'yes'].includes((query.get('ssl') ?? '').toLowerCase())
  const defaultPort = ssl ? 5671 : 5672
  const hosts: BrokerAddress[] = []
  let previous: Pick<BrokerAddress, 'username' | 'password'> = { username: 'guest', password: 'guest' }
  for (const part of m[2]!.split(',')) {
    if (!part) continue
    const at = part.lastIndexOf('@')
    let creds = previous
    if (at >= 0) {
      const userinfo = part.slice(0, at)
      const colon = userinfo.indexOf(':')
      creds = {
        username: decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo),
        password: decodeURIComponent(colon >= 0 ? userinfo.slice(colon + 1) : ''),
      }
    }
    const hostPort = at >= 0 ? part.slice(at + 1) : part
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort)
    if (!hp) throw new MalformedMessage('transport_url has a host that is not host[:port]')
    hosts.push({
      hostname: hp[1]!.replace(/^\[|\]$/g, ''),
      port: hp[2] ? Number(hp[2]) : defaultPort,
      ...creds,
    })
    previous = creds
  }
  if (hosts.length === 0) throw new MalformedMessage('transport_url names no broker host')
  const path = m[3] ?? '/'
  const vhost = path === '/' || path === '' ? '/' : decodeURIComponent(path.slice(1))
  return { hosts, vhost, ssl }
}

/** A broker address for logs: never the password. */
export function describeBroker(a: BrokerAddress): string {
  return `${a.hostname}:${a.port}`
}

export interface RabbitOptions {
  url: TransportUrl
  /** The topic exchange of RPC and notifications (`[DEFAULT] control_exchange`). */
  exchange: string
  profile: 'recommended' | 'upstream'
  quorum: boolean
  transientQuorum: boolean
  deliveryLimit: number
  transientTtlSeconds: number
  streamFanout: boolean
  queueManager: boolean
  hostname: string
  processname: string
  heartbeatThreshold: number
  heartbeatRate: number
  failover: 'round-robin' | 'shuffle'
  retryInterval: number
  retryBackoff: number
  intervalMax: number
  durable: boolean
  autoDelete: boolean
  mandatoryReplies: boolean
  confirms: boolean
  /** Dead-letter exchange and queue; none in the upstream profile. */
  deadLetter: boolean
  /** Replies through `amq.rabbitmq.reply-to` instead of a reply queue. */
  directReplyTo: boolean
}

/** The `[oslo_messaging_rabbit]`, `[bus]` and `[DEFAULT]` values this transport reads. */
export interface RabbitSettings {
  transport_url: string
  control_exchange: string
  rabbit: {
    ssl: boolean
    rabbit_quorum_queue: boolean
    rabbit_transient_quorum_queue: boolean
    rabbit_quorum_delivery_limit: number
    rabbit_transient_queues_ttl: number
    rabbit_stream_fanout: boolean
    use_queue_manager: boolean
    hostname: string
    processname: string
    heartbeat_timeout_threshold: number
    heartbeat_rate: number
    kombu_failover_strategy: 'round-robin' | 'shuffle'
    rabbit_retry_interval: number
    rabbit_retry_backoff: number
    rabbit_interval_max: number
    amqp_durable_queues: boolean
    amqp_auto_delete: boolean
    direct_mandatory_flag: boolean
  }
  profile: 'recommended' | 'upstream'
  publisher_confirms: boolean
  direct_reply_to?: boolean
}

export function resolveRabbitOptions(s: RabbitSettings): RabbitOptions {
  const r = s.rabbit
  const url = parseTransportUrl(s.transport_url)
  if (r.ssl) url.ssl = true
  const base: RabbitOptions = {
    url,
    exchange: s.control_exchange,
    profile: s.profile,
    quorum: r.rabbit_quorum_queue,
    transientQuorum: r.rabbit_transient_quorum_queue,
    deliveryLimit: r.rabbit_quorum_delivery_limit,
    transientTtlSeconds: r.rabbit_transient_queues_ttl,
    streamFanout: r.rabbit_stream_fanout,
    queueManager: r.use_queue_manager,
    hostname: r.hostname,
    processname: r.processname,
    heartbeatThreshold: r.heartbeat_timeout_threshold,
    heartbeatRate: r.heartbeat_rate,
    failover: r.kombu_failover_strategy,
    retryInterval: r.rabbit_retry_interval,
    retryBackoff: r.rabbit_retry_backoff,
    intervalMax: r.rabbit_interval_max,
    durable: r.amqp_durable_queues,
    autoDelete: r.amqp_auto_delete,
    mandatoryReplies: r.direct_mandatory_flag,
    confirms: s.publisher_confirms,
    deadLetter: true,
    directReplyTo: s.direct_reply_to ?? false,
  }
  if (s.profile === 'upstream') {
    // NOTE: oslo.messaging's defaults, for the side-by-side fault runs: classic
    // non-durable queues, random reply and fanout queue names, transient messages, no
    // publisher confirms, nothing dead-lettered (a bad message is dropped).
    Object.assign(base, {
      quorum: false,
      transientQuorum: false,
      streamFanout: false,
      queueManager: false,
      durable: false,
      autoDelete: false,
      confirms: false,
      deadLetter: false,
    })
  }
  return base
}
