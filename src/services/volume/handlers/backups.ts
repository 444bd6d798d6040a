/**
 * Backup handlers: create (202 with id, links, name), list and detail (name, status,
 * volume_id filters; all_tenants for admins; limit and offset), show, update (3.9;
 * metadata 3.43), delete (202), restore (202 with the target volume), and the admin
 * actions os-reset_status and os-force_delete.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, VolumeBadRequest } from '../errors.js'
import { BACKUP } from '../policies/index.js'
import type { BackupFilter, BackupRow } from '../storage/backup.repo.js'
import {
  bodyOf,
  callerOf,
  itemLinks,
  params,
  parseBool,
  parseLimitOffset,
  queryOf,
  type VolumeDeps,
} from './common.js'
import { cinderTime } from './views.js'

function summary(req: FastifyRequest, deps: VolumeDeps, b: BackupRow) {
  return { id: b.id, name: b.display_name, links: itemLinks(req, deps, 'backups', b.id, b.project_id) }
}

async function detail(req: FastifyRequest, deps: VolumeDeps, b: BackupRow) {
  const out: Record<string, unknown> = {
    ...summary(req, deps, b),
    description: b.display_description,
    status: b.status,
    availability_zone: b.availability_zone,
    volume_id: b.volume_id,
    snapshot_id: b.snapshot_id,
    size: b.size,
    object_count: b.object_count,
    container: b.container,
    created_at: cinderTime(b.created_at),
    updated_at: cinderTime(b.updated_at),
    data_timestamp: cinderTime(b.data_timestamp),
    is_incremental: b.is_incremental === 1,
    has_dependent_backups: b.num_dependent_backups > 0,
    fail_reason: b.fail_reason,
  }
  if (req.version.gte('3.43')) out.metadata = JSON.parse(b.metadata) as Record<string, string>
  if (req.version.gte('3.56')) out.user_id = b.user_id
  if (req.version.gte('3.18') && req.ctx.allows(BACKUP.PROJECT_ATTRIBUTE, { project_id: b.project_id }))
    out['os-backup-project-attr:project_id'] = b.project_id
  return out
}

async function list(req: FastifyRequest, deps: VolumeDeps, full: boolean) {
  req.ctx.can(BACKUP.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const caller = callerOf(req)
  const filter: BackupFilter = {}
  const all = q.all_tenants !== undefined && caller.isAdmin && parseBool(q.all_tenants, 'all_tenants')
  if (!all) filter.projectId = caller.projectId
  if (q.name !== undefined) filter.name = q.name
  if (q.status !== undefined) filter.status = q.status
  if (q.volume_id !== undefined) filter.volumeId = q.volume_id
  const page = parseLimitOffset(q, deps.config.DEFAULT.osapi_max_limit)
  let rows = await deps.backups.list(filter)
  if (q.marker !== undefined) {
    const i = rows.findIndex((b) => b.id === q.marker)
    if (i < 0) throw new InvalidInput(`marker [${q.marker}] not found`)
    rows = rows.slice(i + 1)
  }
  rows = rows.slice(
    page.offset ?? 0,
    (page.offset ?? 0) + (page.limit ?? deps.config.DEFAULT.osapi_max_limit),
  )
  return {
    backups: await Promise.all(rows.map((b) => (full ? detail(req, deps, b) : summary(req, deps, b)))),
  }
}

export const listBackups = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) => list(req, deps, false)
export const listBackupDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, true)

async function owned(req: FastifyRequest, deps: VolumeDeps, rule: string) {
  const b = await deps.backups.get(callerOf(req), params(req).backup_id!)
  req.ctx.can(rule, { project_id: b.project_id })
  return b
}

export async function showBackup(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { backup: await detail(req, deps, await owned(req, deps, BACKUP.GET)) }
}

export async function createBackup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).backup
  const caller = callerOf(req)
  const vol = await deps.volumes.get(caller, String(body.volume_id))
  req.ctx.can(BACKUP.CREATE, { project_id: vol.project_id })
  const b = await deps.backups.create(caller, {
    volumeId: vol.id,
    name: body.name ?? null,
    description: body.description ?? null,
    container: body.container ?? null,
    incremental: body.incremental !== undefined && parseBool(body.incremental, 'incremental'),
    force: body.force !== undefined && parseBool(body.force, 'force'),
    snapshotId: body.snapshot_id ?? null,
    ...(body.metadata !== undefined && req.version.gte('3.43') ? { metadata: body.metadata } : {}),
  })
  reply.code(202)
  return { backup: summary(req, deps, b) }
}

export async function updateBackup(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const b = await owned(req, deps, BACKUP.UPDATE)
  const body = bodyOf(req).backup
  const updated = await deps.backups.update(callerOf(req), b.id, {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.metadata !== undefined && req.version.gte('3.43') ? { metadata: body.metadata } : {}),
  })
  return { backup: summary(req, deps, updated) }
}

export async function deleteBackup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const b = await owned(req, deps, BACKUP.DELETE)
  await deps.backups.delete(callerOf(req), b.id)
  return reply.code(202).send()
}

export async function restoreBackup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const b = await owned(req, deps, BACKUP.RESTORE)
  const body = (bodyOf(req)?.restore ?? {}) as { volume_id?: string | null; name?: string | null }
  const out = await deps.backups.restore(
    callerOf(req),
    b.id,
    { volumeId: body.volume_id ?? null, name: body.name ?? null },
    req.id,
  )
  reply.code(202)
  return { restore: out }
}

export async function backupAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  const keys = body && typeof body === 'object' ? Object.keys(body) : []
  if (keys.length !== 1) throw new VolumeBadRequest('Malformed request body')
  const name = keys[0]!
  if (name === 'os-reset_status') {
    const b = await owned(req, deps, BACKUP.RESET_STATUS)
    const status = (body[name] as { status?: unknown } | null)?.status
    if (typeof status !== 'string') throw new VolumeBadRequest('Must specify a valid status')
    await deps.backups.resetStatus(callerOf(req), b.id, status.toLowerCase())
    return reply.code(202).send()
  }
  if (name === 'os-force_delete') {
    const b = await owned(req, deps, BACKUP.FORCE_DELETE)
    await deps.backups.delete(callerOf(req), b.id, true)
    return reply.code(202).send()
  }
  throw new VolumeBadRequest(`There is no such action: ${name}`)
}

export async function exportRecord(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const b = await owned(req, deps, BACKUP.EXPORT)
  return { 'backup-record': await deps.backups.exportRecord(callerOf(req), b.id) }
}

export async function importRecord(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const record = bodyOf(req)['backup-record']
  const b = await deps.backups.importRecord(callerOf(req), record.backup_service, record.backup_url)
  reply.code(201)
  return { backup: summary(req, deps, b) }
}
