/**
 * The kernel's test kit: personas with tokens, a fake token validator, and an inject
 * harness that runs a set of modules on a real host. Only tests import it.
 */
export * from './fake-tokens.js'
export * from './personas.js'
export * from './service-token.js'
export * from './test-host.js'
