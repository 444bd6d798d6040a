/**
 * Rules of a server's networking by upstream name: os-interface, the floating IP and
 * security group actions and lists, and the proxy APIs of the network service
 * (os-networks, os-tenant-networks, os-floating-ips, os-floating-ip-pools,
 * os-security-groups), which upstream keeps as project-reader/member rules.
 */
import { PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const NET = {
  INTERFACE_LIST: 'os_compute_api:os-attach-interfaces:list',
  INTERFACE_SHOW: 'os_compute_api:os-attach-interfaces:show',
  INTERFACE_CREATE: 'os_compute_api:os-attach-interfaces:create',
  INTERFACE_DELETE: 'os_compute_api:os-attach-interfaces:delete',
  FIXED_IP_ADD: 'os_compute_api:os-multinic:add',
  FIXED_IP_REMOVE: 'os_compute_api:os-multinic:remove',
  FIP_ADD: 'os_compute_api:os-floating-ips:add',
  FIP_REMOVE: 'os_compute_api:os-floating-ips:remove',
  FIP_LIST: 'os_compute_api:os-floating-ips:list',
  FIP_SHOW: 'os_compute_api:os-floating-ips:show',
  FIP_CREATE: 'os_compute_api:os-floating-ips:create',
  FIP_DELETE: 'os_compute_api:os-floating-ips:delete',
  FIP_POOLS: 'os_compute_api:os-floating-ip-pools',
  SG_ADD: 'os_compute_api:os-security-groups:add',
  SG_REMOVE: 'os_compute_api:os-security-groups:remove',
  SG_LIST_SERVER: 'os_compute_api:os-security-groups:list',
  SG_GET: 'os_compute_api:os-security-groups:get',
  SG_SHOW: 'os_compute_api:os-security-groups:show',
  SG_CREATE: 'os_compute_api:os-security-groups:create',
  SG_UPDATE: 'os_compute_api:os-security-groups:update',
  SG_DELETE: 'os_compute_api:os-security-groups:delete',
  SG_RULE_CREATE: 'os_compute_api:os-security-groups:rule:create',
  SG_RULE_DELETE: 'os_compute_api:os-security-groups:rule:delete',
  NETWORKS_LIST: 'os_compute_api:os-networks:list',
  NETWORKS_VIEW: 'os_compute_api:os-networks:view',
  TENANT_NETWORKS_LIST: 'os_compute_api:os-tenant-networks:list',
  TENANT_NETWORKS_SHOW: 'os_compute_api:os-tenant-networks:show',
} as const

const SID = '/servers/{server_id}'
const OWNER = 'rule:admin_or_owner'
const member = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_MEMBER_OR_ADMIN, what, [{ method, path }], OWNER)
const reader = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_READER_OR_ADMIN, what, [{ method, path }], OWNER)

export const SERVER_NETWORKING_RULES = [
  member(
    NET.FIXED_IP_ADD,
    'Add a fixed IP address to a server (deprecated)',
    'POST',
    `${SID}/action (addFixedIp)`,
  ),
  member(
    NET.FIXED_IP_REMOVE,
    'Remove a fixed IP address from a server (deprecated)',
    'POST',
    `${SID}/action (removeFixedIp)`,
  ),
  reader(NET.INTERFACE_LIST, 'List port interfaces attached to a server', 'GET', `${SID}/os-interface`),
  reader(NET.INTERFACE_SHOW, 'Show details of a port interface', 'GET', `${SID}/os-interface/{port_id}`),
  member(NET.INTERFACE_CREATE, 'Attach an interface to a server', 'POST', `${SID}/os-interface`),
  member(
    NET.INTERFACE_DELETE,
    'Detach an interface from a server',
    'DELETE',
    `${SID}/os-interface/{port_id}`,
  ),
  member(
    NET.FIP_ADD,
    'Associate floating IPs to server (deprecated)',
    'POST',
    `${SID}/action (addFloatingIp)`,
  ),
  member(
    NET.FIP_REMOVE,
    'Disassociate floating IPs (deprecated)',
    'POST',
    `${SID}/action (removeFloatingIp)`,
  ),
  reader(NET.FIP_LIST, 'List floating IPs (deprecated)', 'GET', '/os-floating-ips'),
  reader(NET.FIP_SHOW, 'Show floating IPs (deprecated)', 'GET', '/os-floating-ips/{floating_ip_id}'),
  member(NET.FIP_CREATE, 'Create floating IPs (deprecated)', 'POST', '/os-floating-ips'),
  member(NET.FIP_DELETE, 'Delete floating IPs (deprecated)', 'DELETE', '/os-floating-ips/{floating_ip_id}'),
  reader(NET.FIP_POOLS, 'List floating IP pools (deprecated)', 'GET', '/os-floating-ip-pools'),
  member(NET.SG_ADD, 'Add security groups to server', 'POST', `${SID}/action (addSecurityGroup)`),
  member(NET.SG_REMOVE, 'Remove security groups from server', 'POST', `${SID}/action (removeSecurityGroup)`),
  reader(NET.SG_LIST_SERVER, 'List security groups of server', 'GET', `${SID}/os-security-groups`),
  reader(NET.SG_GET, 'List security groups (deprecated)', 'GET', '/os-security-groups'),
  reader(NET.SG_SHOW, 'Show security group (deprecated)', 'GET', '/os-security-groups/{security_group_id}'),
  member(NET.SG_CREATE, 'Create security group (deprecated)', 'POST', '/os-security-groups'),
  member(
    NET.SG_UPDATE,
    'Update security group (deprecated)',
    'PUT',
    '/os-security-groups/{security_group_id}',
  ),
  member(
    NET.SG_DELETE,
    'Delete security group (deprecated)',
    'DELETE',
    '/os-security-groups/{security_group_id}',
  ),
  member(NET.SG_RULE_CREATE, 'Create security group Rule (deprecated)', 'POST', '/os-security-group-rules'),
  member(
    NET.SG_RULE_DELETE,
    'Delete security group Rule (deprecated)',
    'DELETE',
    '/os-security-group-rules/{security_group_id}',
  ),
  reader(NET.NETWORKS_LIST, 'List networks for the project (deprecated)', 'GET', '/os-networks'),
  reader(NET.NETWORKS_VIEW, 'Show network details (deprecated)', 'GET', '/os-networks/{network_id}'),
  reader(NET.TENANT_NETWORKS_LIST, 'List project networks (deprecated)', 'GET', '/os-tenant-networks'),
  reader(
    NET.TENANT_NETWORKS_SHOW,
    'Show project network details (deprecated)',
    'GET',
    '/os-tenant-networks/{network_id}',
  ),
]
