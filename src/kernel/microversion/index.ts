export * from './version.js'
