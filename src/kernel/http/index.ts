export * from './app.js'
export * from './client-errors.js'
export * from './service-scope.js'
