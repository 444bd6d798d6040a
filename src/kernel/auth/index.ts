export * from './context.js'
