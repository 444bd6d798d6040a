/** The domain services the handlers call, as service.ts builds them. */
import type { Agents } from './domain/agents.js'
import type { AutoTopology } from './domain/auto-topology.js'
import type { IpAvailability } from './domain/availability.js'
import type { FloatingIps } from './domain/floating-ips.js'
import type { MeteringLabels, MeteringRules } from './domain/metering.js'
import type { Networks } from './domain/networks.js'
import type { PortForwardings } from './domain/port-forwardings.js'
import type { Ports } from './domain/ports.js'
import type { QosPolicies } from './domain/qos.js'
import type { Quotas } from './domain/quotas.js'
import type { RbacPolicies } from './domain/rbac.js'
import type { Routers } from './domain/routers.js'
import type { SecurityGroupRules, SecurityGroups } from './domain/security-groups.js'
import type { Segments } from './domain/segments.js'
import type { AddressScopes, SubnetPools } from './domain/subnet-pools.js'
import type { Subnets } from './domain/subnets.js'
import type { Trunks } from './domain/trunks.js'

export interface Services {
  networks: Networks
  subnets: Subnets
  ports: Ports
  securityGroups: SecurityGroups
  securityGroupRules: SecurityGroupRules
  quotas: Quotas
  routers: Routers
  floatingIps: FloatingIps
  trunks: Trunks
  rbacPolicies: RbacPolicies
  segments: Segments
  meteringLabels: MeteringLabels
  meteringRules: MeteringRules
  ipAvailability: IpAvailability
  agents: Agents
  addressScopes: AddressScopes
  subnetPools: SubnetPools
  qosPolicies: QosPolicies
  portForwardings: PortForwardings
  autoTopology: AutoTopology
}
