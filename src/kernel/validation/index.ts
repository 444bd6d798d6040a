export * from './schema-engine.js'
