/**
 * Compute agents: the driver contract and the fake driver, the agent that keeps a host's
 * provider tree in placement and serves the `compute` RPC interface, and the config
 * sections the compute module merges. See README.md for the flow.
 */
export * from './agent.js'
export * from './config.js'
export * from './drivers/index.js'
export * from './errors.js'
export * from './placement-client.js'
export * from './provider-tree.js'
export * from './rpc.js'
export * from './start-agents.js'
