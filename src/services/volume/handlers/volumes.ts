/** Volume handlers: create, list (with filters, sort and paging), summary, show, update, delete, metadata. */
import { accessSync, constants } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CreateVolume } from '../domain/volumes.js'
import { InvalidInput } from '../errors.js'
import { VOLUME } from '../policies/index.js'
import type { VolumeFilter } from '../storage/volume.repo.js'
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
import { type TypeNames, volumeDetail, volumeSummary } from './views.js'

const SORT_COLUMNS = {
  id: 'id',
  name: 'display_name',
  display_name: 'display_name',
  status: 'status',
  size: 'size',
  created_at: 'created_at',
  updated_at: 'updated_at',
  availability_zone: 'availability_zone',
  bootable: 'bootable',
  volume_type: 'volume_type_id',
  project_id: 'project_id',
} as const

export async function typeNames(deps: VolumeDeps): Promise<TypeNames> {
  const all = await deps.types.list({ userId: '', projectId: '', isAdmin: true }, undefined)
  const byId = new Map(all.map((t) => [t.id, { id: t.id, name: t.name }]))
  return byId
}

/** The list filters Cinder accepts for volumes, and the project scope of the list. */
function filterOf(req: FastifyRequest, q: Record<string, string>): VolumeFilter {
  const caller = callerOf(req)
  const filter: VolumeFilter = {}
  const allTenants = q.all_tenants !== undefined && caller.isAdmin && parseBool(q.all_tenants, 'all_tenants')
  if (!allTenants) filter.projectId = caller.projectId
  else if (q.project_id !== undefined) filter.projectId = q.project_id
  if (q.name !== undefined) filter.name = q.name
  if (q.display_name !== undefined) filter.name = q.display_name
  if (q['name~'] !== undefined && req.version.gte('3.34')) filter.nameLike = q['name~']
  if (q.status !== undefined) filter.status = q.status
  if (q.bootable !== undefined) filter.bootable = parseBool(q.bootable, 'bootable')
  if (q.availability_zone !== undefined) filter.availabilityZone = q.availability_zone
  if (q.size !== undefined) {
    if (!/^\d+$/.test(q.size)) throw new InvalidInput(`Invalid size filter: ${q.size}`)
    filter.size = Number(q.size)
  }
  if (q.metadata !== undefined) filter.metadata = parseMetadataFilter(q.metadata)
  if (q.group_id !== undefined && req.version.gte('3.10')) filter.groupId = q.group_id
  return filter
}

async function list(req: FastifyRequest, deps: VolumeDeps, detail: boolean) {
  req.ctx.can(VOLUME.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const filter = filterOf(req, q)
  const sort = parseSort(q, SORT_COLUMNS)
  const page = parseLimitOffset(q, deps.config.DEFAULT.osapi_max_limit)
  const items = await deps.volumes.list(
    filter,
    sort,
    { ...page, ...(q.marker !== undefined ? { marker: q.marker } : {}) },
    callerOf(req),
  )
  const names = detail ? await typeNames(deps) : undefined
  const out: Record<string, unknown> = {
    volumes: items.map((v) => (detail ? volumeDetail(req, deps, v, names!) : volumeSummary(req, deps, v))),
  }
  const links = nextLinks(req, deps, items, q.limit !== undefined ? page.limit : undefined)
  if (links) out.volumes_links = links
  if (req.version.gte('3.45') && q.with_count !== undefined && parseBool(q.with_count, 'with_count'))
    out.count = (await deps.volumes.repo.count(filter)).count
  return out
}

export const listVolumes = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) => list(req, deps, false)
export const listVolumeDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, true)

