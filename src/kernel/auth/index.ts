export * from './access-rules.js'
export * from './context.js'
export * from './noauth2.js'
export * from './remote-token-validator.js'
