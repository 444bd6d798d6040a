/** Server group rules: project members manage their project's groups; admins list all. */
import { ADMIN, PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const SERVER_GROUP = {
  CREATE: 'os_compute_api:os-server-groups:create',
  DELETE: 'os_compute_api:os-server-groups:delete',
  INDEX: 'os_compute_api:os-server-groups:index',
  INDEX_ALL: 'os_compute_api:os-server-groups:index:all_projects',
  SHOW: 'os_compute_api:os-server-groups:show',
} as const

const LEGACY_OWNER = 'rule:admin_or_owner'
const G = '/os-server-groups'

export const SERVER_GROUP_RULES = [
  rule(SERVER_GROUP.CREATE, PROJECT_MEMBER_OR_ADMIN, 'Create a new server group', [
    { method: 'POST', path: G },
  ]),
  rule(
    SERVER_GROUP.DELETE,
    PROJECT_MEMBER_OR_ADMIN,
    'Delete a server group',
    [{ method: 'DELETE', path: `${G}/{server_group_id}` }],
    LEGACY_OWNER,
  ),
  rule(
    SERVER_GROUP.INDEX,
    PROJECT_READER_OR_ADMIN,
    'List all server groups',
    [{ method: 'GET', path: G }],
    LEGACY_OWNER,
  ),
  rule(
    SERVER_GROUP.INDEX_ALL,
    ADMIN,
    'List all server groups for all projects',
    [{ method: 'GET', path: G }],
    'rule:admin_api',
  ),
  rule(
    SERVER_GROUP.SHOW,
    PROJECT_READER_OR_ADMIN,
    'Show details of a server group',
    [{ method: 'GET', path: `${G}/{server_group_id}` }],
    LEGACY_OWNER,
  ),
]
