/**
 * Server rules by upstream name: the servers API, its metadata, tags, addresses,
 * instance actions and deferred delete; os-services, os-hypervisors and
 * os-server-external-events, which only administrators (and services) use.
 */
import { ADMIN, PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const SERVER = {
  INDEX: 'os_compute_api:servers:index',
  INDEX_ALL: 'os_compute_api:servers:index:get_all_tenants',
  DETAIL: 'os_compute_api:servers:detail',
  DETAIL_ALL: 'os_compute_api:servers:detail:get_all_tenants',
  ALL_FILTERS: 'os_compute_api:servers:allow_all_filters',
  SHOW: 'os_compute_api:servers:show',
  HOST_STATUS: 'os_compute_api:servers:show:host_status',
  CREATE: 'os_compute_api:servers:create',
  FORCED_HOST: 'os_compute_api:servers:create:forced_host',
  REQUESTED_DESTINATION: 'os_compute_api:servers:create:requested_destination',
  ATTACH_NETWORK: 'os_compute_api:servers:create:attach_network',
  UPDATE: 'os_compute_api:servers:update',
  DELETE: 'os_compute_api:servers:delete',
  EXTENDED_ATTRIBUTES: 'os_compute_api:os-extended-server-attributes',
  RESTORE: 'os_compute_api:os-deferred-delete:restore',
  FORCE_DELETE: 'os_compute_api:os-deferred-delete:force',
  META_INDEX: 'os_compute_api:server-metadata:index',
  META_SHOW: 'os_compute_api:server-metadata:show',
  META_CREATE: 'os_compute_api:server-metadata:create',
  META_UPDATE: 'os_compute_api:server-metadata:update',
  META_UPDATE_ALL: 'os_compute_api:server-metadata:update_all',
  META_DELETE: 'os_compute_api:server-metadata:delete',
  TAGS_INDEX: 'os_compute_api:os-server-tags:index',
  TAGS_SHOW: 'os_compute_api:os-server-tags:show',
  TAGS_UPDATE: 'os_compute_api:os-server-tags:update',
  TAGS_UPDATE_ALL: 'os_compute_api:os-server-tags:update_all',
  TAGS_DELETE: 'os_compute_api:os-server-tags:delete',
  TAGS_DELETE_ALL: 'os_compute_api:os-server-tags:delete_all',
  IPS_INDEX: 'os_compute_api:ips:index',
  IPS_SHOW: 'os_compute_api:ips:show',
  ACTIONS_LIST: 'os_compute_api:os-instance-actions:list',
  ACTIONS_SHOW: 'os_compute_api:os-instance-actions:show',
  ACTIONS_EVENTS: 'os_compute_api:os-instance-actions:events',
  ACTIONS_EVENT_DETAILS: 'os_compute_api:os-instance-actions:events:details',
  EXTERNAL_EVENTS: 'os_compute_api:os-server-external-events:create',
  SERVICES_LIST: 'os_compute_api:os-services:list',
  SERVICES_UPDATE: 'os_compute_api:os-services:update',
  SERVICES_DELETE: 'os_compute_api:os-services:delete',
  HYPERVISORS_LIST: 'os_compute_api:os-hypervisors:list',
  HYPERVISORS_DETAIL: 'os_compute_api:os-hypervisors:list-detail',
  HYPERVISORS_SHOW: 'os_compute_api:os-hypervisors:show',
  HYPERVISORS_STATS: 'os_compute_api:os-hypervisors:statistics',
  HYPERVISORS_UPTIME: 'os_compute_api:os-hypervisors:uptime',
  HYPERVISORS_SEARCH: 'os_compute_api:os-hypervisors:search',
  HYPERVISORS_SERVERS: 'os_compute_api:os-hypervisors:servers',
} as const

const S = '/servers'
const SID = `${S}/{server_id}`
const LEGACY_OWNER = 'rule:admin_or_owner'
const LEGACY_ADMIN = 'rule:admin_api'

const member = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_MEMBER_OR_ADMIN, what, [{ method, path }], LEGACY_OWNER)
const reader = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_READER_OR_ADMIN, what, [{ method, path }], LEGACY_OWNER)
const admin = (name: string, what: string, method: string, path: string) =>
  rule(name, ADMIN, what, [{ method, path }], LEGACY_ADMIN)

