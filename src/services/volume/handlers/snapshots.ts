/** Snapshot handlers: create, list (filters, sort, paging), show, update, delete, metadata, admin actions. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, VolumeBadRequest, VolumeNotFound } from '../errors.js'
import { SNAPSHOT } from '../policies/index.js'
import type { SnapshotFilter } from '../storage/snapshot.repo.js'
import {
  bodyOf,
  callerOf,
  nextLinks,
  params,
  parseBool,
  parseLimitOffset,
  parseMetadataFilter,
  parseSort,
  queryOf,
  type VolumeDeps,
} from './common.js'
import { snapshotView } from './views.js'

const SORT_COLUMNS = {
  id: 'id',
  name: 'display_name',
  display_name: 'display_name',
  status: 'status',
  size: 'volume_size',
  created_at: 'created_at',
  updated_at: 'updated_at',
  volume_id: 'volume_id',
  project_id: 'project_id',
} as const

async function list(req: FastifyRequest, deps: VolumeDeps, detail: boolean) {
  req.ctx.can(SNAPSHOT.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const caller = callerOf(req)
  const filter: SnapshotFilter = {}
  const allTenants = q.all_tenants !== undefined && caller.isAdmin && parseBool(q.all_tenants, 'all_tenants')
  if (!allTenants) filter.projectId = caller.projectId
  else if (q.project_id !== undefined) filter.projectId = q.project_id
  if (q.name !== undefined) filter.name = q.name
  if (q.display_name !== undefined) filter.name = q.display_name
  if (q.status !== undefined) filter.status = q.status
  if (q.volume_id !== undefined) filter.volumeId = q.volume_id
  if (q.metadata !== undefined && req.version.gte('3.22')) filter.metadata = parseMetadataFilter(q.metadata)
  const sort = parseSort(q, SORT_COLUMNS)
  const page = parseLimitOffset(q, deps.config.DEFAULT.osapi_max_limit)
  const items = await deps.snapshots.list(
    filter,
    sort,
    { ...page, ...(q.marker !== undefined ? { marker: q.marker } : {}) },
    caller,
  )
  const out: Record<string, unknown> = {
    snapshots: items.map((s) => snapshotView(req, s, detail)),
  }
  const links = nextLinks(req, deps, items, q.limit !== undefined ? page.limit : undefined)
  if (links) out.snapshots_links = links
  if (req.version.gte('3.45') && q.with_count !== undefined && parseBool(q.with_count, 'with_count'))
    out.count = (await deps.snapshots.list(filter, sort, {}, caller)).length
  return out
}

export const listSnapshots = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, false)
export const listSnapshotDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, true)

async function owned(req: FastifyRequest, deps: VolumeDeps, rule: string) {
  const s = await deps.snapshots.get(callerOf(req), params(req).snapshot_id!)
  req.ctx.can(rule, { project_id: s.project_id })
  return s
}

export async function showSnapshot(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { snapshot: snapshotView(req, await owned(req, deps, SNAPSHOT.GET)) }
}

export async function createSnapshot(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).snapshot
  const caller = callerOf(req)
  if (typeof body.volume_id !== 'string') throw new VolumeNotFound(String(body.volume_id ?? 'None'))
  const vol = await deps.volumes.get(caller, body.volume_id)
  req.ctx.can(SNAPSHOT.CREATE, { project_id: vol.project_id })
  const force = body.force !== undefined && parseBool(body.force, 'force')
  if (body.force !== undefined && req.version.gte('3.66') && !force)
    throw new InvalidInput('Since microversion 3.66, force=False is not allowed.')
  const s = await deps.snapshots.create(
    caller,
    {
      volumeId: vol.id,
      name: body.name ?? body.display_name ?? null,
      description: body.description ?? body.display_description ?? null,
      force,
      metadata: body.metadata ?? {},
    },
    req.version.gte('3.66'),
  )
  reply.code(202)
  return { snapshot: snapshotView(req, s, false) }
}

export async function updateSnapshot(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.UPDATE)
  const body = bodyOf(req).snapshot
  const name = body.name !== undefined ? body.name : body.display_name
  const description = body.description !== undefined ? body.description : body.display_description
  const updated = await deps.snapshots.update(callerOf(req), s.id, {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
  })
  return { snapshot: snapshotView(req, updated, false) }
}

export async function deleteSnapshot(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.DELETE)
  await deps.snapshots.delete(callerOf(req), s.id)
  return reply.code(202).send()
}

export async function snapshotAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  const keys = body && typeof body === 'object' ? Object.keys(body) : []
  if (keys.length !== 1) throw new VolumeBadRequest('Malformed request body')
  const name = keys[0]!
  const arg = (body[name] ?? {}) as Record<string, unknown>
  const caller = callerOf(req)
  if (name === 'os-reset_status') {
    const s = await owned(req, deps, SNAPSHOT.RESET_STATUS)
    const status = arg.status
    const valid = [
      'creating',
      'available',
      'deleting',
      'error',
      'error_deleting',
      'backing-up',
      'restoring',
      'unmanaging',
    ]
    if (typeof status !== 'string' || !valid.includes(status.toLowerCase()))
      throw new InvalidInput(`Must specify a valid status: ${String(status)}`)
    await deps.snapshots.resetStatus(caller, s.id, status.toLowerCase())
    return reply.code(202).send()
  }
  if (name === 'os-force_delete') {
    const s = await owned(req, deps, SNAPSHOT.FORCE_DELETE)
    await deps.snapshots.delete(caller, s.id, true)
    return reply.code(202).send()
  }
  if (name === 'os-update_snapshot_status') {
    const s = await owned(req, deps, SNAPSHOT.UPDATE_STATUS)
    const status = arg.status
    if (
      typeof status !== 'string' ||
      !['available', 'error', 'creating', 'deleting', 'error_deleting'].includes(status)
    )
      throw new InvalidInput(`Invalid status: ${String(status)}`)
    await deps.snapshots.repo.update(s.id, {
      status,
      ...(typeof arg.progress === 'string' ? { progress: arg.progress } : {}),
    })
    return reply.code(202).send()
  }
  if (name === 'os-unmanage') {
    const s = await owned(req, deps, SNAPSHOT.UNMANAGE)
    await deps.manage.unmanageSnapshot(s)
    return reply.code(202).send()
  }
  throw new VolumeBadRequest(`There is no such action: ${name}`)
}

export const SNAPSHOT_ACTION_RULES = [
  SNAPSHOT.RESET_STATUS,
  SNAPSHOT.FORCE_DELETE,
  SNAPSHOT.UPDATE_STATUS,
  SNAPSHOT.UNMANAGE,
]

// --- metadata

export async function showSnapshotMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { metadata: (await owned(req, deps, SNAPSHOT.META_GET)).metadata }
}

export async function createSnapshotMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.META_UPDATE)
  return { metadata: await deps.snapshots.setMetadata(callerOf(req), s.id, bodyOf(req).metadata, false) }
}

export async function replaceSnapshotMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.META_UPDATE)
  return { metadata: await deps.snapshots.setMetadata(callerOf(req), s.id, bodyOf(req).metadata, true) }
}

export async function showSnapshotMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.META_GET)
  const key = params(req).key!
  return { meta: { [key]: await deps.snapshots.metadataItem(callerOf(req), s.id, key) } }
}

export async function updateSnapshotMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.META_UPDATE)
  const key = params(req).key!
  const meta = bodyOf(req).meta as Record<string, string>
  if (!(key in meta)) throw new VolumeBadRequest('Request body and URI mismatch')
  await deps.snapshots.setMetadata(callerOf(req), s.id, meta, false)
  return { meta }
}

export async function deleteSnapshotMetadataItem(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const s = await owned(req, deps, SNAPSHOT.META_DELETE)
  await deps.snapshots.deleteMetadataItem(callerOf(req), s.id, params(req).key!)
  return reply.code(200).send()
}
