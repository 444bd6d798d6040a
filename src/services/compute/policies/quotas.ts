/**
 * Quota, limit and availability zone rules: anyone reads defaults, limits and the zone
 * list; project readers their own quotas; admins change quotas and read other projects'.
 */
import { ADMIN, ANY, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const QUOTA = {
  UPDATE: 'os_compute_api:os-quota-sets:update',
  DEFAULTS: 'os_compute_api:os-quota-sets:defaults',
  SHOW: 'os_compute_api:os-quota-sets:show',
  DELETE: 'os_compute_api:os-quota-sets:delete',
  DETAIL: 'os_compute_api:os-quota-sets:detail',
  CLASS_SHOW: 'os_compute_api:os-quota-class-sets:show',
  CLASS_UPDATE: 'os_compute_api:os-quota-class-sets:update',
  LIMITS: 'os_compute_api:limits',
  LIMITS_OTHER_PROJECT: 'os_compute_api:limits:other_project',
  AZ_LIST: 'os_compute_api:os-availability-zone:list',
  AZ_DETAIL: 'os_compute_api:os-availability-zone:detail',
} as const

const Q = '/os-quota-sets/{tenant_id}'
const QC = '/os-quota-class-sets/{quota_class}'

export const QUOTA_RULES = [
  rule(QUOTA.UPDATE, ADMIN, 'Update the quotas', [{ method: 'PUT', path: Q }]),
  rule(QUOTA.DEFAULTS, ANY, 'List default quotas', [{ method: 'GET', path: `${Q}/defaults` }]),
  rule(
    QUOTA.SHOW,
    PROJECT_READER_OR_ADMIN,
    'Show a quota',
    [{ method: 'GET', path: Q }],
    'rule:admin_or_owner',
  ),
  rule(QUOTA.DELETE, ADMIN, 'Revert quotas to defaults', [{ method: 'DELETE', path: Q }]),
  rule(
    QUOTA.DETAIL,
    PROJECT_READER_OR_ADMIN,
    'Show the detail of quota',
    [{ method: 'GET', path: `${Q}/detail` }],
    'rule:admin_or_owner',
  ),
  rule(QUOTA.CLASS_SHOW, ADMIN, 'List quotas for specific quota classs', [{ method: 'GET', path: QC }]),
  rule(QUOTA.CLASS_UPDATE, ADMIN, 'Update quotas for specific quota class', [{ method: 'PUT', path: QC }]),
  rule(QUOTA.LIMITS, ANY, 'Show rate and absolute limits for the current user project', [
    { method: 'GET', path: '/limits' },
  ]),
  rule(
    QUOTA.LIMITS_OTHER_PROJECT,
    ADMIN,
    'Show rate and absolute limits of other project',
    [{ method: 'GET', path: '/limits' }],
    'rule:admin_api',
  ),
  rule(QUOTA.AZ_LIST, ANY, 'List availability zone information without host information', [
    { method: 'GET', path: '/os-availability-zone' },
  ]),
  rule(QUOTA.AZ_DETAIL, ADMIN, 'List detailed availability zone information with host information', [
    { method: 'GET', path: '/os-availability-zone/detail' },
  ]),
]
