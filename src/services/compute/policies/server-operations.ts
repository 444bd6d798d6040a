/**
 * The rules of the server operations and migration records, by upstream's names and
 * defaults (moving servers between hosts, offloading, evacuating and the migration
 * records are the administrator's; resize, shelve, rescue and crash dumps the owner's).
 */
import { ADMIN, PROJECT_MEMBER_OR_ADMIN, rule } from './base.js'

export const OPERATION = {
  RESIZE: 'os_compute_api:servers:resize',
  CONFIRM_RESIZE: 'os_compute_api:servers:confirm_resize',
  REVERT_RESIZE: 'os_compute_api:servers:revert_resize',
  MIGRATE: 'os_compute_api:os-migrate-server:migrate',
  MIGRATE_LIVE: 'os_compute_api:os-migrate-server:migrate_live',
  EVACUATE: 'os_compute_api:os-evacuate',
  SHELVE: 'os_compute_api:os-shelve:shelve',
  SHELVE_OFFLOAD: 'os_compute_api:os-shelve:shelve_offload',
  UNSHELVE: 'os_compute_api:os-shelve:unshelve',
  UNSHELVE_TO_HOST: 'os_compute_api:os-shelve:unshelve_to_host',
  RESCUE: 'os_compute_api:os-rescue',
  UNRESCUE: 'os_compute_api:os-unrescue',
  CRASH_DUMP: 'os_compute_api:servers:trigger_crash_dump',
  CREATE_IMAGE: 'os_compute_api:servers:create_image',
  CREATE_IMAGE_VOLUME_BACKED: 'os_compute_api:servers:create_image:allow_volume_backed',
  CREATE_BACKUP: 'os_compute_api:os-create-backup',
  MIGRATIONS_INDEX: 'os_compute_api:os-migrations:index',
  SERVER_MIGRATIONS_INDEX: 'os_compute_api:servers:migrations:index',
  SERVER_MIGRATIONS_SHOW: 'os_compute_api:servers:migrations:show',
  SERVER_MIGRATIONS_FORCE: 'os_compute_api:servers:migrations:force_complete',
  SERVER_MIGRATIONS_DELETE: 'os_compute_api:servers:migrations:delete',
} as const

const SID = '/servers/{server_id}'
const LEGACY_OWNER = 'rule:admin_or_owner'
const LEGACY_ADMIN = 'rule:admin_api'
const member = (name: string, what: string, method: string, path: string) =>
  rule(name, PROJECT_MEMBER_OR_ADMIN, what, [{ method, path }], LEGACY_OWNER)
const admin = (name: string, what: string, method: string, path: string) =>
  rule(name, ADMIN, what, [{ method, path }], LEGACY_ADMIN)

export const OPERATION_RULES = [
  member(OPERATION.RESIZE, 'Resize a server', 'POST', `${SID}/action (resize)`),
  member(OPERATION.CONFIRM_RESIZE, 'Confirm a server resize', 'POST', `${SID}/action (confirmResize)`),
  member(OPERATION.REVERT_RESIZE, 'Revert a server resize', 'POST', `${SID}/action (revertResize)`),
  admin(OPERATION.MIGRATE, 'Cold migrate a server to a host', 'POST', `${SID}/action (migrate)`),
  admin(
    OPERATION.MIGRATE_LIVE,
    'Live migrate a server to a new host without a reboot',
    'POST',
    `${SID}/action (os-migrateLive)`,
  ),
  admin(
    OPERATION.EVACUATE,
    'Evacuate a server from a failed host to a new host',
    'POST',
    `${SID}/action (evacuate)`,
  ),
  member(OPERATION.SHELVE, 'Shelve server', 'POST', `${SID}/action (shelve)`),
  admin(OPERATION.SHELVE_OFFLOAD, 'Shelf-offload (remove) server', 'POST', `${SID}/action (shelveOffload)`),
  member(OPERATION.UNSHELVE, 'Unshelve (restore) shelved server', 'POST', `${SID}/action (unshelve)`),
  admin(
    OPERATION.UNSHELVE_TO_HOST,
    'Unshelve (restore) shelve offloaded server to a specific host',
    'POST',
    `${SID}/action (unshelve)`,
  ),
  member(OPERATION.RESCUE, 'Rescue a server', 'POST', `${SID}/action (rescue)`),
  member(OPERATION.UNRESCUE, 'Unrescue a server', 'POST', `${SID}/action (unrescue)`),
  member(
    OPERATION.CRASH_DUMP,
    'Trigger crash dump in a server',
    'POST',
    `${SID}/action (trigger_crash_dump)`,
  ),
  member(OPERATION.CREATE_IMAGE, 'Create an image from a server', 'POST', `${SID}/action (createImage)`),
  member(
    OPERATION.CREATE_IMAGE_VOLUME_BACKED,
    'Create an image from a volume backed server',
    'POST',
    `${SID}/action (createImage)`,
  ),
  member(OPERATION.CREATE_BACKUP, 'Create a back up of a server', 'POST', `${SID}/action (createBackup)`),
  admin(OPERATION.MIGRATIONS_INDEX, 'List migrations', 'GET', '/os-migrations'),
  admin(
    OPERATION.SERVER_MIGRATIONS_INDEX,
    'Lists in-progress live migrations for a given server',
    'GET',
    `${SID}/migrations`,
  ),
  admin(
    OPERATION.SERVER_MIGRATIONS_SHOW,
    'Show details for an in-progress live migration for a given server',
    'GET',
    `${SID}/migrations/{migration_id}`,
  ),
  admin(
    OPERATION.SERVER_MIGRATIONS_FORCE,
    'Force an in-progress live migration for a given server to complete',
    'POST',
    `${SID}/migrations/{migration_id}/action (force_complete)`,
  ),
  admin(
    OPERATION.SERVER_MIGRATIONS_DELETE,
    'Delete(Abort) an in-progress live migration',
    'DELETE',
    `${SID}/migrations/{migration_id}`,
  ),
]
