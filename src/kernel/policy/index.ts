/**
 * The policy engine: oslo.policy check strings, parsed and compiled once, and an
 * Enforcer that every service uses to guard its API calls.
 */
export * from './enforcer.js'
export * from './rule.js'
