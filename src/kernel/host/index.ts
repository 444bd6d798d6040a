/**
 * The host: modules, their context, background tasks and service clients.
 */
export * from './host.js'
export * from './host-config.js'
export * from './module.js'
export * from './service-client.js'
export * from './tasks.js'
