/**
 * Rules of the operator-facing resources: quotas and quota classes, limits, services,
 * scheduler pools, hosts, capabilities and attachments.
 */
import { ADMIN_API, LEGACY_OWNER, MEMBER, READER, rule } from './base.js'

export const ADMIN = {
  QUOTA_SHOW: 'volume_extension:quotas:show',
  QUOTA_UPDATE: 'volume_extension:quotas:update',
  QUOTA_DELETE: 'volume_extension:quotas:delete',
  QUOTA_CLASS_GET: 'volume_extension:quota_classes:get',
  QUOTA_CLASS_UPDATE: 'volume_extension:quota_classes:update',
  USED_LIMITS: 'limits_extension:used_limits',
  SERVICES_INDEX: 'volume_extension:services:index',
  SERVICES_UPDATE: 'volume_extension:services:update',
  POOLS: 'scheduler_extension:scheduler_stats:get_pools',
  HOSTS: 'volume_extension:hosts',
  CAPABILITIES: 'volume_extension:capabilities',
  /** Cloudlet's own: cinder-manage volume update_host as an API. */
  UPDATE_HOST: 'cloudlet:volume:update_host',
} as const

export const WORKERS = {
  CLEANUP: 'workers:cleanup',
} as const

export const ATTACHMENT = {
  CREATE: 'volume:attachment_create',
  UPDATE: 'volume:attachment_update',
  DELETE: 'volume:attachment_delete',
  COMPLETE: 'volume:attachment_complete',
  MULTIATTACH_BOOTABLE: 'volume:multiattach_bootable_volume',
} as const

export const QOS = {
  CREATE: 'volume_extension:qos_specs_manage:create',
  GET: 'volume_extension:qos_specs_manage:get',
  GET_ALL: 'volume_extension:qos_specs_manage:get_all',
  UPDATE: 'volume_extension:qos_specs_manage:update',
  DELETE: 'volume_extension:qos_specs_manage:delete',
} as const

export const MESSAGE = {
  GET_ALL: 'message:get_all',
  GET: 'message:get',
  DELETE: 'message:delete',
} as const

export const TRANSFER = {
  CREATE: 'volume:create_transfer',
  ACCEPT: 'volume:accept_transfer',
  DELETE: 'volume:delete_transfer',
  GET: 'volume:get_transfer',
  GET_ALL: 'volume:get_all_transfers',
} as const

const Q = '/os-quota-sets/{project_id}'
const X = '/volume-transfers'
const A = '/attachments/{attachment_id}'

