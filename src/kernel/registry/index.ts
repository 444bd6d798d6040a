export * from './cluster-lease.js'
export * from './service-registry.js'
