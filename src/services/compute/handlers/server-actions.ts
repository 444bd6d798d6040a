/**
 * POST /servers/{id}/action: the action is the body's one key. Power actions, reboot
 * and rebuild go to the conductor (202); lock, unlock and os-resetState change the
 * record (202); os-getConsoleOutput asks the server's agent (200); forceDelete and
 * restore are the deferred-delete actions. Also the server's diagnostics and
 * os-server-password. Each action's policy is checked against the loaded server.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ComputeBadRequest } from '../errors.js'
import { SERVER } from '../policies/index.js'
import {
  CHANGE_PASSWORD,
  CONSOLE_OUTPUT,
  LOCK_273,
  REBOOT,
  RESET_STATE,
  rebuildServer,
} from '../schemas/servers.js'
import { toBool } from '../schemas/types.js'
import { validateBody } from '../schemas/validate.js'
import { bodyOf, type ComputeDeps, callerOf } from './common.js'
import { networkingAction } from './server-networking.js'
import { OPERATION_ACTIONS, serverOperation } from './server-operations.js'
import { serverView } from './server-views.js'
import { loadServer, UPDATE_OMITS, viewContext } from './servers.js'

type Simple = 'stop' | 'start' | 'pause' | 'unpause' | 'suspend' | 'resume'
const SIMPLE: Record<string, { action: Simple; rule: string }> = {
  'os-stop': { action: 'stop', rule: SERVER.STOP },
  'os-start': { action: 'start', rule: SERVER.START },
  pause: { action: 'pause', rule: SERVER.PAUSE },
  unpause: { action: 'unpause', rule: SERVER.UNPAUSE },
  suspend: { action: 'suspend', rule: SERVER.SUSPEND },
  resume: { action: 'resume', rule: SERVER.RESUME },
}

export async function serverAction(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const body = (bodyOf(req) ?? {}) as Record<string, unknown>
  const action = Object.keys(body)[0] ?? ''
  const caller = callerOf(req)
  const simple = SIMPLE[action]
  if (simple) {
    const s = await loadServer(req, deps, simple.rule)
    await deps.serverActions.simple(caller, s, simple.action, req.id)
    return reply.code(202).send()
  }
  switch (action) {
    case 'reboot': {
      const s = await loadServer(req, deps, SERVER.REBOOT)
      validateBody(REBOOT, body)
      const type = String((body.reboot as { type: string }).type).toUpperCase() as 'SOFT' | 'HARD'
      await deps.serverActions.reboot(caller, s, type, req.id)
      return reply.code(202).send()
    }
    case 'rebuild':
      return rebuild(req, reply, deps)
    case 'lock': {
      const s = await loadServer(req, deps, SERVER.LOCK)
      let reason: string | undefined
      if (req.version.gte('2.73')) {
        validateBody(LOCK_273, body)
        reason = (body.lock as { locked_reason?: string } | null)?.locked_reason
      }
      await deps.serverActions.lock(caller, s, reason, req.id)
      return reply.code(202).send()
    }
    case 'unlock': {
      const s = await loadServer(req, deps, SERVER.UNLOCK)
      // NOTE: a lock set by the other side (the owner's project or an administrator from
      // elsewhere) is lifted only by who may override it (upstream's unlock_override).
      const expected = caller.projectId === s.project_id ? 'owner' : 'admin'
      if (s.locked_by && s.locked_by !== expected)
        req.ctx.can(SERVER.UNLOCK_OVERRIDE, { project_id: s.project_id })
      await deps.serverActions.unlock(caller, s, req.id)
      return reply.code(202).send()
    }
    case 'changePassword': {
      const s = await loadServer(req, deps, SERVER.CHANGE_PASSWORD)
      validateBody(CHANGE_PASSWORD, body)
      const password = (body.changePassword as { adminPass: string }).adminPass
      await deps.serverActions.changePassword(caller, s, password, req.id)
      return reply.code(202).send()
    }
    case 'os-resetState': {
      const s = await loadServer(req, deps, SERVER.RESET_STATE)
      validateBody(RESET_STATE, body)
      const state = (body['os-resetState'] as { state: 'active' | 'error' }).state
      await deps.serverActions.resetState(caller, s, state, req.id)
      return reply.code(202).send()
    }
    case 'os-getConsoleOutput': {
      const s = await loadServer(req, deps, SERVER.CONSOLE_OUTPUT)
      validateBody(CONSOLE_OUTPUT, body)
      const raw = (body['os-getConsoleOutput'] as { length?: number | string | null }).length
      const n = raw === undefined || raw === null ? undefined : Number(raw)
      const output = await deps.serverActions.consoleOutput(s, n === undefined || n === -1 ? undefined : n)
      // NOTE: upstream removes characters a JSON client could choke on (all but \n, \r, \t
      // and the printable ones).
      return { output: output.replace(/[^\x20-\x7e\n\r\t\u00a0-\uffff]/g, '') }
    }
    case 'forceDelete': {
      const s = await loadServer(req, deps, SERVER.FORCE_DELETE)
      await deps.servers.forceDelete(caller, s, req.id)
      return reply.code(202).send()
    }
    case 'restore': {
      const s = await loadServer(req, deps, SERVER.RESTORE)
      await deps.servers.restore(caller, s, req.id)
      return reply.code(202).send()
    }
  }
  if (OPERATION_ACTIONS[action]) return serverOperation(req, reply, deps, action)
  const networking = await networkingAction(req, reply, deps, action, body)
  if (networking) return networking
  // NOTE: an unknown action on an unknown server is still a 404.
  await loadServer(req, deps, SERVER.SHOW)
  throw new ComputeBadRequest(`There is no such action: ${action}`)
}

async function rebuild(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.REBUILD)
  const body = bodyOf(req)
  validateBody(rebuildServer(req.version), body)
  const r = body.rebuild as Record<string, unknown>
  if (r.trusted_image_certificates) req.ctx.can(SERVER.REBUILD_TRUSTED_CERTS, { project_id: s.project_id })
  if (typeof r.user_data === 'string' && !/^[A-Za-z0-9+/\n\r]*={0,2}[\n\r]*$/.test(r.user_data))
    throw new ComputeBadRequest('User data needs to be valid base 64.')
  if (Array.isArray(r.personality))
    await deps.servers.checkPersonality(s.project_id, s.user_id, r.personality as { path?: string }[])
  const token = req.headers['x-auth-token']
  const updated = await deps.serverActions.rebuild(callerOf(req), s, {
    imageRef: String(r.imageRef).replace(/^.*\/images\//, ''),
    ...(r.name !== undefined ? { name: r.name as string } : {}),
    ...(r.metadata !== undefined ? { metadata: r.metadata as Record<string, string> } : {}),
    ...(r.accessIPv4 !== undefined ? { accessIPv4: r.accessIPv4 as string } : {}),
    ...(r.accessIPv6 !== undefined ? { accessIPv6: r.accessIPv6 as string } : {}),
    ...(r.preserve_ephemeral !== undefined
      ? { preserveEphemeral: toBool(r.preserve_ephemeral as string | boolean) }
      : {}),
    ...(r.key_name !== undefined ? { keyName: r.key_name as string | null } : {}),
    ...(r.user_data !== undefined ? { userData: r.user_data as string | null } : {}),
    ...(r.description !== undefined ? { description: r.description as string | null } : {}),
    ...(r.hostname !== undefined ? { hostname: r.hostname as string } : {}),
    ...(r['OS-DCF:diskConfig'] !== undefined
      ? { diskConfig: r['OS-DCF:diskConfig'] as 'AUTO' | 'MANUAL' }
      : {}),
    requestId: req.id,
    ...(typeof token === 'string' ? { userToken: token } : {}),
  })
  const view = serverView(req, deps, updated, viewContext(req, deps, [updated]))
  // NOTE: below 2.75 the answer is the update view, with key_name from 2.54, user_data
  // from 2.57 and server_groups from 2.71; from 2.75 it is the show view.
  if (!req.version.gte('2.75')) {
    const keep = new Set([
      ...(req.version.gte('2.54') ? ['key_name'] : []),
      ...(req.version.gte('2.71') ? ['server_groups'] : []),
    ])
    for (const k of Object.keys(view))
      if (!keep.has(k) && UPDATE_OMITS.some((p) => (p.endsWith(':') ? k.startsWith(p) : k === p)))
        delete view[k]
  }
  if (req.version.gte('2.57')) {
    // NOTE: the rebuild answer carries user_data in its own field; the admin's extended
    // attribute of the same value is left out (from 2.75 too).
    delete view['OS-EXT-SRV-ATTR:user_data']
    view.user_data = updated.user_data
  }
  if (deps.config.api.enable_instance_password)
    view.adminPass = (r.adminPass as string | undefined) ?? randomPassword()
  reply.code(202)
  return { server: view }
}

function randomPassword(): string {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  let out = ''
  for (let i = 0; i < 12; i++) out += chars[Math.floor(Math.random() * chars.length)]
  return out
}

// --- diagnostics and password

export async function showDiagnostics(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.DIAGNOSTICS)
  const d = await deps.serverActions.diagnostics(s)
  if (req.version.gte('2.48'))
    return {
      ...d,
      config_drive: s.config_drive === 'True',
      num_nics: 0,
      nic_details: [],
    }
  // NOTE: before 2.48 each driver answered its own keys; these are upstream's fake driver's.
  const legacy: Record<string, number> = {}
  d.cpu_details.forEach((c) => {
    legacy[`cpu${c.id}_time`] = c.time ?? 0
  })
  legacy.memory = (d.memory_details.maximum ?? 0) * 1024
  legacy['memory-actual'] = (d.memory_details.maximum ?? 0) * 1024
  legacy['memory-rss'] = (d.memory_details.used ?? 0) * 1024
  legacy.vda_read = d.disk_details[0]?.read_bytes ?? 0
  legacy.vda_read_req = d.disk_details[0]?.read_requests ?? 0
  legacy.vda_write = d.disk_details[0]?.write_bytes ?? 0
  legacy.vda_write_req = d.disk_details[0]?.write_requests ?? 0
  legacy.vda_errors = d.disk_details[0]?.errors_count ?? 0
  return legacy
}

export async function showPassword(req: FastifyRequest, _r: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.PASSWORD_SHOW)
  return { password: await deps.serverActions.password(s) }
}

export async function clearPassword(req: FastifyRequest, reply: FastifyReply, deps: ComputeDeps) {
  const s = await loadServer(req, deps, SERVER.PASSWORD_CLEAR)
  await deps.serverActions.clearPassword(s)
  return reply.code(204).send()
}
