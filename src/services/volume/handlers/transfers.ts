/** Volume transfers: /os-volume-transfer (every version) and /volume-transfers (3.55+). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput } from '../errors.js'
import { TRANSFER } from '../policies/index.js'
import type { TransferRow } from '../storage/transfer.repo.js'
import { bodyOf, callerOf, params, parseBool, queryOf, serviceUrl, type VolumeDeps } from './common.js'
import { cinderTime } from './views.js'

const own = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })

function links(req: FastifyRequest, deps: VolumeDeps, t: TransferRow) {
  const base = serviceUrl(req, deps)
  return [
    { rel: 'self', href: `${base}/v3/${t.source_project_id}/os-volume-transfer/${t.id}` },
    { rel: 'bookmark', href: `${base}/${t.source_project_id}/os-volume-transfer/${t.id}` },
  ]
}

function summary(req: FastifyRequest, deps: VolumeDeps, t: TransferRow) {
  return { id: t.id, name: t.display_name, volume_id: t.volume_id, links: links(req, deps, t) }
}

function detail(req: FastifyRequest, deps: VolumeDeps, t: TransferRow) {
  const out: Record<string, unknown> = { ...summary(req, deps, t), created_at: cinderTime(t.created_at) }
  const newApi = req.url.includes('/volume-transfers')
  if (newApi && req.version.gte('3.55')) out.no_snapshots = t.no_snapshots === 1
  if (req.version.gte('3.57')) {
    out.source_project_id = t.source_project_id
    out.destination_project_id = t.destination_project_id
    out.accepted = t.accepted === 1
  }
  return out
}

export async function createTransfer(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)?.transfer
  if (!body || typeof body !== 'object')
    throw new InvalidInput("Missing required element 'transfer' in request body.")
  if (typeof body.volume_id !== 'string') throw new InvalidInput('Incorrect request body format')
  const caller = callerOf(req)
  const vol = await deps.volumes.get(caller, body.volume_id)
  req.ctx.can(TRANSFER.CREATE, { project_id: vol.project_id })
  const noSnapshots =
    req.url.includes('/volume-transfers') &&
    body.no_snapshots !== undefined &&
    parseBool(body.no_snapshots, 'no_snapshots')
  const t = await deps.transfers.create(caller, {
    volumeId: vol.id,
    name: typeof body.name === 'string' ? body.name : null,
    noSnapshots,
  })
  reply.code(202)
  return { transfer: { ...detail(req, deps, t), auth_key: t.auth_key } }
}

async function list(req: FastifyRequest, deps: VolumeDeps, full: boolean) {
  req.ctx.can(TRANSFER.GET_ALL, own(req))
  const q = queryOf(req)
  const all = q.all_tenants !== undefined && parseBool(q.all_tenants, 'all_tenants')
  const rows = await deps.transfers.list(callerOf(req), all)
  return { transfers: rows.map((t) => (full ? detail(req, deps, t) : summary(req, deps, t))) }
}

export const listTransfers = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, false)
export const listTransferDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  list(req, deps, true)

export async function showTransfer(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const t = await deps.transfers.get(callerOf(req), params(req).transfer_id!)
  req.ctx.can(TRANSFER.GET, { project_id: t.source_project_id })
  return { transfer: detail(req, deps, t) }
}

export async function deleteTransfer(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const caller = callerOf(req)
  const t = await deps.transfers.get(caller, params(req).transfer_id!)
  req.ctx.can(TRANSFER.DELETE, { project_id: t.source_project_id })
  await deps.transfers.delete(caller, t.id)
  return reply.code(202).send()
}

export async function acceptTransfer(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(TRANSFER.ACCEPT, own(req))
  const key = bodyOf(req)?.accept?.auth_key
  if (typeof key !== 'string') throw new InvalidInput('Incorrect request body format')
  const t = await deps.transfers.accept(callerOf(req), params(req).transfer_id!, key)
  reply.code(202)
  return { transfer: summary(req, deps, t) }
}
