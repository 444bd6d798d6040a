/** Snapshot rules: snapshots, their metadata and their admin actions. */
import { ADMIN_API, LEGACY_OWNER, MEMBER, READER, rule } from './base.js'

export const SNAPSHOT = {
  GET: 'volume:get_snapshot',
  GET_ALL: 'volume:get_all_snapshots',
  CREATE: 'volume:create_snapshot',
  DELETE: 'volume:delete_snapshot',
  UPDATE: 'volume:update_snapshot',
  EXTEND_ATTRIBUTE: 'volume_extension:extended_snapshot_attributes',
  RESET_STATUS: 'volume_extension:snapshot_admin_actions:reset_status',
  FORCE_DELETE: 'volume_extension:snapshot_admin_actions:force_delete',
  UPDATE_STATUS: 'snapshot_extension:snapshot_actions:update_snapshot_status',
  META_GET: 'volume:get_snapshot_metadata',
  META_DELETE: 'volume:delete_snapshot_metadata',
  META_UPDATE: 'volume:update_snapshot_metadata',
  MANAGE: 'snapshot_extension:snapshot_manage',
  UNMANAGE: 'snapshot_extension:snapshot_unmanage',
  LIST_MANAGEABLE: 'snapshot_extension:list_manageable',
} as const

const S = '/snapshots/{snapshot_id}'
const ACTION = (name: string) => [{ method: 'POST', path: `${S}/action (${name})` }]

export const SNAPSHOT_RULES = [
  rule(SNAPSHOT.MANAGE, ADMIN_API, 'Manage an existing snapshot.', [
    { method: 'POST', path: '/manageable_snapshots' },
    { method: 'POST', path: '/os-snapshot-manage' },
  ]),
  rule(SNAPSHOT.UNMANAGE, ADMIN_API, 'Stop managing a snapshot.', ACTION('os-unmanage')),
  rule(SNAPSHOT.LIST_MANAGEABLE, ADMIN_API, 'List the snapshots a backend could manage.', [
    { method: 'GET', path: '/manageable_snapshots' },
    { method: 'GET', path: '/manageable_snapshots/detail' },
  ]),
  rule(
    SNAPSHOT.GET_ALL,
    READER,
    'List snapshots.',
    [
      { method: 'GET', path: '/snapshots' },
      { method: 'GET', path: '/snapshots/detail' },
    ],
    LEGACY_OWNER,
  ),
  rule(
    SNAPSHOT.EXTEND_ATTRIBUTE,
    READER,
    'See the progress and project of snapshots.',
    [{ method: 'GET', path: S }],
    LEGACY_OWNER,
  ),
  rule(SNAPSHOT.CREATE, MEMBER, 'Create a snapshot.', [{ method: 'POST', path: '/snapshots' }], LEGACY_OWNER),
  rule(SNAPSHOT.GET, READER, 'Show a snapshot.', [{ method: 'GET', path: S }], LEGACY_OWNER),
  rule(SNAPSHOT.UPDATE, MEMBER, 'Update a snapshot.', [{ method: 'PUT', path: S }], LEGACY_OWNER),
  rule(SNAPSHOT.DELETE, MEMBER, 'Delete a snapshot.', [{ method: 'DELETE', path: S }], LEGACY_OWNER),
  rule(SNAPSHOT.RESET_STATUS, ADMIN_API, "Reset a snapshot's status.", ACTION('os-reset_status')),
  rule(
    SNAPSHOT.UPDATE_STATUS,
    MEMBER,
    "Update a snapshot's status.",
    ACTION('os-update_snapshot_status'),
    LEGACY_OWNER,
  ),
  rule(SNAPSHOT.FORCE_DELETE, ADMIN_API, 'Force delete a snapshot.', ACTION('os-force_delete')),
  rule(
    SNAPSHOT.META_GET,
    READER,
    'Show snapshot metadata.',
    [{ method: 'GET', path: `${S}/metadata` }],
    LEGACY_OWNER,
  ),
  rule(
    SNAPSHOT.META_UPDATE,
    MEMBER,
    'Update snapshot metadata.',
    [
      { method: 'POST', path: `${S}/metadata` },
      { method: 'PUT', path: `${S}/metadata` },
    ],
    LEGACY_OWNER,
  ),
  rule(
    SNAPSHOT.META_DELETE,
    MEMBER,
    'Delete a snapshot metadata item.',
    [{ method: 'DELETE', path: `${S}/metadata/{key}` }],
    LEGACY_OWNER,
  ),
]
