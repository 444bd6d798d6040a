/**
 * Rules of the host-level admin APIs by upstream name: os-hosts (deprecated, gone at
 * 2.43), os-instance-usage-audit-log, and the extension list any caller may read.
 */
import { ADMIN, ANY, rule } from './base.js'

export const HOST = {
  LIST: 'os_compute_api:os-hosts:list',
  SHOW: 'os_compute_api:os-hosts:show',
  UPDATE: 'os_compute_api:os-hosts:update',
  REBOOT: 'os_compute_api:os-hosts:reboot',
  SHUTDOWN: 'os_compute_api:os-hosts:shutdown',
  START: 'os_compute_api:os-hosts:start',
  AUDIT_LIST: 'os_compute_api:os-instance-usage-audit-log:list',
  AUDIT_SHOW: 'os_compute_api:os-instance-usage-audit-log:show',
  EXTENSIONS: 'os_compute_api:extensions',
} as const

const LEGACY_ADMIN = 'rule:admin_api'
const admin = (name: string, what: string, method: string, path: string) =>
  rule(name, ADMIN, what, [{ method, path }], LEGACY_ADMIN)

export const HOST_RULES = [
  admin(HOST.LIST, 'List physical hosts (deprecated)', 'GET', '/os-hosts'),
  admin(HOST.SHOW, "Show a physical host's resources and usage (deprecated)", 'GET', '/os-hosts/{host_name}'),
  admin(
    HOST.UPDATE,
    'Enable or disable a host, or set its maintenance mode (deprecated)',
    'PUT',
    '/os-hosts/{host_name}',
  ),
  admin(HOST.REBOOT, 'Reboot a host (deprecated)', 'GET', '/os-hosts/{host_name}/reboot'),
  admin(HOST.SHUTDOWN, 'Shut down a host (deprecated)', 'GET', '/os-hosts/{host_name}/shutdown'),
  admin(HOST.START, 'Start a host (deprecated)', 'GET', '/os-hosts/{host_name}/startup'),
  admin(
    HOST.AUDIT_LIST,
    'List the instance usage audit of the last completed period on every compute host',
    'GET',
    '/os-instance_usage_audit_log',
  ),
  admin(
    HOST.AUDIT_SHOW,
    'Show the instance usage audit of the last period completed before a time',
    'GET',
    '/os-instance_usage_audit_log/{before_timestamp}',
  ),
  rule(HOST.EXTENSIONS, ANY, 'List the API extensions and show one by its alias', [
    { method: 'GET', path: '/extensions' },
    { method: 'GET', path: '/extensions/{alias}' },
  ]),
]