export const ADMIN_RULES = [
  rule(MESSAGE.GET_ALL, READER, 'List messages.', [{ method: 'GET', path: '/messages' }], LEGACY_OWNER),
  rule(
    MESSAGE.GET,
    READER,
    'Show a message.',
    [{ method: 'GET', path: '/messages/{message_id}' }],
    LEGACY_OWNER,
  ),
  rule(
    MESSAGE.DELETE,
    MEMBER,
    'Delete a message.',
    [{ method: 'DELETE', path: '/messages/{message_id}' }],
    LEGACY_OWNER,
  ),
  rule(QOS.GET_ALL, ADMIN_API, 'List QoS specs.', [{ method: 'GET', path: '/qos-specs' }]),
  rule(QOS.GET, ADMIN_API, 'Show QoS specs and their associations.', [
    { method: 'GET', path: '/qos-specs/{qos_id}' },
    { method: 'GET', path: '/qos-specs/{qos_id}/associations' },
  ]),
  rule(QOS.CREATE, ADMIN_API, 'Create QoS specs.', [{ method: 'POST', path: '/qos-specs' }]),
  rule(QOS.UPDATE, ADMIN_API, 'Update QoS specs and their associations.', [
    { method: 'PUT', path: '/qos-specs/{qos_id}' },
    { method: 'PUT', path: '/qos-specs/{qos_id}/delete_keys' },
    { method: 'GET', path: '/qos-specs/{qos_id}/associate' },
    { method: 'GET', path: '/qos-specs/{qos_id}/disassociate' },
    { method: 'GET', path: '/qos-specs/{qos_id}/disassociate_all' },
  ]),
  rule(QOS.DELETE, ADMIN_API, 'Delete QoS specs.', [{ method: 'DELETE', path: '/qos-specs/{qos_id}' }]),
  rule(TRANSFER.CREATE, MEMBER, 'Create a volume transfer.', [{ method: 'POST', path: X }], LEGACY_OWNER),
  rule(
    TRANSFER.ACCEPT,
    MEMBER,
    'Accept a volume transfer.',
    [{ method: 'POST', path: `${X}/{transfer_id}/accept` }],
    LEGACY_OWNER,
  ),
  rule(
    TRANSFER.DELETE,
    MEMBER,
    'Delete a volume transfer.',
    [{ method: 'DELETE', path: `${X}/{transfer_id}` }],
    LEGACY_OWNER,
  ),
  rule(
    TRANSFER.GET,
    READER,
    'Show a volume transfer.',
    [{ method: 'GET', path: `${X}/{transfer_id}` }],
    LEGACY_OWNER,
  ),
  rule(
    TRANSFER.GET_ALL,
    READER,
    'List volume transfers.',
    [
      { method: 'GET', path: X },
      { method: 'GET', path: `${X}/detail` },
    ],
    LEGACY_OWNER,
  ),
  rule(
    ADMIN.QUOTA_SHOW,
    READER,
    "Show a project's quotas.",
    [
      { method: 'GET', path: Q },
      { method: 'GET', path: `${Q}/defaults` },
    ],
    LEGACY_OWNER,
  ),
  rule(ADMIN.QUOTA_UPDATE, ADMIN_API, "Update a project's quotas.", [{ method: 'PUT', path: Q }]),
  rule(ADMIN.QUOTA_DELETE, ADMIN_API, "Reset a project's quotas to the defaults.", [
    { method: 'DELETE', path: Q },
  ]),
  rule(ADMIN.QUOTA_CLASS_GET, ADMIN_API, 'Show a quota class.', [
    { method: 'GET', path: '/os-quota-class-sets/{class}' },
  ]),
  rule(ADMIN.QUOTA_CLASS_UPDATE, ADMIN_API, 'Update a quota class.', [
    { method: 'PUT', path: '/os-quota-class-sets/{class}' },
  ]),
  rule(
    ADMIN.USED_LIMITS,
    READER,
    'Show absolute limits with usage.',
    [{ method: 'GET', path: '/limits' }],
    LEGACY_OWNER,
  ),
  rule(ADMIN.SERVICES_INDEX, ADMIN_API, 'List volume services.', [{ method: 'GET', path: '/os-services' }]),
  rule(ADMIN.SERVICES_UPDATE, ADMIN_API, 'Enable or disable a volume service.', [
    { method: 'PUT', path: '/os-services/{action}' },
  ]),
  rule(ADMIN.POOLS, ADMIN_API, 'List the back-end pools.', [
    { method: 'GET', path: '/scheduler-stats/get_pools' },
  ]),
  rule(ADMIN.HOSTS, ADMIN_API, 'List and show volume hosts.', [
    { method: 'GET', path: '/os-hosts' },
    { method: 'GET', path: '/os-hosts/{host_name}' },
  ]),
  rule(ADMIN.CAPABILITIES, ADMIN_API, "Show a back end's capabilities.", [
    { method: 'GET', path: '/capabilities/{host_name}' },
  ]),
  rule(WORKERS.CLEANUP, ADMIN_API, 'Clean up the resources of volume services whose work stopped.', [
    { method: 'POST', path: '/workers/cleanup' },
  ]),
  rule(
    ADMIN.UPDATE_HOST,
    ADMIN_API,
    'Move every volume of a volume host to another (cinder-manage update_host).',
    [{ method: 'POST', path: '/cloudlet-volume/update-host' }],
  ),
  rule(
    ATTACHMENT.CREATE,
    MEMBER,
    'Create an attachment.',
    [{ method: 'POST', path: '/attachments' }],
    LEGACY_OWNER,
  ),
  rule(ATTACHMENT.UPDATE, MEMBER, 'Update an attachment.', [{ method: 'PUT', path: A }], LEGACY_OWNER),
  rule(ATTACHMENT.DELETE, MEMBER, 'Delete an attachment.', [{ method: 'DELETE', path: A }], LEGACY_OWNER),
  rule(
    ATTACHMENT.COMPLETE,
    MEMBER,
    'Mark an attachment complete.',
    [{ method: 'POST', path: `${A}/action (os-complete)` }],
    LEGACY_OWNER,
  ),
  rule(
    ATTACHMENT.MULTIATTACH_BOOTABLE,
    MEMBER,
    'Attach a bootable multiattach volume.',
    [{ method: 'POST', path: '/attachments' }],
    LEGACY_OWNER,
  ),
]
