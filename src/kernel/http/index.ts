export * from './app.js'
export * from './service-scope.js'
