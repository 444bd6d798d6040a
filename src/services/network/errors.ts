/**
 * The network service's domain errors and its fault body. Each error carries a stable
 * code (`network.<noun>.<problem>`) and the Neutron exception name clients read as
 * `NeutronError.type` (`NetworkNotFound`, `IpAddressGenerationFailure`, ...), with
 * Neutron's message wording.
 *
 *   {"NeutronError": {"type": "NetworkInUse", "message": "...", "detail": ""}}
 */
import type { ErrorKind, FaultRenderer } from '../../kernel/errors/index.js'
import { DomainError } from '../../kernel/errors/index.js'

/** Neutron type by stable code, filled as error classes are constructed. */
const TYPES = new Map<string, string>()

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'HTTPBadRequest',
  401: 'HTTPUnauthorized',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed',
  406: 'HTTPNotAcceptable',
  409: 'HTTPConflict',
  412: 'HTTPPreconditionFailed',
  413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType',
  500: 'HTTPInternalServerError',
  503: 'HTTPServiceUnavailable',
}

/** Neutron's body: the exception's class name as `type`, its message, an empty detail. */
export const neutronFault: FaultRenderer = (fault) => ({
  body: {
    NeutronError: {
      type: TYPES.get(fault.code) ?? TYPE_BY_STATUS[fault.status] ?? 'HTTPInternalServerError',
      message: fault.message,
      detail: '',
    },
  },
})

/** A Neutron exception: kind (the status), code, Neutron type, message. */
export class NeutronError extends DomainError {
  constructor(kind: ErrorKind, code: string, type: string, message: string) {
    super(kind, code, message)
    TYPES.set(code, type)
  }
}

const cls =
  (kind: ErrorKind, code: string, type: string) =>
  (message: string): NeutronError =>
    new NeutronError(kind, code, type, message)

// --- input
export const badRequest = cls('bad_request', 'network.input.bad_request', 'HTTPBadRequest')
export const invalidInput = (msg: string) =>
  new NeutronError(
    'bad_request',
    'network.input.invalid',
    'InvalidInput',
    `Invalid input for operation: ${msg}.`,
  )
export const badAttribute = (attr: string, reason: string) =>
  new NeutronError(
    'bad_request',
    'network.input.invalid_attribute',
    'HTTPBadRequest',
    `Invalid input for ${attr}. Reason: ${reason}.`,
  )
export const invalidFilter = (name: string) =>
  new NeutronError(
    'bad_request',
    'network.input.invalid_filter',
    'HTTPBadRequest',
    `[${name}] is invalid attribute for filtering`,
  )

// --- generic
export const notFound = (resource: string, id: string, type = `${camel(resource)}NotFound`) =>
  new NeutronError('not_found', `network.${resource}.not_found`, type, notFoundMessage(resource, id))

function notFoundMessage(resource: string, id: string): string {
  const label: Record<string, string> = {
    network: 'Network',
    subnet: 'Subnet',
    port: 'Port',
    router: 'Router',
    floatingip: 'Floating IP',
    security_group: 'Security group',
    security_group_rule: 'Security group rule',
    segment: 'Segment',
    trunk: 'Trunk',
    rbac_policy: 'RBAC policy',
    address_scope: 'Address scope',
    subnetpool: 'Subnet pool',
    extension: 'Extension',
  }
  if (resource === 'security_group') return `Security group ${id} does not exist`
  if (resource === 'security_group_rule') return `Security group rule ${id} does not exist`
  return `${label[resource] ?? resource} ${id} could not be found.`
}

function camel(resource: string): string {
  const map: Record<string, string> = {
    floatingip: 'FloatingIP',
    security_group: 'SecurityGroup',
    security_group_rule: 'SecurityGroupRule',
    rbac_policy: 'RbacPolicy',
    address_scope: 'AddressScope',
    subnetpool: 'SubnetPool',
  }
  return map[resource] ?? resource.charAt(0).toUpperCase() + resource.slice(1)
}

export const policyNotAuthorized = (rule: string) =>
  new NeutronError(
    'forbidden',
    'network.policy.not_authorized',
    'PolicyNotAuthorized',
    `(rule:${rule}) is disallowed by policy`,
  )

export const revisionMismatch = (expected: number, current: number) =>
  new NeutronError(
    'precondition_failed',
    'network.revision.mismatch',
    'RevisionNumberConstraintFailed',
    `Constrained to ${expected}, but current revision is ${current}`,
  )

export const concurrentUpdate = cls('conflict', 'network.concurrent_update', 'HTTPConflict')

// --- networks
export const networkInUse = (id: string, ports: readonly string[]) =>
  new NeutronError(
    'conflict',
    'network.network.in_use',
    'NetworkInUse',
    `Unable to complete operation on network ${id}. There are one or more ports still in use on the network${
      ports.length ? ` (ports: ${ports.slice(0, 10).join(', ')}${ports.length > 10 ? ', ...' : ''})` : ''
    }.`,
  )
export const noNetworkAvailable = (detail: string) =>
  new NeutronError(
    'service_unavailable',
    'network.segment.exhausted',
    'NoNetworkAvailable',
    `Unable to create the network. No tenant network is available for allocation. ${detail}`,
  )
