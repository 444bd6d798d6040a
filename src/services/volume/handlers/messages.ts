/** User messages (3.3): list, show, delete. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { MESSAGE } from '../policies/index.js'
import type { MessageRow } from '../storage/message.repo.js'
import { callerOf, params, parseBool, queryOf, serviceUrl, type VolumeDeps } from './common.js'
import { cinderTime } from './views.js'

function view(req: FastifyRequest, deps: VolumeDeps, m: MessageRow) {
  const base = serviceUrl(req, deps)
  return {
    id: m.id,
    resource_type: m.resource_type,
    resource_uuid: m.resource_uuid,
    request_id: m.request_id,
    event_id: m.event_id,
    message_level: m.message_level,
    user_message: m.user_message,
    created_at: cinderTime(m.created_at),
    guaranteed_until: cinderTime(m.expires_at),
    links: [
      { rel: 'self', href: `${base}/v3/${m.project_id}/messages/${m.id}` },
      { rel: 'bookmark', href: `${base}/${m.project_id}/messages/${m.id}` },
    ],
  }
}

export async function listMessages(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(MESSAGE.GET_ALL, { project_id: req.ctx.who.project_id })
  const q = queryOf(req)
  const rows = await deps.messages.list(
    callerOf(req),
    q.all_tenants !== undefined && parseBool(q.all_tenants, 'all_tenants'),
  )
  return { messages: rows.map((m) => view(req, deps, m)) }
}

export async function showMessage(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const m = await deps.messages.get(callerOf(req), params(req).message_id!)
  req.ctx.can(MESSAGE.GET, { project_id: m.project_id })
  return { message: view(req, deps, m) }
}

export async function deleteMessage(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const m = await deps.messages.get(callerOf(req), params(req).message_id!)
  req.ctx.can(MESSAGE.DELETE, { project_id: m.project_id })
  await deps.messages.delete(callerOf(req), m.id)
  return reply.code(204).send()
}
