/**
 * os-volumes and os-snapshots (until 2.35; 404 from 2.36): the deprecated proxies to
 * the block storage service, called with the user's token, in Nova's older shapes
 * (camelCase fields, `displayName`, attachments `[{}]` when there are none, paging by
 * limit and offset).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ServiceCallFailed } from '../../../kernel/host/index.js'
import { VolumeRefused } from '../clients/volume.js'
import { ComputeBadRequest, ComputeNotFound } from '../errors.js'
import { bodyOf, type ComputeDeps, params } from './common.js'
import { volumeCall } from './volume-attachments.js'

type Raw = Record<string, unknown>

function volumeView(v: Raw) {
  const atts = (v.attachments as Raw[] | undefined) ?? []
  return {
    id: v.id,
    status: v.status,
    size: v.size,
    availabilityZone: v.availability_zone,
    createdAt: v.created_at,
    displayName: v.name ?? null,
    displayDescription: v.description ?? null,
    volumeType: v.volume_type,
    snapshotId: v.snapshot_id ?? null,
    metadata: v.metadata ?? {},
    attachments: atts.length
      ? atts.map((a) => ({ id: a.id, volumeId: v.id, serverId: a.server_id, device: a.device }))
      : [{}],
  }
}

function snapshotView(s: Raw) {
  return {
    id: s.id,
    volumeId: s.volume_id,
    status: s.status,
    size: s.size,
    createdAt: s.created_at,
    displayName: s.name ?? null,
    displayDescription: s.description ?? null,
  }
}

/** Limit and offset over a list, as Nova's common.limited. */
function limited<T>(req: FastifyRequest, rows: T[], max: number): T[] {
  const q = req.query as Record<string, string | undefined>
  const offset = q.offset === undefined ? 0 : Number(q.offset)
  const limit = q.limit === undefined ? max : Number(q.limit)
  if (!Number.isInteger(offset) || offset < 0) throw new ComputeBadRequest('offset param must be positive')
  if (!Number.isInteger(limit) || limit < 0) throw new ComputeBadRequest('limit param must be an integer')
  return rows.slice(offset, offset + Math.min(limit, max))
}

async function cinder<T>(
  deps: ComputeDeps,
  req: FastifyRequest,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  try {
    return await deps.volumeApi.raw<T>(method, path, volumeCall(req), body)
  } catch (e) {
    if (e instanceof VolumeRefused) {
      if (e.status === 404) throw new ComputeNotFound(e.message)
      throw new ComputeBadRequest(e.message)
    }
    if (e instanceof ServiceCallFailed && e.answered === undefined)
      throw new ComputeNotFound('The volume service is not available.')
    throw e
  }
}

export async function listVolumes(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const rows = (await cinder<{ volumes: Raw[] }>(deps, req, 'GET', '/volumes/detail')).volumes
  return { volumes: limited(req, rows, deps.config.api.max_limit).map(volumeView) }
}

export async function showVolume(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).volume_id!
  const v = (await cinder<{ volume: Raw }>(deps, req, 'GET', `/volumes/${encodeURIComponent(id)}`)).volume
  return { volume: volumeView(v) }
}

export async function createVolume(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const b = bodyOf(req).volume
  const body = {
    size: Number(b.size),
    ...(b.display_name !== undefined ? { name: b.display_name } : {}),
    ...(b.display_description !== undefined ? { description: b.display_description } : {}),
    ...(b.volume_type !== undefined ? { volume_type: b.volume_type } : {}),
    ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
    ...(b.snapshot_id !== undefined ? { snapshot_id: b.snapshot_id } : {}),
    ...(b.availability_zone !== undefined ? { availability_zone: b.availability_zone } : {}),
  }
  const v = (await cinder<{ volume: Raw }>(deps, req, 'POST', '/volumes', { volume: body })).volume
  return { volume: volumeView(v) }
}

export async function deleteVolume(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await cinder(deps, req, 'DELETE', `/volumes/${encodeURIComponent(params(req).volume_id!)}`)
  return reply.code(202).send()
}

export async function listSnapshots(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const rows = (await cinder<{ snapshots: Raw[] }>(deps, req, 'GET', '/snapshots/detail')).snapshots
  return { snapshots: limited(req, rows, deps.config.api.max_limit).map(snapshotView) }
}

export async function showSnapshot(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const id = params(req).snapshot_id!
  const s = (await cinder<{ snapshot: Raw }>(deps, req, 'GET', `/snapshots/${encodeURIComponent(id)}`))
    .snapshot
  return { snapshot: snapshotView(s) }
}

export async function createSnapshot(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const b = bodyOf(req).snapshot
  const body = {
    volume_id: b.volume_id,
    force: b.force === undefined ? false : ['true', '1', 'on', 'yes'].includes(String(b.force).toLowerCase()),
    ...(b.display_name !== undefined ? { name: b.display_name } : {}),
    ...(b.display_description !== undefined ? { description: b.display_description } : {}),
  }
  const s = (await cinder<{ snapshot: Raw }>(deps, req, 'POST', '/snapshots', { snapshot: body })).snapshot
  return { snapshot: snapshotView(s) }
}

export async function deleteSnapshot(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  await cinder(deps, req, 'DELETE', `/snapshots/${encodeURIComponent(params(req).snapshot_id!)}`)
  return reply.code(202).send()
}
