/** Backup rules by upstream name (Zed's defaults). */
import { ADMIN_API, LEGACY_OWNER, MEMBER, READER, rule } from './base.js'

export const BACKUP = {
  GET_ALL: 'backup:get_all',
  GET: 'backup:get',
  CREATE: 'backup:create',
  UPDATE: 'backup:update',
  DELETE: 'backup:delete',
  RESTORE: 'backup:restore',
  PROJECT_ATTRIBUTE: 'backup:backup_project_attribute',
  EXPORT: 'backup:backup-export',
  IMPORT: 'backup:backup-import',
  RESET_STATUS: 'volume_extension:backup_admin_actions:reset_status',
  FORCE_DELETE: 'volume_extension:backup_admin_actions:force_delete',
} as const

const B = '/backups/{backup_id}'

export const BACKUP_RULES = [
  rule(
    BACKUP.GET_ALL,
    READER,
    'List backups.',
    [
      { method: 'GET', path: '/backups' },
      { method: 'GET', path: '/backups/detail' },
    ],
    LEGACY_OWNER,
  ),
  rule(BACKUP.GET, READER, 'Show a backup.', [{ method: 'GET', path: B }], LEGACY_OWNER),
  rule(BACKUP.CREATE, MEMBER, 'Create a backup.', [{ method: 'POST', path: '/backups' }], LEGACY_OWNER),
  rule(BACKUP.UPDATE, MEMBER, 'Update a backup.', [{ method: 'PUT', path: B }], LEGACY_OWNER),
  rule(BACKUP.DELETE, MEMBER, 'Delete a backup.', [{ method: 'DELETE', path: B }], LEGACY_OWNER),
  rule(BACKUP.RESTORE, MEMBER, 'Restore a backup.', [{ method: 'POST', path: `${B}/restore` }], LEGACY_OWNER),
  rule(BACKUP.EXPORT, ADMIN_API, "Export a backup's record.", [
    { method: 'GET', path: `${B}/export_record` },
  ]),
  rule(BACKUP.IMPORT, ADMIN_API, "Import a backup's record.", [
    { method: 'POST', path: '/backups/import_record' },
  ]),
  rule(BACKUP.PROJECT_ATTRIBUTE, ADMIN_API, "See a backup's project.", [{ method: 'GET', path: B }]),
  rule(BACKUP.RESET_STATUS, ADMIN_API, "Reset a backup's status.", [
    { method: 'POST', path: `${B}/action (os-reset_status)` },
  ]),
  rule(BACKUP.FORCE_DELETE, ADMIN_API, 'Force delete a backup.', [
    { method: 'POST', path: `${B}/action (os-force_delete)` },
  ]),
]
