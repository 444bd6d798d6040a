/**
 * Cinder's views of volumes, snapshots and types: the fields each microversion shows,
 * the extended attributes policies reveal (os-vol-host-attr, os-vol-tenant-attr,
 * os-vol-mig-status-attr, os-extended-snapshot-attributes), timestamps as Cinder
 * prints them.
 */
import type { FastifyRequest } from 'fastify'
import { SNAPSHOT, TYPE, USER_VISIBLE_EXTRA_SPECS, VOLUME } from '../policies/index.js'
import type { SnapshotRecord } from '../storage/snapshot.repo.js'
import type { TypeRecord } from '../storage/type.repo.js'
import type { VolumeRecord } from '../storage/volume.repo.js'
import { itemLinks, type VolumeDeps } from './common.js'

/** `2026-01-02T03:04:05.678000`, as Cinder's naive datetimes print. */
export function cinderTime(iso: string | null): string | null {
  if (!iso) return null
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$/.exec(iso)
  if (!m) return iso
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`
}

/** Admin metadata keys shown among a volume's metadata. */
const VISIBLE_ADMIN_METADATA = ['readonly', 'attached_mode']

export function volumeSummary(req: FastifyRequest, deps: VolumeDeps, v: VolumeRecord) {
  return { id: v.id, name: v.display_name, links: itemLinks(req, deps, 'volumes', v.id, v.project_id) }
}

export interface TypeNames {
  get(id: string): { id: string; name: string } | undefined
}

/**
 * A volume's detailed view; `extended` adds what Cinder's extensions add to show and
 * detail lists (host, tenant and migration attributes, image metadata), which create
 * and update answers do not carry.
 */
export function volumeDetail(
  req: FastifyRequest,
  deps: VolumeDeps,
  v: VolumeRecord,
  types: TypeNames,
  extended = true,
) {
  const target = { project_id: v.project_id }
  const ctx = req.ctx
  const isAdmin = ctx.allows('context_is_admin')
  const version = req.version
  const type = types.get(v.volume_type_id)
  const visibleAdmin = Object.fromEntries(
    Object.entries(v.adminMetadata).filter(([k]) => VISIBLE_ADMIN_METADATA.includes(k)),
  )
  const out: Record<string, unknown> = {
    id: v.id,
    status: v.status,
    size: v.size,
    availability_zone: v.availability_zone,
    created_at: cinderTime(v.created_at),
    updated_at: cinderTime(v.updated_at),
    name: v.display_name,
    description: v.display_description,
    volume_type: type?.name ?? null,
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    metadata: { ...v.metadata, ...visibleAdmin },
    links: itemLinks(req, deps, 'volumes', v.id, v.project_id),
    user_id: v.user_id,
    bootable: v.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: v.replication_status,
    consistencygroup_id: null,
    multiattach: v.multiattach === 1,
    attachments: v.attachments
      .filter((a) => a.attach_status === 'attached')
      .map((a) => ({
        id: v.id,
        attachment_id: a.id,
        volume_id: v.id,
        server_id: a.instance_uuid,
        host_name: isAdmin ? a.attached_host : null,
        device: a.mountpoint,
        attached_at: cinderTime(a.attach_time),
      })),
  }
  if (isAdmin) out.migration_status = v.migration_status
  if (version.gte('3.13')) out.group_id = v.group_id
  if (isAdmin && version.gte('3.21')) out.provider_id = null
  if (version.gte('3.48')) {
    out.shared_targets = false
    out.service_uuid = deps.services.serviceUuid(v.host?.split('#')[0] ?? undefined)
  }
  if (isAdmin && version.gte('3.61')) out.cluster_name = null
  if (version.gte('3.63')) out.volume_type_id = v.volume_type_id
  if (version.gte('3.65')) out.consumes_quota = v.use_quota === 1
  if (!extended) return out
  if (ctx.allows(VOLUME.HOST_ATTRIBUTE, target)) out['os-vol-host-attr:host'] = v.host
  if (ctx.allows(VOLUME.TENANT_ATTRIBUTE, target)) out['os-vol-tenant-attr:tenant_id'] = v.project_id
  if (ctx.allows(VOLUME.MIG_ATTRIBUTE, target)) {
    out['os-vol-mig-status-attr:migstat'] = v.migration_status
    out['os-vol-mig-status-attr:name_id'] = null
  }
  if (Object.keys(v.imageMetadata).length && ctx.allows(VOLUME.IMAGE_META_SHOW, target))
    out.volume_image_metadata = v.imageMetadata
  return out
}

/** A snapshot; `extended` adds the progress and project (show and detail lists, not create or update). */
export function snapshotView(req: FastifyRequest, s: SnapshotRecord, extended = true) {
  const target = { project_id: s.project_id }
  const out: Record<string, unknown> = {
    id: s.id,
    created_at: cinderTime(s.created_at),
    updated_at: cinderTime(s.updated_at),
    name: s.display_name,
    description: s.display_description,
    volume_id: s.volume_id,
    status: s.status,
    size: s.volume_size,
    metadata: s.metadata,
  }
  if (req.version.gte('3.14')) out.group_snapshot_id = s.group_snapshot_id
  if (req.version.gte('3.41')) out.user_id = s.user_id
  if (req.version.gte('3.65')) out.consumes_quota = s.use_quota === 1
  if (extended && req.ctx.allows(SNAPSHOT.EXTEND_ATTRIBUTE, target)) {
    out['os-extended-snapshot-attributes:progress'] = s.progress
    out['os-extended-snapshot-attributes:project_id'] = s.project_id
  }
  return out
}

/** The type as create and update answer it (Cinder's v2 types view): every extra spec, no qos_specs_id. */
export function typeManageView(t: TypeRecord, withAccess = true) {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.is_public === 1,
    extra_specs: t.extra_specs,
    description: t.description,
  }
  // NOTE: Cinder's type-access extension decorates create, not update.
  if (withAccess) out['os-volume-type-access:is_public'] = t.is_public === 1
  return out
}

export function typeView(req: FastifyRequest, t: TypeRecord) {
  const target = { project_id: req.ctx.who.project_id }
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    is_public: t.is_public === 1,
    description: t.description,
  }
  if (req.ctx.allows(TYPE.EXTRA_SPEC, target)) {
    out.extra_specs = req.ctx.allows(TYPE.SPECS_READ_SENSITIVE, target)
      ? t.extra_specs
      : Object.fromEntries(
          Object.entries(t.extra_specs).filter(([k]) => USER_VISIBLE_EXTRA_SPECS.includes(k)),
        )
  }
  if (req.ctx.allows(TYPE.QOS, target)) out.qos_specs_id = t.qos_specs_id
  out['os-volume-type-access:is_public'] = t.is_public === 1
  return out
}
