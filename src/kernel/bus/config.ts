/**
 * The bus's configuration sections, for the host to merge into its schema:
 * `[DEFAULT]` (transport URL, RPC timeout, control exchange), `[oslo_messaging_rabbit]`
 * with upstream's option names so an operator's section carries over, and `[bus]` for
 * what only Cloudlet has (the profile, publisher confirms, message size, duplicate window).
 *
 * NOTE: the recommendations operators give for RabbitMQ (quorum queues, transient quorum
 * queues, a queue manager with stable names, stream fanout) are off by default upstream
 * and on by default here; `[bus] profile = upstream` turns them all off at once.
 */
import { hostname } from 'node:os'
import { basename } from 'node:path'
import { type ConfigOf, defineSections, opt } from '../config/index.js'

/** The process name queue names use unless `[oslo_messaging_rabbit] processname` says otherwise. */
export const DEFAULT_PROCESSNAME = basename(process.argv[1] ?? 'node').replace(/\.[cm]?js$/, '')

export const busConfig = defineSections({
  DEFAULT: {
    transport_url: opt.str({
      default: undefined,
      secret: true,
      help: 'Message bus URL: rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost. Unset: the in-process bus (one process only).',
    }),
    rpc_response_timeout: opt.int({
      default: 60,
      min: 1,
      help: 'Seconds a call waits for its reply (and a cast for its broker confirmation) before failing with a retriable timeout.',
    }),
    control_exchange: opt.str({
      default: 'openstack',
      help: 'The exchange RPC topics and notifications are published to.',
    }),
  },
  oslo_messaging_rabbit: {
    ssl: opt.bool({ default: false, help: 'Connect over TLS (amqps).' }),
    rabbit_quorum_queue: opt.bool({
      default: true,
      help: 'RPC server and notification queues are quorum queues (replicated, survive the loss of a node).',
    }),
    rabbit_transient_quorum_queue: opt.bool({
      default: true,
      help: 'Reply queues and per-consumer fanout queues are quorum queues too, expiring when unused.',
    }),
    rabbit_quorum_delivery_limit: opt.int({
      default: 5,
      min: 0,
      help: 'A message redelivered this many times is dead-lettered instead of redelivered forever; 0 means no limit.',
    }),
    rabbit_transient_queues_ttl: opt.int({
      default: 1800,
      min: 1,
      help: 'Seconds an unused reply or fanout queue lives before the broker deletes it.',
    }),
    rabbit_stream_fanout: opt.bool({
      default: true,
      help: 'Fanout goes through one stream per topic that every server reads, instead of one queue per server.',
    }),
    use_queue_manager: opt.bool({
      default: true,
      help: 'Name reply and fanout queues from hostname and processname, so a restarted process reuses its queues.',
    }),
    hostname: opt.str({ default: hostname(), help: 'Host name used in queue names.' }),
    processname: opt.str({
      default: DEFAULT_PROCESSNAME,
      help: 'Process name used in queue names; processes of one name on one host take numbered slots.',
    }),
    heartbeat_timeout_threshold: opt.int({
      default: 60,
      min: 0,
      help: 'AMQP heartbeats: the interval is half this; a connection that received nothing for one and a half intervals is declared dead and replaced. 0 disables heartbeats.',
    }),
    heartbeat_rate: opt.int({
      default: 2,
      min: 1,
      help: 'How many times per half heartbeat interval the connection is checked for silence.',
    }),
    kombu_failover_strategy: opt.enum({
      choices: ['round-robin', 'shuffle'] as const,
      default: 'round-robin',
      help: 'How the next broker host is chosen when the connection is lost.',
    }),
    rabbit_retry_interval: opt.int({
      default: 1,
      min: 0,
      help: 'Seconds before the first reconnection attempt.',
    }),
    rabbit_retry_backoff: opt.int({
      default: 2,
      min: 0,
      help: 'Seconds added to the wait after each failed attempt.',
    }),
    rabbit_interval_max: opt.int({
      default: 30,
      min: 1,
      help: 'Longest wait between reconnection attempts.',
    }),
    rabbit_qos_prefetch_count: opt.int({
      default: 64,
      min: 0,
      help: 'Messages a consumer holds unacknowledged at once (its concurrency); 0 means no limit.',
    }),
    amqp_durable_queues: opt.bool({
      default: true,
      help: 'Classic queues and exchanges survive a broker restart and messages are persistent (quorum queues always are).',
    }),
    amqp_auto_delete: opt.bool({
      default: false,
      help: 'Classic RPC queues are deleted when their last consumer goes.',
    }),
    direct_mandatory_flag: opt.bool({
      default: true,
      help: 'Replies are published mandatory; one whose reply queue is gone is counted instead of dropped silently.',
    }),
  },
  bus: {
    profile: opt.enum({
      choices: ['recommended', 'upstream'] as const,
      default: 'recommended',
      help: "'upstream' behaves as oslo.messaging's defaults (classic non-durable queues, random queue names, no publisher confirms, no streams), for comparison.",
    }),
    publisher_confirms: opt.bool({
      default: true,
      help: 'Wait for the broker to confirm each cast, fanout, notification and reply before reporting it sent.',
    }),
    direct_reply_to: opt.bool({
      default: false,
      help: "Replies travel through RabbitMQ's direct reply-to instead of the process's reply queue: no queue and no disk write per reply (faster calls), but a reply sent while the caller reconnects is lost and that call times out.",
    }),
    max_message_size: opt.int({
      default: 16 * 1024 * 1024,
      min: 1024,
      help: 'Largest encoded message in bytes; larger ones are refused by the sender and dead-lettered by a receiver.',
    }),
    duplicate_window_size: opt.int({
      default: 10000,
      min: 0,
      help: 'Message ids each server remembers to handle a redelivered or resent message once.',
    }),
    duplicate_window_seconds: opt.int({
      default: 600,
      min: 0,
      help: 'How long a handled message id is remembered.',
    }),
  },
})

export type BusConfig = ConfigOf<typeof busConfig>