export async function volumeSummaryTotals(req: FastifyRequest, _reply: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(VOLUME.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const filter = filterOf(req, q)
  const { count, size } = await deps.volumes.repo.count(filter)
  const summary: Record<string, unknown> = { total_size: size, total_count: count }
  if (req.version.gte('3.36')) summary.metadata = await deps.volumes.repo.distinctMetadata(filter)
  return { 'volume-summary': summary }
}

export async function showVolume(req: FastifyRequest, _reply: FastifyReply, deps: VolumeDeps) {
  const v = await deps.volumes.get(callerOf(req), params(req).volume_id!)
  req.ctx.can(VOLUME.GET, { project_id: v.project_id })
  return { volume: volumeDetail(req, deps, v, await typeNames(deps)) }
}

export async function createVolume(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).volume
  const caller = callerOf(req)
  req.ctx.can(VOLUME.CREATE, { project_id: caller.projectId })
  const imageId = body.imageRef ?? body.image_id
  let image: CreateVolume['image']
  if (imageId) {
    const token = req.headers['x-auth-token']
    const found = await deps.images.find(String(imageId), {
      requestId: req.id,
      ...(typeof token === 'string' ? { userToken: token } : {}),
    })
    if (!found) throw new InvalidInput('Invalid image identifier or unable to access requested image.')
    if (found.status !== 'active') throw new InvalidInput(`Image ${found.id} is not active.`)
    const local = localImageFile(found.directUrl, deps.config.DEFAULT.allowed_direct_url_schemes)
    image = {
      metadata: found.metadata,
      minDisk: found.minDisk,
      size: found.size,
      ...(local ? { localPath: local } : {}),
      data: () =>
        deps.images.read(found.id, {
          requestId: req.id,
          ...(typeof token === 'string' ? { userToken: token } : {}),
        }),
    }
  }
  // NOTE: before 3.47 upstream ignores backup_id
  const backup =
    body.backup_id && req.version.gte('3.47')
      ? await deps.backups.sourceFor(caller, String(body.backup_id))
      : undefined
  const multiattach = body.multiattach !== undefined && parseBool(body.multiattach, 'multiattach')
  if (multiattach) req.ctx.can(VOLUME.MULTIATTACH, { project_id: caller.projectId })
  const size = body.size === undefined || body.size === null ? undefined : Number(body.size)
  const group =
    body.group_id && req.version.gte('3.13')
      ? await deps.groups.forNewVolume(caller, body.group_id)
      : undefined
  const v = await deps.volumes.create(caller, {
    ...(group ? { group } : {}),
    ...(size !== undefined ? { size } : {}),
    name: body.name ?? body.display_name ?? null,
    description: body.description ?? body.display_description ?? null,
    volumeType: body.volume_type ?? null,
    availabilityZone: body.availability_zone ?? null,
    metadata: body.metadata ?? {},
    multiattach,
    snapshotId: body.snapshot_id ?? null,
    sourceVolid: body.source_volid ?? null,
    ...(image ? { image } : {}),
    ...(backup ? { backup } : {}),
    requestId: req.id,
  })
  reply.code(202)
  return { volume: volumeDetail(req, deps, v, await typeNames(deps), false) }
}

export async function updateVolume(req: FastifyRequest, _reply: FastifyReply, deps: VolumeDeps) {
  const id = params(req).volume_id!
  const caller = callerOf(req)
  const existing = await deps.volumes.get(caller, id)
  req.ctx.can(VOLUME.UPDATE, { project_id: existing.project_id })
  const body = bodyOf(req).volume
  if (!Object.keys(body).length) throw new InvalidInput('Missing required element volume in request body.')
  const name = body.name !== undefined ? body.name : body.display_name
  const description = body.description !== undefined ? body.description : body.display_description
  const v = await deps.volumes.update(caller, id, {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
  })
  return { volume: volumeDetail(req, deps, v, await typeNames(deps), false) }
}

export async function deleteVolume(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const id = params(req).volume_id!
  const caller = callerOf(req)
  const v = await deps.volumes.get(caller, id)
  req.ctx.can(VOLUME.DELETE, { project_id: v.project_id })
  const q = queryOf(req)
  const cascade = q.cascade !== undefined && parseBool(q.cascade, 'cascade')
  const force = req.version.gte('3.23') && q.force !== undefined && parseBool(q.force, 'force')
  if (force) req.ctx.can(VOLUME.FORCE_DELETE, { project_id: v.project_id })
  await deps.volumes.delete(caller, id, { cascade, force })
  return reply.code(202).send()
}

// --- metadata

async function owned(req: FastifyRequest, deps: VolumeDeps, rule: string) {
  const v = await deps.volumes.get(callerOf(req), params(req).volume_id!)
  req.ctx.can(rule, { project_id: v.project_id })
  return v
}

export async function showMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_GET)
  return { metadata: v.metadata }
}

export async function createMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_CREATE)
  return { metadata: await deps.volumes.setMetadata(callerOf(req), v.id, bodyOf(req).metadata, false) }
}

export async function replaceMetadata(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_UPDATE)
  return { metadata: await deps.volumes.setMetadata(callerOf(req), v.id, bodyOf(req).metadata, true) }
}

export async function showMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_GET)
  const key = params(req).key!
  return { meta: { [key]: await deps.volumes.metadataItem(callerOf(req), v.id, key) } }
}

export async function updateMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_UPDATE)
  const key = params(req).key!
  const meta = bodyOf(req).meta as Record<string, string>
  if (!(key in meta)) throw new InvalidInput('Request body and URI mismatch')
  await deps.volumes.setMetadata(callerOf(req), v.id, meta, false)
  return { meta }
}

export async function deleteMetadataItem(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const v = await owned(req, deps, VOLUME.META_DELETE)
  await deps.volumes.deleteMetadataItem(callerOf(req), v.id, params(req).key!)
  return reply.code(200).send()
}

/**
 * The image's file on this host, when its direct_url is a `file://` URL, `file` is in
 * `allowed_direct_url_schemes` and the file is there to read (Cinder's direct download):
 * the volume is then a copy of that file (a reflink or copy_file_range) instead of a
 * stream through the image API.
 */
function localImageFile(directUrl: string | null, allowed: readonly string[]): string | undefined {
  if (!directUrl?.startsWith('file://') || !allowed.includes('file')) return undefined
  try {
    const path = fileURLToPath(directUrl)
    accessSync(path, constants.R_OK)
    return path
  } catch {
    return undefined
  }
}
