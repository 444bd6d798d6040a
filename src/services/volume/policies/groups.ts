/** Generic volume group rules: group types and specs, groups, group snapshots and their actions. */
import { ADMIN_API, LEGACY_OWNER, MEMBER, READER, rule } from './base.js'

export const GROUP = {
  TYPE_CREATE: 'group:group_types:create',
  TYPE_UPDATE: 'group:group_types:update',
  TYPE_DELETE: 'group:group_types:delete',
  TYPE_SPECS_SHOWN: 'group:access_group_types_specs',
  SPEC_GET: 'group:group_types_specs:get',
  SPEC_GET_ALL: 'group:group_types_specs:get_all',
  SPEC_CREATE: 'group:group_types_specs:create',
  SPEC_UPDATE: 'group:group_types_specs:update',
  SPEC_DELETE: 'group:group_types_specs:delete',
  GET_ALL: 'group:get_all',
  CREATE: 'group:create',
  GET: 'group:get',
  UPDATE: 'group:update',
  PROJECT_ATTRIBUTE: 'group:group_project_attribute',
  DELETE: 'group:delete',
  RESET_STATUS: 'group:reset_status',
  SNAPSHOT_GET_ALL: 'group:get_all_group_snapshots',
  SNAPSHOT_CREATE: 'group:create_group_snapshot',
  SNAPSHOT_GET: 'group:get_group_snapshot',
  SNAPSHOT_DELETE: 'group:delete_group_snapshot',
  SNAPSHOT_UPDATE: 'group:update_group_snapshot',
  SNAPSHOT_PROJECT_ATTRIBUTE: 'group:group_snapshot_project_attribute',
  SNAPSHOT_RESET_STATUS: 'group:reset_group_snapshot_status',
} as const

const GT = '/group_types/{group_type_id}'
const G = '/groups/{group_id}'
const GS = '/group_snapshots/{group_snapshot_id}'

export const GROUP_RULES = [
  rule(GROUP.TYPE_CREATE, ADMIN_API, 'Create a group type.', [{ method: 'POST', path: '/group_types/' }]),
  rule(GROUP.TYPE_UPDATE, ADMIN_API, 'Update a group type.', [{ method: 'PUT', path: GT }]),
  rule(GROUP.TYPE_DELETE, ADMIN_API, 'Delete a group type.', [{ method: 'DELETE', path: GT }]),
  rule(GROUP.TYPE_SPECS_SHOWN, ADMIN_API, 'Show group type with type specs attributes.', [
    { method: 'GET', path: GT },
  ]),
  rule(GROUP.SPEC_GET, ADMIN_API, 'Show a group type spec.', [
    { method: 'GET', path: `${GT}/group_specs/{g_spec_id}` },
  ]),
  rule(GROUP.SPEC_GET_ALL, ADMIN_API, 'List group type specs.', [
    { method: 'GET', path: `${GT}/group_specs` },
  ]),
  rule(GROUP.SPEC_CREATE, ADMIN_API, 'Create a group type spec.', [
    { method: 'POST', path: `${GT}/group_specs` },
  ]),
  rule(GROUP.SPEC_UPDATE, ADMIN_API, 'Update a group type spec.', [
    { method: 'PUT', path: `${GT}/group_specs/{g_spec_id}` },
  ]),
  rule(GROUP.SPEC_DELETE, ADMIN_API, 'Delete a group type spec.', [
    { method: 'DELETE', path: `${GT}/group_specs/{g_spec_id}` },
  ]),
  rule(
    GROUP.GET_ALL,
    READER,
    'List groups.',
    [
      { method: 'GET', path: '/groups' },
      { method: 'GET', path: '/groups/detail' },
    ],
    LEGACY_OWNER,
  ),
  rule(GROUP.CREATE, MEMBER, 'Create group.', [{ method: 'POST', path: '/groups' }], LEGACY_OWNER),
  rule(GROUP.GET, READER, 'Show group.', [{ method: 'GET', path: G }], LEGACY_OWNER),
  rule(GROUP.UPDATE, MEMBER, 'Update group.', [{ method: 'PUT', path: G }], LEGACY_OWNER),
  rule(GROUP.PROJECT_ATTRIBUTE, ADMIN_API, 'List groups or show group with project attributes.', [
    { method: 'GET', path: G },
    { method: 'GET', path: '/groups/detail' },
  ]),
  rule(
    GROUP.DELETE,
    MEMBER,
    'Delete group.',
    [{ method: 'POST', path: `${G}/action (delete)` }],
    LEGACY_OWNER,
  ),
  rule(GROUP.RESET_STATUS, ADMIN_API, 'Reset status of group.', [
    { method: 'POST', path: `${G}/action (reset_status)` },
  ]),
  rule(
    GROUP.SNAPSHOT_GET_ALL,
    READER,
    'List group snapshots.',
    [
      { method: 'GET', path: '/group_snapshots' },
      { method: 'GET', path: '/group_snapshots/detail' },
    ],
    LEGACY_OWNER,
  ),
  rule(
    GROUP.SNAPSHOT_CREATE,
    MEMBER,
    'Create group snapshot.',
    [{ method: 'POST', path: '/group_snapshots' }],
    LEGACY_OWNER,
  ),
  rule(GROUP.SNAPSHOT_GET, READER, 'Show group snapshot.', [{ method: 'GET', path: GS }], LEGACY_OWNER),
  rule(
    GROUP.SNAPSHOT_DELETE,
    MEMBER,
    'Delete group snapshot.',
    [{ method: 'DELETE', path: GS }],
    LEGACY_OWNER,
  ),
  rule(GROUP.SNAPSHOT_UPDATE, MEMBER, 'Update group snapshot.', [{ method: 'PUT', path: GS }], LEGACY_OWNER),
  rule(
    GROUP.SNAPSHOT_PROJECT_ATTRIBUTE,
    ADMIN_API,
    'List group snapshots or show group snapshot with project attributes.',
    [
      { method: 'GET', path: GS },
      { method: 'GET', path: '/group_snapshots/detail' },
    ],
  ),
  rule(GROUP.SNAPSHOT_RESET_STATUS, ADMIN_API, 'Reset status of group snapshot.', [
    { method: 'POST', path: `${GS}/action (reset_status)` },
  ]),
]
