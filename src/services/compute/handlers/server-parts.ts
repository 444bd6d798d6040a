/**
 * What hangs off a server: metadata, tags (2.26), addresses (from the server's ports
 * in the network service), instance actions with their events, and
 * os-server-external-events.
 */
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Server } from '../domain/servers.js'
import { ComputeBadRequest, ComputeNotFound, ServerActionNotFound, ServerNotFound } from '../errors.js'
import { SERVER } from '../policies/index.js'
import { TAG_PARAM } from '../schemas/servers.js'
import { validateBody } from '../schemas/validate.js'
import { bodyOf, type ComputeDeps, callerOf, params } from './common.js'
import { loadServer } from './servers.js'

// --- metadata

export async function listMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { metadata: (await loadServer(req, deps, SERVER.META_INDEX)).metadata }
}

export async function replaceMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.META_UPDATE_ALL)
  return { metadata: await deps.servers.setMetadata(s, bodyOf(req).metadata, true) }
}

export async function updateMetadata(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.META_CREATE)
  return { metadata: await deps.servers.setMetadata(s, bodyOf(req).metadata, false) }
}

export async function showMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.META_SHOW)
  const key = params(req).key!
  return { meta: { [key]: deps.servers.metadataItem(s, key) } }
}

export async function setMetadataItem(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.META_UPDATE)
  const key = params(req).key!
  const meta = bodyOf(req).meta as Record<string, string>
  if (!(key in meta)) throw new ComputeBadRequest('Request body and URI mismatch')
  await deps.servers.setMetadata(s, meta, false)
  return { meta }
}

export async function deleteMetadataItem(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.META_DELETE)
  await deps.servers.deleteMetadata(s, params(req).key!)
  return reply.code(204).send()
}

// --- tags

export async function listTags(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  return { tags: (await loadServer(req, deps, SERVER.TAGS_INDEX)).tags }
}

export async function replaceTags(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.TAGS_UPDATE_ALL)
  return { tags: await deps.servers.setTags(s, bodyOf(req).tags) }
}

export async function deleteTags(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.TAGS_DELETE_ALL)
  await deps.servers.setTags(s, [])
  return reply.code(204).send()
}

export async function checkTag(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.TAGS_SHOW)
  deps.servers.hasTag(s, params(req).tag!)
  return reply.code(204).send()
}

export async function addTag(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.TAGS_UPDATE)
  const tag = params(req).tag!
  validateBody({ type: 'object', properties: { tag: TAG_PARAM } }, { tag })
  const added = await deps.servers.addTag(s, tag)
  reply.header('location', `${req.url.split('?')[0]}`)
  return reply.code(added ? 201 : 204).send()
}

export async function deleteTag(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.TAGS_DELETE)
  await deps.servers.deleteTag(s, params(req).tag!)
  return reply.code(204).send()
}

// --- addresses

export async function listIps(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.IPS_INDEX)
  const view = (await deps.serverNetworks.views([s], req.id)).get(s.uuid)
  return { addresses: view?.addresses ?? {} }
}

export async function showIps(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.IPS_SHOW)
  const label = params(req).network!
  return { [label]: await deps.serverNetworks.addressesOn(s, label, req.id) }
}

// --- instance actions

function actionView(
  req: FastifyRequest,
  a: {
    action: string
    instance_uuid: string
    request_id: string
    user_id: string | null
    project_id: string | null
    start_time: string
    message: string | null
    updated_at: string | null
  },
) {
  return {
    action: a.action,
    instance_uuid: a.instance_uuid,
    request_id: a.request_id,
    user_id: a.user_id,
    project_id: a.project_id,
    start_time: novaTs(a.start_time),
    message: a.message,
    ...(req.version.gte('2.58') ? { updated_at: novaTs(a.updated_at) } : {}),
  }
}

/** Instance action times: ISO 8601 with microseconds, and no zone before 2.58... as upstream. */
function novaTs(iso: string | null): string | null {
  if (!iso) return null
  return `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(6, '0')}`
}

/**
 * The server whose instance actions are asked for, deleted ones included; another
 * project's server does not exist for a non-admin (404 before the rule, as loadServer).
 */
async function actionsServer(req: FastifyRequest, deps: ComputeDeps): Promise<Server> {
  const s = await deps.servers.get(params(req).server_id!, { withDeleted: true })
  if (s.project_id !== req.ctx.who.project_id && !callerOf(req).isAdmin) throw new ServerNotFound(s.uuid)
  return s
}

export async function listActions(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await actionsServer(req, deps)
  req.ctx.can(SERVER.ACTIONS_LIST, { project_id: s.project_id })
  const actions = await deps.actions.list(s.uuid)
  return { instanceActions: actions.map((a) => actionView(req, a)) }
}

export async function showAction(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await actionsServer(req, deps)
  req.ctx.can(SERVER.ACTIONS_SHOW, { project_id: s.project_id })
  const requestId = params(req).request_id!
  const a = await deps.actions.byRequest(s.uuid, requestId)
  if (!a) throw new ServerActionNotFound(requestId, s.uuid)
  const out: Record<string, unknown> = actionView(req, a)
  const target = { project_id: s.project_id }
  const admin = req.ctx.allows(SERVER.ACTIONS_EVENTS, target)
  if (admin || req.version.gte('2.51')) {
    const details = req.version.gte('2.84') && req.ctx.allows(SERVER.ACTIONS_EVENT_DETAILS, target)
    out.events = (await deps.actions.events(a.id)).map((e) => ({
      event: e.event,
      start_time: novaTs(e.start_time),
      finish_time: novaTs(e.finish_time),
      result: e.result,
      ...(admin ? { traceback: e.traceback } : {}),
      ...(admin && req.version.gte('2.62')
        ? { host: e.host, hostId: e.host ? hostIdOf(s.project_id, e.host) : '' }
        : {}),
      ...(!admin && req.version.gte('2.62') ? { hostId: e.host ? hostIdOf(s.project_id, e.host) : '' } : {}),
      ...(details ? { details: e.details } : {}),
    }))
  }
  return { instanceAction: out }
}

function hostIdOf(project: string, host: string): string {
  // same digest as the server's hostId
  return createHash('sha224').update(`${project}${host}`).digest('hex')
}

// --- external events

export async function createExternalEvents(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const events = bodyOf(req).events as { name: string; server_uuid: string; tag?: string; status?: string }[]
  const out = await deps.servers.externalEvents(events)
  // NOTE: as upstream: nothing accepted is a 404 fault, some refused a 207 multi-status.
  if (!out.some((e) => e.code === 200)) throw new ComputeNotFound('No instances found for any event')
  reply.code(out.every((e) => e.code === 200) ? 200 : 207)
  return { events: out }
}
