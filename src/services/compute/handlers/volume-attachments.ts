/**
 * os-volume_attachments: list, show, attach (200), update (swap for admins; 2.85
 * delete_on_termination) and detach (202). The server is loaded first (404), then the
 * rule is checked against its project. The view: id (until 2.89), serverId, volumeId,
 * device, tag (2.70), delete_on_termination (2.79), attachment_id and bdm_uuid (2.89).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { VolumeCall } from '../clients/volume.js'
import { ComputeBadRequest } from '../errors.js'
import { VOLUME } from '../policies/index.js'
import { toBool } from '../schemas/types.js'
import type { BdmRow } from '../storage/bdm.repo.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'
import { loadServer } from './servers.js'

function view(req: FastifyRequest, b: BdmRow, create = false) {
  const v = req.version
  const out: Record<string, unknown> = {}
  if (create || !v.gte('2.89')) out.id = b.volume_id
  out.serverId = b.instance_uuid
  out.volumeId = b.volume_id
  out.device = b.device_name
  if (v.gte('2.70')) out.tag = b.tag
  if (v.gte('2.79')) out.delete_on_termination = b.delete_on_termination === 1
  if (!create && v.gte('2.89')) {
    out.attachment_id = b.attachment_id
    out.bdm_uuid = b.uuid
  }
  return out
}

/** The user's token and the request id: the block storage service sees the user. */
export function volumeCall(req: FastifyRequest): VolumeCall {
  const token = req.headers['x-auth-token']
  return { requestId: req.id, ...(typeof token === 'string' ? { userToken: token } : {}) }
}

export async function listAttachments(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, VOLUME.ATTACH_INDEX)
  const q = req.query as Record<string, string | undefined>
  let rows = await deps.volumeAttachments.list(s)
  const offset = q.offset === undefined ? 0 : Number(q.offset)
  const limit = q.limit === undefined ? undefined : Number(q.limit)
  if (!Number.isInteger(offset) || offset < 0) throw new ComputeBadRequest('offset param must be positive')
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw new ComputeBadRequest('limit param must be an integer')
  rows = rows.slice(offset, limit === undefined ? undefined : offset + limit)
  return { volumeAttachments: rows.map((b) => view(req, b)) }
}

export async function showAttachment(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, VOLUME.ATTACH_SHOW)
  const b = await deps.volumeAttachments.get(s, params(req).volume_id!)
  return { volumeAttachment: view(req, b) }
}

export async function attachVolume(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, VOLUME.ATTACH_CREATE)
  const a = bodyOf(req).volumeAttachment
  const b = await deps.volumeAttachments.attach(
    callerOf(req),
    s,
    {
      volumeId: a.volumeId,
      multiattachAllowed: req.version.gte('2.60'),
      ...(a.device !== undefined ? { device: a.device } : {}),
      ...(a.tag !== undefined ? { tag: a.tag } : {}),
      ...(a.delete_on_termination !== undefined
        ? { deleteOnTermination: toBool(a.delete_on_termination) }
        : {}),
    },
    volumeCall(req),
  )
  return { volumeAttachment: view(req, b, true) }
}

export async function updateAttachment(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, VOLUME.ATTACH_UPDATE)
  const oldId = params(req).volume_id!
  const a = bodyOf(req).volumeAttachment
  const current = await deps.volumeAttachments.get(s, oldId)
  const target = { project_id: s.project_id, user_id: s.user_id }
  if (a.volumeId !== oldId) {
    req.ctx.can(VOLUME.ATTACH_SWAP, target)
    await deps.volumeAttachments.swap(callerOf(req), s, oldId, a.volumeId, volumeCall(req))
  } else if (!req.version.gte('2.85')) {
    // NOTE: before 2.85 the PUT is a swap only, whose rule admits admins alone.
    req.ctx.can(VOLUME.ATTACH_SWAP, target)
  }
  if (req.version.gte('2.85')) {
    for (const [field, value] of [
      ['id', current.volume_id],
      ['serverId', s.uuid],
      ['device', current.device_name],
      ['tag', current.tag],
    ] as const)
      if (a[field] !== undefined && a[field] !== value)
        throw new ComputeBadRequest(`The ${field} in the body cannot be changed.`)
    if (a.delete_on_termination !== undefined)
      await deps.volumeAttachments.setDeleteOnTermination(s, a.volumeId, toBool(a.delete_on_termination))
  }
  return reply.code(202).send()
}

export async function detachVolume(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, VOLUME.ATTACH_DELETE)
  await deps.volumeAttachments.detach(callerOf(req), s, params(req).volume_id!, volumeCall(req))
  return reply.code(202).send()
}
