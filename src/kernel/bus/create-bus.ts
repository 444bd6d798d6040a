/**
 * `createBus(config)`: the one way a process gets its bus. `[DEFAULT] transport_url`
 * picks the transport (absent: in-process; `rabbit://`: RabbitMQ), the rest of the
 * configuration sets timeouts, limits and the RabbitMQ options.
 */
import { type BusConfig, DEFAULT_PROCESSNAME } from './config.js'
import { InProcessBroker, InProcessTransport } from './in-process.js'
import { type BusLogger, MessageBus } from './message-bus.js'
import { resolveRabbitOptions } from './rabbit-options.js'
import { RabbitTransport } from './rabbit-transport.js'

/** The sections `createBus` reads; the host's merged configuration has them. */
export type BusConfigView = Pick<BusConfig, 'DEFAULT' | 'oslo_messaging_rabbit' | 'bus'>

export interface CreateBusOptions {
  logger?: BusLogger
  /** In-process only: share one in-memory broker between buses (tests playing processes). */
  broker?: InProcessBroker
  /**
   * The role this process runs (`conductor`, `compute`…). Unless the operator set
   * `processname`, it is appended to the default one, so each role of one program on one
   * host keeps its own stable queue names whatever order the roles start in.
   */
  role?: string
}

/** Creates and starts the bus the configuration asks for. */
export async function createBus(config: BusConfigView, options: CreateBusOptions = {}): Promise<MessageBus> {
  const d = config.DEFAULT
  const r = config.oslo_messaging_rabbit
  const url = d.transport_url?.trim()
  const processname =
    options.role && r.processname === DEFAULT_PROCESSNAME ? `${r.processname}-${options.role}` : r.processname
  const transport = url
    ? new RabbitTransport(
        resolveRabbitOptions({
          transport_url: url,
          control_exchange: d.control_exchange,
          rabbit: { ...r, processname },
          profile: config.bus.profile,
          publisher_confirms: config.bus.publisher_confirms,
          direct_reply_to: config.bus.direct_reply_to,
        }),
        options.logger ?? { debug() {}, info() {}, warn() {}, error() {} },
      )
    : new InProcessTransport(options.broker ?? new InProcessBroker())
  const bus = new MessageBus(transport, {
    rpcResponseTimeout: d.rpc_response_timeout,
    maxMessageSize: config.bus.max_message_size,
    duplicateWindowSize: config.bus.duplicate_window_size,
    duplicateWindowSeconds: config.bus.duplicate_window_seconds,
    prefetch: r.rabbit_qos_prefetch_count,
    hostname: r.hostname,
    processname,
    ...(options.logger ? { logger: options.logger } : {}),
  })
  return bus.start()
}
