export * from './domain-error.js'
export * from './fault-renderers.js'
export * from './http-error-mapping.js'
