/**
 * Flavor rules: managing flavors, their tenant access and their extra specs. Reading
 * flavors is open to every authenticated caller.
 */
import { ADMIN, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const FLAVOR = {
  READ: 'os_compute_api:flavors',
  CREATE: 'os_compute_api:os-flavor-manage:create',
  UPDATE: 'os_compute_api:os-flavor-manage:update',
  DELETE: 'os_compute_api:os-flavor-manage:delete',
  ACCESS_LIST: 'os_compute_api:os-flavor-access',
  ACCESS_ADD: 'os_compute_api:os-flavor-access:add_tenant_access',
  ACCESS_REMOVE: 'os_compute_api:os-flavor-access:remove_tenant_access',
  SPECS_INDEX: 'os_compute_api:os-flavor-extra-specs:index',
  SPECS_SHOW: 'os_compute_api:os-flavor-extra-specs:show',
  SPECS_CREATE: 'os_compute_api:os-flavor-extra-specs:create',
  SPECS_UPDATE: 'os_compute_api:os-flavor-extra-specs:update',
  SPECS_DELETE: 'os_compute_api:os-flavor-extra-specs:delete',
} as const

const LEGACY_ADMIN = 'is_admin:True'
const LEGACY_OWNER = 'is_admin:True or project_id:%(project_id)s'
const SPECS = '/flavors/{flavor_id}/os-extra_specs'

export const FLAVOR_RULES = [
  // NOTE: upstream checks no rule when flavors are read; this one (its old name) lets
  // every authenticated caller read them, whatever the token's scope, and lets an
  // operator narrow that in a policy file.
  {
    name: FLAVOR.READ,
    checkStr: '@',
    description: 'List and show flavors',
    operations: [
      { method: 'GET', path: '/flavors' },
      { method: 'GET', path: '/flavors/detail' },
      { method: 'GET', path: '/flavors/{flavor_id}' },
    ],
  },
  rule(FLAVOR.CREATE, ADMIN, 'Create a flavor', [{ method: 'POST', path: '/flavors' }]),
  rule(FLAVOR.UPDATE, ADMIN, 'Update a flavor', [{ method: 'PUT', path: '/flavors/{flavor_id}' }]),
  rule(FLAVOR.DELETE, ADMIN, 'Delete a flavor', [{ method: 'DELETE', path: '/flavors/{flavor_id}' }]),
  rule(
    FLAVOR.ACCESS_LIST,
    ADMIN,
    'List flavor access information',
    [{ method: 'GET', path: '/flavors/{flavor_id}/os-flavor-access' }],
    LEGACY_ADMIN,
  ),
  rule(FLAVOR.ACCESS_ADD, ADMIN, 'Add flavor access to a tenant', [
    { method: 'POST', path: '/flavors/{flavor_id}/action (addTenantAccess)' },
  ]),
  rule(FLAVOR.ACCESS_REMOVE, ADMIN, 'Remove flavor access from a tenant', [
    { method: 'POST', path: '/flavors/{flavor_id}/action (removeTenantAccess)' },
  ]),
  rule(
    FLAVOR.SPECS_INDEX,
    PROJECT_READER_OR_ADMIN,
    'List extra specs of a flavor (also shown in flavor responses from 2.61)',
    [
      { method: 'GET', path: SPECS },
      { method: 'GET', path: '/flavors/detail' },
      { method: 'GET', path: '/flavors/{flavor_id}' },
    ],
    LEGACY_OWNER,
  ),
  rule(
    FLAVOR.SPECS_SHOW,
    PROJECT_READER_OR_ADMIN,
    'Show an extra spec of a flavor',
    [{ method: 'GET', path: `${SPECS}/{flavor_extra_spec_key}` }],
    LEGACY_OWNER,
  ),
  rule(FLAVOR.SPECS_CREATE, ADMIN, 'Create extra specs for a flavor', [{ method: 'POST', path: SPECS }]),
  rule(FLAVOR.SPECS_UPDATE, ADMIN, 'Update an extra spec of a flavor', [
    { method: 'PUT', path: `${SPECS}/{flavor_extra_spec_key}` },
  ]),
  rule(FLAVOR.SPECS_DELETE, ADMIN, 'Delete an extra spec of a flavor', [
    { method: 'DELETE', path: `${SPECS}/{flavor_extra_spec_key}` },
  ]),
]
