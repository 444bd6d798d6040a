/**
 * Bodies of the operation actions per microversion window (upstream's schemas): resize,
 * migrate (host from 2.56), os-migrateLive (block_migration `auto` and no
 * disk_over_commit from 2.25, force 2.30..2.67), evacuate (onSharedStorage before 2.14,
 * force 2.29..2.67), unshelve (availability_zone 2.77, host and a null zone 2.91),
 * rescue, createImage, createBackup; and the os-migrations query.
 */
import type { Version } from '../../../kernel/microversion/index.js'
import { azName, boolean, metadata, multi, name, nonNegativeInteger, paging, querySchema } from './types.js'

const action = (name: string, inner: Record<string, unknown>) => ({
  type: 'object',
  properties: { [name]: inner },
  required: [name],
  additionalProperties: false,
})

const hostname = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' }
const adminPass = { type: 'string' }

export const RESIZE = action('resize', {
  type: 'object',
  properties: {
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
  },
  required: ['flavorRef'],
  additionalProperties: false,
})

export function migrate(v: Version) {
  // NOTE: before 2.56 upstream validates no body: `{"migrate": {}}` is taken as null.
  if (!v.gte('2.56')) return action('migrate', {})
  return action('migrate', {
    type: ['object', 'null'],
    properties: { host: { ...hostname, type: ['string', 'null'] } },
    additionalProperties: false,
  })
}

export function migrateLive(v: Version) {
  const host = { ...hostname, type: ['string', 'null'] }
  if (!v.gte('2.25'))
    return action('os-migrateLive', {
      type: 'object',
      properties: { block_migration: boolean, disk_over_commit: boolean, host },
      required: ['block_migration', 'disk_over_commit', 'host'],
      additionalProperties: false,
    })
  const blockMigration = { ...boolean, enum: [...boolean.enum, 'auto'] }
  return action('os-migrateLive', {
    type: 'object',
    properties: {
      block_migration: blockMigration,
      host,
      ...(v.gte('2.30') && !v.gte('2.68') ? { force: boolean } : {}),
    },
    required: ['block_migration', 'host'],
    additionalProperties: false,
  })
}

export function evacuate(v: Version) {
  return action('evacuate', {
    type: ['object', 'null'],
    properties: {
      host: hostname,
      adminPass,
      ...(v.gte('2.14') ? {} : { onSharedStorage: boolean }),
      ...(v.gte('2.29') && !v.gte('2.68') ? { force: boolean } : {}),
    },
    ...(v.gte('2.14') ? {} : { required: ['onSharedStorage'] }),
    additionalProperties: false,
  })
}

export function unshelve(v: Version) {
  if (v.gte('2.91'))
    return action('unshelve', {
      type: ['object', 'null'],
      properties: { availability_zone: { ...azName, type: ['string', 'null'] }, host: hostname },
      additionalProperties: false,
    })
  if (v.gte('2.77'))
    return action('unshelve', {
      type: ['object', 'null'],
      properties: { availability_zone: azName },
      required: ['availability_zone'],
      additionalProperties: false,
    })
  return action('unshelve', {})
}

export const RESCUE = action('rescue', {
  type: ['object', 'null'],
  properties: { adminPass, rescue_image_ref: { type: 'string', format: 'uuid' } },
  additionalProperties: false,
})

/** createImage: a name (no leading or trailing spaces, as upstream checks it) and metadata. */
export const CREATE_IMAGE = action('createImage', {
  type: 'object',
  properties: { name, metadata },
  required: ['name'],
  additionalProperties: false,
})

/** createBackup: a name, the backup's type, how many to keep, and metadata. */
export const CREATE_BACKUP = action('createBackup', {
  type: 'object',
  properties: { name, backup_type: { type: 'string' }, rotation: nonNegativeInteger, metadata },
  required: ['name', 'backup_type', 'rotation'],
  additionalProperties: false,
})

/** An action upstream takes with any body (it validates none). */
export function anyAction(name: string) {
  return action(name, {})
}

/** An action whose value must be null (trigger_crash_dump). */
export function nullAction(name: string) {
  return action(name, { type: 'null' })
}

/** GET /os-migrations. */
export function migrationsQuery(v: Version) {
  const one = (s: Record<string, unknown>) => multi(s)
  return querySchema(
    {
      hidden: one({ type: 'string' }),
      host: one({ type: 'string' }),
      instance_uuid: one({ type: 'string' }),
      source_compute: one({ type: 'string' }),
      status: one({ type: 'string' }),
      migration_type: one({ type: 'string', enum: ['evacuation', 'live-migration', 'migration', 'resize'] }),
      ...(v.gte('2.59') ? { ...paging, 'changes-since': one({ type: 'string' }) } : {}),
      ...(v.gte('2.66') ? { 'changes-before': one({ type: 'string' }) } : {}),
      ...(v.gte('2.80') ? { user_id: one({ type: 'string' }), project_id: one({ type: 'string' }) } : {}),
    },
    v.gte('2.59'),
  )
}