export const SERVER_RULES = [
  reader(SERVER.INDEX, 'List all servers', 'GET', S),
  reader(SERVER.DETAIL, 'List all servers with detailed information', 'GET', `${S}/detail`),
  admin(SERVER.INDEX_ALL, 'List all servers for all projects', 'GET', S),
  admin(
    SERVER.DETAIL_ALL,
    'List all servers with detailed information for all projects',
    'GET',
    `${S}/detail`,
  ),
  admin(SERVER.ALL_FILTERS, 'Allow all filters when listing servers', 'GET', S),
  reader(SERVER.SHOW, 'Show a server', 'GET', SID),
  admin(SERVER.HOST_STATUS, 'Show a server with host status information', 'GET', SID),
  member(SERVER.CREATE, 'Create a server', 'POST', S),
  admin(SERVER.FORCED_HOST, 'Create a server on the specified host and/or node', 'POST', S),
  admin(
    SERVER.REQUESTED_DESTINATION,
    'Create a server on the requested compute service host and/or hypervisor_hostname',
    'POST',
    S,
  ),
  member(SERVER.ATTACH_NETWORK, 'Create a server with the requested network attached to it', 'POST', S),
  member(SERVER.UPDATE, 'Update a server', 'PUT', SID),
  member(SERVER.DELETE, 'Delete a server', 'DELETE', SID),
  admin(SERVER.EXTENDED_ATTRIBUTES, 'Return extended attributes for server', 'GET', SID),
  member(SERVER.RESTORE, 'Restore a soft deleted server', 'POST', `${SID}/action (restore)`),
  member(
    SERVER.FORCE_DELETE,
    'Force delete a server before deferred cleanup',
    'POST',
    `${SID}/action (forceDelete)`,
  ),
  reader(SERVER.META_INDEX, 'List all metadata of a server', 'GET', `${SID}/metadata`),
  reader(SERVER.META_SHOW, 'Show metadata for a server', 'GET', `${SID}/metadata/{key}`),
  member(SERVER.META_CREATE, 'Create metadata for a server', 'POST', `${SID}/metadata`),
  member(SERVER.META_UPDATE_ALL, 'Replace metadata for a server', 'PUT', `${SID}/metadata`),
  member(SERVER.META_UPDATE, 'Update metadata from a server', 'PUT', `${SID}/metadata/{key}`),
  member(SERVER.META_DELETE, 'Delete metadata from a server', 'DELETE', `${SID}/metadata/{key}`),
  reader(SERVER.TAGS_INDEX, 'List all tags for given server', 'GET', `${SID}/tags`),
  reader(SERVER.TAGS_SHOW, 'Check tag existence on the server', 'GET', `${SID}/tags/{tag}`),
  member(SERVER.TAGS_UPDATE, 'Add a single tag to the server', 'PUT', `${SID}/tags/{tag}`),
  member(SERVER.TAGS_UPDATE_ALL, 'Replace all tags on specified server', 'PUT', `${SID}/tags`),
  member(SERVER.TAGS_DELETE, 'Delete a single tag from the specified server', 'DELETE', `${SID}/tags/{tag}`),
  member(SERVER.TAGS_DELETE_ALL, 'Delete all the server tags', 'DELETE', `${SID}/tags`),
  reader(SERVER.IPS_INDEX, 'List IP addresses that are assigned to a server', 'GET', `${SID}/ips`),
  reader(
    SERVER.IPS_SHOW,
    'Show IP addresses details for a network label of a server',
    'GET',
    `${SID}/ips/{network_label}`,
  ),
  reader(SERVER.ACTIONS_LIST, 'List actions for a server', 'GET', `${SID}/os-instance-actions`),
  reader(
    SERVER.ACTIONS_SHOW,
    'Show action details for a server',
    'GET',
    `${SID}/os-instance-actions/{request_id}`,
  ),
  admin(
    SERVER.ACTIONS_EVENTS,
    'Add events details in action details for a server',
    'GET',
    `${SID}/os-instance-actions/{request_id}`,
  ),
  reader(
    SERVER.ACTIONS_EVENT_DETAILS,
    'Add "details" key in action events for a server',
    'GET',
    `${SID}/os-instance-actions/{request_id}`,
  ),
  admin(SERVER.EXTERNAL_EVENTS, 'Create one or more external events', 'POST', '/os-server-external-events'),
  admin(SERVER.SERVICES_LIST, 'List all running Compute services in a region', 'GET', '/os-services'),
  admin(SERVER.SERVICES_UPDATE, 'Update a Compute service', 'PUT', '/os-services/{service_id}'),
  admin(SERVER.SERVICES_DELETE, 'Delete a Compute service', 'DELETE', '/os-services/{service_id}'),
  admin(SERVER.HYPERVISORS_LIST, 'List all hypervisors', 'GET', '/os-hypervisors'),
  admin(SERVER.HYPERVISORS_DETAIL, 'List all hypervisors with details', 'GET', '/os-hypervisors/details'),
  admin(SERVER.HYPERVISORS_SHOW, 'Show details for a hypervisor', 'GET', '/os-hypervisors/{hypervisor_id}'),
  admin(
    SERVER.HYPERVISORS_STATS,
    'Show summary statistics for all hypervisors over all compute nodes',
    'GET',
    '/os-hypervisors/statistics',
  ),
  admin(
    SERVER.HYPERVISORS_UPTIME,
    'Show the uptime of a hypervisor',
    'GET',
    '/os-hypervisors/{hypervisor_id}/uptime',
  ),
  admin(
    SERVER.HYPERVISORS_SEARCH,
    'Search hypervisor by hypervisor_hostname pattern',
    'GET',
    '/os-hypervisors/{pattern}/search',
  ),
  admin(
    SERVER.HYPERVISORS_SERVERS,
    'List all servers on hypervisors',
    'GET',
    '/os-hypervisors/{pattern}/servers',
  ),
]
