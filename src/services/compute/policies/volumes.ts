/**
 * Volume rules by upstream name: a server's volume attachments (swap for admins) and
 * the deprecated os-volumes / os-snapshots proxies to the block storage service.
 */
import { ADMIN, PROJECT_MEMBER_OR_ADMIN, PROJECT_READER_OR_ADMIN, rule } from './base.js'

export const VOLUME = {
  ATTACH_INDEX: 'os_compute_api:os-volumes-attachments:index',
  ATTACH_SHOW: 'os_compute_api:os-volumes-attachments:show',
  ATTACH_CREATE: 'os_compute_api:os-volumes-attachments:create',
  ATTACH_UPDATE: 'os_compute_api:os-volumes-attachments:update',
  ATTACH_SWAP: 'os_compute_api:os-volumes-attachments:swap',
  ATTACH_DELETE: 'os_compute_api:os-volumes-attachments:delete',
  LIST: 'os_compute_api:os-volumes:list',
  DETAIL: 'os_compute_api:os-volumes:detail',
  SHOW: 'os_compute_api:os-volumes:show',
  CREATE: 'os_compute_api:os-volumes:create',
  DELETE: 'os_compute_api:os-volumes:delete',
  SNAPSHOT_LIST: 'os_compute_api:os-volumes:snapshots:list',
  SNAPSHOT_DETAIL: 'os_compute_api:os-volumes:snapshots:detail',
  SNAPSHOT_SHOW: 'os_compute_api:os-volumes:snapshots:show',
  SNAPSHOT_CREATE: 'os_compute_api:os-volumes:snapshots:create',
  SNAPSHOT_DELETE: 'os_compute_api:os-volumes:snapshots:delete',
} as const

const ATT = '/servers/{server_id}/os-volume_attachments'
const LEGACY_OWNER = 'rule:admin_or_owner'

const member = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_MEMBER_OR_ADMIN, what, [{ method, path }], LEGACY_OWNER)
const reader = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_READER_OR_ADMIN, what, [{ method, path }], LEGACY_OWNER)

export const VOLUME_RULES = [
  reader(VOLUME.ATTACH_INDEX, 'List volume attachments for an instance', 'GET', ATT),
  reader(VOLUME.ATTACH_SHOW, 'Show details of a volume attachment', 'GET', `${ATT}/{volume_id}`),
  member(VOLUME.ATTACH_CREATE, 'Attach a volume to an instance', 'POST', ATT),
  member(VOLUME.ATTACH_UPDATE, 'Update a volume attachment', 'PUT', `${ATT}/{volume_id}`),
  rule(
    VOLUME.ATTACH_SWAP,
    ADMIN,
    'Update a volume attachment with a different volumeId',
    [{ method: 'PUT', path: `${ATT}/{volume_id}` }],
    'rule:admin_api',
  ),
  member(VOLUME.ATTACH_DELETE, 'Detach a volume from an instance', 'DELETE', `${ATT}/{volume_id}`),
  reader(VOLUME.LIST, 'List volumes (deprecated proxy)', 'GET', '/os-volumes'),
  reader(VOLUME.DETAIL, 'List volumes with details (deprecated proxy)', 'GET', '/os-volumes/detail'),
  reader(VOLUME.SHOW, 'Show a volume (deprecated proxy)', 'GET', '/os-volumes/{volume_id}'),
  member(VOLUME.CREATE, 'Create a volume (deprecated proxy)', 'POST', '/os-volumes'),
  member(VOLUME.DELETE, 'Delete a volume (deprecated proxy)', 'DELETE', '/os-volumes/{volume_id}'),
  reader(VOLUME.SNAPSHOT_LIST, 'List snapshots (deprecated proxy)', 'GET', '/os-snapshots'),
  reader(
    VOLUME.SNAPSHOT_DETAIL,
    'List snapshots with details (deprecated proxy)',
    'GET',
    '/os-snapshots/detail',
  ),
  reader(VOLUME.SNAPSHOT_SHOW, 'Show a snapshot (deprecated proxy)', 'GET', '/os-snapshots/{snapshot_id}'),
  member(VOLUME.SNAPSHOT_CREATE, 'Create a snapshot (deprecated proxy)', 'POST', '/os-snapshots'),
  member(
    VOLUME.SNAPSHOT_DELETE,
    'Delete a snapshot (deprecated proxy)',
    'DELETE',
    '/os-snapshots/{snapshot_id}',
  ),
]
