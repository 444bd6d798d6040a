/**
 * The standard collections: each is the shared collection handlers over one domain.
 */
import { collection } from './common.js'

export const networks = collection((d) => d.networks, 'networks')
export const subnets = collection((d) => d.subnets, 'subnets')
export const ports = collection((d) => d.ports, 'ports')
export const securityGroups = collection((d) => d.securityGroups, 'security-groups')
export const securityGroupRules = collection((d) => d.securityGroupRules, 'security-group-rules')