export const segmentationIdInUse = (type: string, id: number, physnet?: string) =>
  new NeutronError(
    'conflict',
    'network.segment.id_in_use',
    physnet ? 'VlanIdInUse' : 'TunnelIdInUse',
    physnet
      ? `Unable to create the network. The VLAN ${id} on physical network ${physnet} is in use.`
      : `Unable to create the network. The ${type} id ${id} is in use.`,
  )
export const flatNetworkInUse = (physnet: string) =>
  new NeutronError(
    'conflict',
    'network.segment.flat_in_use',
    'FlatNetworkInUse',
    `Unable to create the flat network. Physical network ${physnet} is in use.`,
  )

// --- subnets and addresses
export const subnetInUse = (id: string, ports: readonly string[]) =>
  new NeutronError(
    'conflict',
    'network.subnet.in_use',
    'SubnetInUse',
    `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet${
      ports.length ? ` (ports: ${ports.slice(0, 10).join(', ')})` : ''
    }.`,
  )
export const ipExhausted = (networkId: string) =>
  new NeutronError(
    'conflict',
    'network.ip.exhausted',
    'IpAddressGenerationFailure',
    `No more IP addresses available on network ${networkId}.`,
  )
export const ipInUse = (networkId: string, ip: string) =>
  new NeutronError(
    'conflict',
    'network.ip.in_use',
    'IpAddressInUse',
    `Unable to complete operation for network ${networkId}. The IP address ${ip} is in use.`,
  )
export const macInUse = (networkId: string, mac: string) =>
  new NeutronError(
    'conflict',
    'network.mac.in_use',
    'MacAddressInUse',
    `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`,
  )
export const macGenerationFailure = (networkId: string) =>
  new NeutronError(
    'service_unavailable',
    'network.mac.generation_failed',
    'MacAddressGenerationFailure',
    `Unable to generate unique mac on network ${networkId}.`,
  )

// --- ports
export const portInUse = cls('conflict', 'network.port.in_use', 'PortInUse')
export const portBoundToTrunk = (portId: string, trunkId: string) =>
  new NeutronError(
    'conflict',
    'network.port.trunk_parent',
    'PortInUseAsTrunkParent',
    `Port ${portId} is currently a parent port for trunk ${trunkId}; delete the trunk first.`,
  )
export const addressPairsNeedPortSecurity = () =>
  new NeutronError(
    'conflict',
    'network.port.address_pairs_need_security',
    'AddressPairAndPortSecurityRequired',
    'Port Security must be enabled in order to have allowed address pairs on a port.',
  )
export const securityGroupsNeedPortSecurity = () =>
  new NeutronError(
    'bad_request',
    'network.port.security_groups_need_security',
    'PortSecurityAndIPRequiredForSecurityGroups',
    'Port security must be enabled and port must have an IP address in order to use security groups.',
  )

// --- security groups
export const securityGroupInUse = (id: string, ports: readonly string[]) =>
  new NeutronError(
    'conflict',
    'network.security_group.in_use',
    'SecurityGroupInUse',
    `Security Group ${id} in use${ports.length ? ` by ports: ${ports.slice(0, 10).join(', ')}` : ''}.`,
  )
export const securityGroupRuleExists = (id: string) =>
  new NeutronError(
    'conflict',
    'network.security_group_rule.exists',
    'SecurityGroupRuleExists',
    `Security group rule already exists. Rule id is ${id}.`,
  )
export const cannotRemoveDefault = () =>
  new NeutronError(
    'conflict',
    'network.security_group.default',
    'SecurityGroupCannotRemoveDefault',
    'Insufficient rights for removing default security group.',
  )

// --- routers and floating IPs
export const routerInUse = (id: string, ports: readonly string[]) =>
  new NeutronError(
    'conflict',
    'network.router.in_use',
    'RouterInUse',
    `Router ${id} still has ports${ports.length ? ` (${ports.slice(0, 10).join(', ')})` : ''}.`,
  )
export const routerInterfaceInUse = cls(
  'conflict',
  'network.router.interface_in_use',
  'RouterInterfaceInUseByFloatingIP',
)
export const externalGatewayUnreachable = (networkId: string, subnetId: string, portId: string) =>
  new NeutronError(
    'not_found',
    'network.floatingip.unreachable',
    'ExternalGatewayForFloatingIPNotFound',
    `External network ${networkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
  )
export const floatingIpInUse = cls(
  'conflict',
  'network.floatingip.port_has_one',
  'FloatingIPPortAlreadyAssociated',
)

// --- quotas
export const overQuota = (resource: string) =>
  new NeutronError(
    'conflict',
    'network.quota.exceeded',
    'OverQuota',
    `Quota exceeded for resources: ['${resource}'].`,
  )

// --- anything else in Neutron's words
export const conflict = cls('conflict', 'network.conflict', 'Conflict')
export const inUse = (code: string, type: string, message: string) =>
  new NeutronError('conflict', code, type, message)
export const typed = (kind: ErrorKind, code: string, type: string, message: string) =>
  new NeutronError(kind, code, type, message)
