/**
 * The message bus: one contract (`Bus`), an in-process and a RabbitMQ transport chosen by
 * `[DEFAULT] transport_url`, the configuration sections to merge into the host's schema,
 * and the durable outbox for casts that must survive a crash of their sender.
 */
export * from './bus.js'
export { type BusConfig, busConfig, DEFAULT_PROCESSNAME } from './config.js'
export { type BusConfigView, type CreateBusOptions, createBus } from './create-bus.js'
export * from './errors.js'
export { type DeadLetter, InProcessBroker, InProcessTransport } from './in-process.js'
export { type BusLogger, MessageBus, type MessageBusOptions } from './message-bus.js'
export {
  addToOutbox,
  busMigrations,
  handleOnce,
  Outbox,
  type OutboxOptions,
  type OutboxSendOptions,
  type OutboxTables,
  pruneProcessed,
} from './outbox.js'
export { parseTransportUrl } from './rabbit-options.js'
export { registerBusMetrics } from './bus-metrics.js'
