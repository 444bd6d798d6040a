/**
 * GET /os-migrations (every server's migration records, for admins) and a server's
 * in-progress live migrations: GET /servers/{id}/migrations[/{migration_id}], POST
 * .../action {force_complete} (2.22), DELETE (abort, 2.24). Fields per microversion:
 * migration_type and links 2.23, uuid and paging 2.59, user_id/project_id 2.80.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { novaTime } from '../domain/caller.js'
import type { MigrationRow } from '../domain/migrations.js'
import { MIGRATION_DONE } from '../domain/migrations.js'
import { ComputeBadRequest, MigrationNotFoundForServer, ServerInvalidState } from '../errors.js'
import { OPERATION } from '../policies/index.js'
import { migrationsQuery } from '../schemas/server-operations.js'
import { validateBody } from '../schemas/validate.js'
import { apiUrl, bodyOf, type ComputeDeps, hostUrl, nextLink, pagingOf, params, queryOf } from './common.js'
import { loadServer } from './servers.js'

function changesTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t))
    throw new ComputeBadRequest(`Invalid input for query parameters ${name}. Value: ${value}.`)
  return new Date(t).toISOString()
}

export async function listMigrations(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const v = req.version
  const q = queryOf(req, migrationsQuery(v))
  const page = v.gte('2.59') ? pagingOf(q) : {}
  const since = changesTime(q['changes-since'], 'changes-since')
  const before = changesTime(q['changes-before'], 'changes-before')
  if (since && before && since > before)
    throw new ComputeBadRequest(`The value of changes-since must be less than or equal to changes-before.`)
  const limit = Math.min(page.limit ?? deps.config.api.max_limit, deps.config.api.max_limit)
  const rows = await deps.migrations.list({
    ...(q.instance_uuid ? { instanceUuid: q.instance_uuid } : {}),
    ...(q.host ? { host: q.host } : {}),
    ...(q.source_compute ? { sourceCompute: q.source_compute } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.migration_type ? { migrationType: q.migration_type } : {}),
    ...(q.user_id ? { userId: q.user_id } : {}),
    ...(q.project_id ? { projectId: q.project_id } : {}),
    ...(since ? { changesSince: since } : {}),
    ...(before ? { changesBefore: before } : {}),
    ...(page.marker !== undefined ? { marker: page.marker } : {}),
    ...(v.gte('2.59') ? { limit } : {}),
  })
  const out: Record<string, unknown> = { migrations: rows.map((m) => migrationView(req, deps, m)) }
  if (v.gte('2.59') && rows.length > 0 && rows.length === limit)
    out.migrations_links = nextLink(req, deps, 'os-migrations', rows[rows.length - 1]!.uuid)
  return out
}

function migrationView(req: FastifyRequest, deps: ComputeDeps, m: MigrationRow): Record<string, unknown> {
  const v = req.version
  const out: Record<string, unknown> = {
    created_at: novaTime(m.created_at),
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    id: m.id,
    instance_uuid: m.instance_uuid,
    new_instance_type_id: m.new_instance_type_id,
    old_instance_type_id: m.old_instance_type_id,
    source_compute: m.source_compute,
    source_node: m.source_node,
    status: m.status,
    updated_at: novaTime(m.updated_at),
  }
  if (v.gte('2.23')) {
    out.migration_type = m.migration_type
    if (m.migration_type === 'live-migration' && !MIGRATION_DONE.includes(m.status)) {
      const tail = `servers/${m.instance_uuid}/migrations/${m.id}`
      out.links = [
        { rel: 'self', href: `${apiUrl(req, deps)}/${tail}` },
        { rel: 'bookmark', href: `${hostUrl(req, deps)}${deps.prefix}/${tail}` },
      ]
    }
  }
  if (v.gte('2.59')) out.uuid = m.uuid
  if (v.gte('2.80')) {
    out.user_id = m.user_id
    out.project_id = m.project_id
  }
  return out
}

function serverMigrationView(req: FastifyRequest, m: MigrationRow): Record<string, unknown> {
  const v = req.version
  return {
    created_at: novaTime(m.created_at),
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    disk_processed_bytes: m.disk_processed,
    disk_remaining_bytes: m.disk_remaining,
    disk_total_bytes: m.disk_total,
    id: m.id,
    memory_processed_bytes: m.memory_processed,
    memory_remaining_bytes: m.memory_remaining,
    memory_total_bytes: m.memory_total,
    server_uuid: m.instance_uuid,
    source_compute: m.source_compute,
    source_node: m.source_node,
    status: m.status,
    updated_at: novaTime(m.updated_at),
    ...(v.gte('2.59') ? { uuid: m.uuid } : {}),
    ...(v.gte('2.80') ? { user_id: m.user_id, project_id: m.project_id } : {}),
  }
}

export async function listServerMigrations(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, OPERATION.SERVER_MIGRATIONS_INDEX)
  return { migrations: (await deps.migrations.inProgress(s.uuid)).map((m) => serverMigrationView(req, m)) }
}

function migrationId(req: FastifyRequest, serverId: string): number {
  const raw = params(req).migration_id!
  if (!/^\d+$/.test(raw)) throw new MigrationNotFoundForServer(raw, serverId)
  return Number(raw)
}

export async function showServerMigration(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, OPERATION.SERVER_MIGRATIONS_SHOW)
  const m = await deps.migrations.showInProgress(s.uuid, migrationId(req, s.uuid))
  return { migration: serverMigrationView(req, m) }
}

export async function forceCompleteMigration(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, OPERATION.SERVER_MIGRATIONS_FORCE)
  validateBody(
    {
      type: 'object',
      properties: { force_complete: { type: 'null' } },
      required: ['force_complete'],
      additionalProperties: false,
    },
    bodyOf(req),
  )
  if (s.task_state !== 'migrating')
    throw new ServerInvalidState('force_complete', s.uuid, 'task_state', String(s.task_state))
  await deps.operations.forceComplete(s, migrationId(req, s.uuid))
  return reply.code(202).send()
}

export async function abortMigration(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, OPERATION.SERVER_MIGRATIONS_DELETE)
  if (s.task_state !== 'migrating')
    throw new ServerInvalidState('abort live migration', s.uuid, 'task_state', String(s.task_state))
  await deps.operations.abort(s, migrationId(req, s.uuid), req.version.gte('2.65'))
  return reply.code(202).send()
}
