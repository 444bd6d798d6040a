/** The attachments API (3.27+): create, list, show, update with a connector, complete (3.44), delete. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ATTACHMENT, VOLUME } from '../policies/index.js'
import type { AttachmentRow } from '../storage/volume.repo.js'
import { bodyOf, callerOf, params, parseBool, queryOf, type VolumeDeps } from './common.js'
import { cinderTime } from './views.js'

function summary(a: AttachmentRow) {
  return { id: a.id, status: a.attach_status, instance: a.instance_uuid, volume_id: a.volume_id }
}

function detail(a: AttachmentRow) {
  return {
    ...summary(a),
    attached_at: cinderTime(a.attach_time) ?? '',
    detached_at: cinderTime(a.detach_time) ?? '',
    attach_mode: a.attach_mode,
    connection_info: a.connection_info ? JSON.parse(a.connection_info) : null,
  }
}

async function list(req: FastifyRequest, deps: VolumeDeps, full: boolean) {
  req.ctx.can(VOLUME.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const rows = await deps.attachments.list(callerOf(req), {
    ...(q.volume_id ? { volumeId: q.volume_id } : {}),
    ...(q.instance_id ? { instanceId: q.instance_id } : {}),
    allProjects: q.all_tenants !== undefined && parseBool(q.all_tenants, 'all_tenants'),
  })
  return { attachments: rows.map((a) => (full ? detail(a) : summary(a))) }
}

export const listAttachments = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, false)
export const listAttachmentDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, true)

export async function showAttachment(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const a = await deps.attachments.get(callerOf(req), params(req).attachment_id!)
  req.ctx.can(VOLUME.GET, { project_id: a.project_id })
  return { attachment: detail(a) }
}

export async function createAttachment(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).attachment
  const caller = callerOf(req)
  const vol = await deps.volumes.get(caller, body.volume_uuid)
  req.ctx.can(ATTACHMENT.CREATE, { project_id: vol.project_id })
  if (vol.multiattach && vol.bootable)
    req.ctx.can(ATTACHMENT.MULTIATTACH_BOOTABLE, { project_id: vol.project_id })
  const a = await deps.attachments.create(caller, {
    volumeId: vol.id,
    instanceId: body.instance_uuid ?? null,
    connector: body.connector ?? null,
    mode: req.version.gte('3.54') ? (body.mode ?? null) : null,
  })
  return { attachment: detail(a) }
}

export async function updateAttachment(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const caller = callerOf(req)
  const a = await deps.attachments.get(caller, params(req).attachment_id!)
  req.ctx.can(ATTACHMENT.UPDATE, { project_id: a.project_id })
  return { attachment: detail(await deps.attachments.update(caller, a.id, bodyOf(req).attachment.connector)) }
}

export async function deleteAttachment(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const caller = callerOf(req)
  const a = await deps.attachments.get(caller, params(req).attachment_id!)
  req.ctx.can(ATTACHMENT.DELETE, { project_id: a.project_id })
  await deps.attachments.delete(caller, a.id)
  return { attachments: [] }
}

export async function attachmentAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const caller = callerOf(req)
  const a = await deps.attachments.get(caller, params(req).attachment_id!)
  req.ctx.can(ATTACHMENT.COMPLETE, { project_id: a.project_id })
  const body = bodyOf(req)
  if (!body || typeof body !== 'object' || !('os-complete' in body))
    return reply.code(400).send({ badRequest: { code: 400, message: 'Malformed request body' } })
  await deps.attachments.complete(caller, a.id)
  return reply.code(204).send()
}
