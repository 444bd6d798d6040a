/**
 * Manage existing volumes and snapshots (admins): `POST /os-volume-manage` and, from
 * 3.8, `POST /manageable_volumes`; `POST /os-snapshot-manage` and `/manageable_snapshots`;
 * the manageable lists `GET /manageable_volumes[/detail]` and
 * `/manageable_snapshots[/detail]` (3.8) for a `host` (or `cluster`, 3.17). The unmanage
 * actions are in volume-actions.ts and snapshots.ts; every rule here is enforced by the
 * route (admin_api).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ManageableEntry } from '../domain/manage.js'
import { InvalidInput, VolumeBadRequest, VolumeNotFound } from '../errors.js'
import { bodyOf, callerOf, parseBool, parseLimitOffset, queryOf, type VolumeDeps } from './common.js'
import { snapshotView, volumeDetail } from './views.js'
import { typeNames } from './volumes.js'

/** The body's object under `key`, with its required elements (upstream's wording). */
function element(req: FastifyRequest, key: string, required: readonly string[]): Record<string, unknown> {
  const body = bodyOf(req)
  const el = body && typeof body === 'object' ? body[key] : undefined
  if (!el || typeof el !== 'object' || Array.isArray(el))
    throw new VolumeBadRequest(`Missing required element '${key}' in request body.`)
  const missing = required.filter((k) => el[k] === undefined)
  if (missing.length) throw new VolumeBadRequest(`The following elements are required: ${missing.join(', ')}`)
  return el
}

const optString = (v: unknown, name: string): string | null | undefined => {
  if (v === undefined || v === null) return v
  if (typeof v !== 'string' || v.length > 255)
    throw new InvalidInput(`${name} must be a string of at most 255 characters.`)
  return v
}

function metadataOf(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw new InvalidInput('metadata must be an object of strings.')
  return v as Record<string, string>
}

export async function manageVolume(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const el = element(req, 'volume', ['ref'])
  const host = el.host ?? (req.version.gte('3.16') ? el.cluster : undefined)
  if (host === undefined) throw new VolumeBadRequest('The following elements are required: host')
  const name = optString(el.name, 'name')
  const description = optString(el.description, 'description')
  const volumeType = optString(el.volume_type, 'volume_type')
  const zone = optString(el.availability_zone, 'availability_zone')
  const metadata = metadataOf(el.metadata)
  const vol = await deps.manage.manageVolume(callerOf(req), {
    host: host as string,
    ref: el.ref,
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(volumeType ? { volumeType } : {}),
    ...(zone ? { availabilityZone: zone } : {}),
    ...(metadata ? { metadata } : {}),
    ...(el.bootable !== undefined ? { bootable: parseBool(el.bootable, 'bootable') } : {}),
  })
  reply.code(202)
  return { volume: volumeDetail(req, deps, vol, await typeNames(deps)) }
}

export async function manageSnapshot(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const el = element(req, 'snapshot', ['ref', 'volume_id'])
  if (typeof el.volume_id !== 'string') throw new VolumeNotFound(String(el.volume_id))
  const caller = callerOf(req)
  const vol = await deps.volumes.get(caller, el.volume_id)
  const name = optString(el.name ?? el.display_name, 'name')
  const description = optString(el.description, 'description')
  const metadata = metadataOf(el.metadata)
  const snap = await deps.manage.manageSnapshot(caller, vol, {
    ref: el.ref,
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(metadata ? { metadata } : {}),
  })
  reply.code(202)
  return { snapshot: snapshotView(req, snap, false) }
}

/** host (or cluster from 3.17, one of the two), sort by reference or size, limit/offset/marker. */
async function manageable(
  req: FastifyRequest,
  deps: VolumeDeps,
  kind: 'volume' | 'snapshot',
): Promise<ManageableEntry[]> {
  const q = queryOf(req)
  const cluster = req.version.gte('3.17') ? q.cluster : undefined
  if ((q.host === undefined) === (cluster === undefined))
    throw new InvalidInput('One and only one of cluster and host must be set.')
  const keys = (q.sort ?? q.sort_key ?? 'reference').split(',').map((p) => {
    const [key, dir] = p.trim().split(':')
    return { key: key!, dir: (dir ?? q.sort_dir ?? 'desc').toLowerCase() }
  })
  const bad = keys.filter((k) => k.key !== 'reference' && k.key !== 'size')
  if (bad.length) throw new InvalidInput(`Invalid sort keys passed: ${bad.map((k) => k.key).join(', ')}`)
  if (keys.some((k) => k.dir !== 'asc' && k.dir !== 'desc'))
    throw new InvalidInput('Invalid sort dirs passed: must be asc or desc.')
  const page = parseLimitOffset(q, deps.config.DEFAULT.osapi_max_limit)
  let items = await deps.manage.manageable(q.host ?? cluster, kind)
  items.sort((a, b) => {
    for (const k of keys) {
      const c =
        k.key === 'size'
          ? a.size - b.size
          : a.reference['source-name'].localeCompare(b.reference['source-name'])
      if (c) return k.dir === 'asc' ? c : -c
    }
    return 0
  })
  if (q.marker !== undefined) {
    const at = items.findIndex(
      (i) => i.reference['source-name'] === q.marker || JSON.stringify(i.reference) === q.marker,
    )
    if (at < 0) throw new InvalidInput(`marker [${q.marker}] not found`)
    items = items.slice(at + 1)
  }
  return items.slice(page.offset ?? 0, (page.offset ?? 0) + (page.limit ?? items.length))
}

const summary = ({ reference, size, safe_to_manage }: ManageableEntry) => ({
  reference,
  size,
  safe_to_manage,
})

export async function listManageableVolumes(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { 'manageable-volumes': (await manageable(req, deps, 'volume')).map(summary) }
}

export async function listManageableVolumeDetails(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return {
    'manageable-volumes': (await manageable(req, deps, 'volume')).map(({ source_reference: _s, ...e }) => e),
  }
}

export async function listManageableSnapshots(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return {
    'manageable-snapshots': (await manageable(req, deps, 'snapshot')).map((e) => ({
      ...summary(e),
      source_reference: e.source_reference ?? null,
    })),
  }
}

export async function listManageableSnapshotDetails(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { 'manageable-snapshots': await manageable(req, deps, 'snapshot') }
}
