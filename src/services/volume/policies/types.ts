/** Volume type rules: types, their extra specs, access, encryption and default types. */
import { ADMIN_API, LEGACY_OWNER, MEMBER, READER, rule } from './base.js'

export const TYPE = {
  CREATE: 'volume_extension:type_create',
  UPDATE: 'volume_extension:type_update',
  DELETE: 'volume_extension:type_delete',
  GET: 'volume_extension:type_get',
  GET_ALL: 'volume_extension:type_get_all',
  EXTRA_SPEC: 'volume_extension:access_types_extra_specs',
  QOS: 'volume_extension:access_types_qos_specs_id',
  SPECS_CREATE: 'volume_extension:types_extra_specs:create',
  SPECS_DELETE: 'volume_extension:types_extra_specs:delete',
  SPECS_INDEX: 'volume_extension:types_extra_specs:index',
  SPECS_SHOW: 'volume_extension:types_extra_specs:show',
  SPECS_READ_SENSITIVE: 'volume_extension:types_extra_specs:read_sensitive',
  SPECS_UPDATE: 'volume_extension:types_extra_specs:update',
  ACCESS: 'volume_extension:volume_type_access',
  ACCESS_ADD: 'volume_extension:volume_type_access:addProjectAccess',
  ACCESS_REMOVE: 'volume_extension:volume_type_access:removeProjectAccess',
  ACCESS_WHO: 'volume_extension:volume_type_access:get_all_for_type',
  ENCRYPTION_CREATE: 'volume_extension:volume_type_encryption:create',
  ENCRYPTION_GET: 'volume_extension:volume_type_encryption:get',
  ENCRYPTION_UPDATE: 'volume_extension:volume_type_encryption:update',
  ENCRYPTION_DELETE: 'volume_extension:volume_type_encryption:delete',
  DEFAULT_SET: 'volume_extension:default_set_or_update',
  DEFAULT_GET: 'volume_extension:default_get',
  DEFAULT_GET_ALL: 'volume_extension:default_get_all',
  DEFAULT_UNSET: 'volume_extension:default_unset',
} as const

/** Extra specs every reader of a type may see (USER_VISIBLE_EXTRA_SPECS). */
export const USER_VISIBLE_EXTRA_SPECS = ['RESKEY:availability_zones', 'multiattach', 'replication_enabled']

const T = '/types/{volume_type_id}'
const SPECS = `${T}/extra_specs`

export const TYPE_RULES = [
  rule(TYPE.CREATE, ADMIN_API, 'Create a volume type.', [{ method: 'POST', path: '/types' }]),
  rule(TYPE.UPDATE, ADMIN_API, 'Update a volume type.', [{ method: 'PUT', path: T }]),
  rule(TYPE.DELETE, ADMIN_API, 'Delete a volume type.', [{ method: 'DELETE', path: T }]),
  rule(TYPE.GET, READER, 'Show a volume type.', [{ method: 'GET', path: T }], LEGACY_OWNER),
  rule(TYPE.GET_ALL, READER, 'List volume types.', [{ method: 'GET', path: '/types' }], LEGACY_OWNER),
  rule(
    TYPE.EXTRA_SPEC,
    READER,
    'See the extra specs of volume types.',
    [{ method: 'GET', path: T }],
    ADMIN_API,
  ),
  rule(TYPE.QOS, ADMIN_API, 'See the qos_specs_id of volume types.', [{ method: 'GET', path: T }]),
  rule(
    TYPE.SPECS_INDEX,
    READER,
    'List the extra specs of a type.',
    [{ method: 'GET', path: SPECS }],
    LEGACY_OWNER,
  ),
  rule(TYPE.SPECS_CREATE, ADMIN_API, 'Create extra specs of a type.', [{ method: 'POST', path: SPECS }]),
  rule(
    TYPE.SPECS_SHOW,
    READER,
    'Show an extra spec of a type.',
    [{ method: 'GET', path: `${SPECS}/{key}` }],
    LEGACY_OWNER,
  ),
  rule(TYPE.SPECS_READ_SENSITIVE, ADMIN_API, 'See extra specs that are not user visible.', [
    { method: 'GET', path: T },
  ]),
  rule(TYPE.SPECS_UPDATE, ADMIN_API, 'Update an extra spec of a type.', [
    { method: 'PUT', path: `${SPECS}/{key}` },
  ]),
  rule(TYPE.SPECS_DELETE, ADMIN_API, 'Delete an extra spec of a type.', [
    { method: 'DELETE', path: `${SPECS}/{key}` },
  ]),
  rule(
    TYPE.ACCESS,
    MEMBER,
    'See os-volume-type-access:is_public of types.',
    [{ method: 'GET', path: T }],
    LEGACY_OWNER,
  ),
  rule(TYPE.ACCESS_ADD, ADMIN_API, 'Give a project access to a private type.', [
    { method: 'POST', path: `${T}/action (addProjectAccess)` },
  ]),
  rule(TYPE.ACCESS_REMOVE, ADMIN_API, "Remove a project's access to a private type.", [
    { method: 'POST', path: `${T}/action (removeProjectAccess)` },
  ]),
  rule(TYPE.ACCESS_WHO, ADMIN_API, 'List the projects with access to a type.', [
    { method: 'GET', path: `${T}/os-volume-type-access` },
  ]),
  rule(TYPE.ENCRYPTION_CREATE, ADMIN_API, "Create a type's encryption.", [
    { method: 'POST', path: `${T}/encryption` },
  ]),
  rule(TYPE.ENCRYPTION_GET, ADMIN_API, "Show a type's encryption.", [
    { method: 'GET', path: `${T}/encryption` },
    { method: 'GET', path: `${T}/encryption/{key}` },
  ]),
  rule(TYPE.ENCRYPTION_UPDATE, ADMIN_API, "Update a type's encryption.", [
    { method: 'PUT', path: `${T}/encryption/{encryption_id}` },
  ]),
  rule(TYPE.ENCRYPTION_DELETE, ADMIN_API, "Delete a type's encryption.", [
    { method: 'DELETE', path: `${T}/encryption/{encryption_id}` },
  ]),
  rule(TYPE.DEFAULT_SET, ADMIN_API, "Set or update a project's default type.", [
    { method: 'PUT', path: '/default-types' },
  ]),
  rule(TYPE.DEFAULT_GET, ADMIN_API, "Show a project's default type.", [
    { method: 'GET', path: '/default-types/{project_id}' },
  ]),
  rule(TYPE.DEFAULT_GET_ALL, ADMIN_API, 'List default types.', [{ method: 'GET', path: '/default-types' }]),
  rule(TYPE.DEFAULT_UNSET, ADMIN_API, "Unset a project's default type.", [
    { method: 'DELETE', path: '/default-types/{project_id}' },
  ]),
]
