/**
 * The operation actions of POST /servers/{id}/action (resize, confirmResize,
 * revertResize, migrate, os-migrateLive, evacuate, shelve, shelveOffload, unshelve,
 * rescue, unrescue, trigger_crash_dump, createImage, createBackup): policy on the loaded server, the body of the
 * request's version, one domain call (domain/server-operations.ts), upstream's answer.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ComputeNotFound } from '../errors.js'
import { OPERATION } from '../policies/index.js'
import * as OP from '../schemas/server-operations.js'
import { toBool } from '../schemas/types.js'
import { validateBody } from '../schemas/validate.js'
import { apiUrl, bodyOf, type ComputeDeps, callerOf, hostUrl } from './common.js'
import { loadServer } from './servers.js'

/** The action keys this file answers, with the rule each is checked against. */
export const OPERATION_ACTIONS: Record<string, string> = {
  resize: OPERATION.RESIZE,
  confirmResize: OPERATION.CONFIRM_RESIZE,
  revertResize: OPERATION.REVERT_RESIZE,
  migrate: OPERATION.MIGRATE,
  'os-migrateLive': OPERATION.MIGRATE_LIVE,
  evacuate: OPERATION.EVACUATE,
  shelve: OPERATION.SHELVE,
  shelveOffload: OPERATION.SHELVE_OFFLOAD,
  unshelve: OPERATION.UNSHELVE,
  rescue: OPERATION.RESCUE,
  unrescue: OPERATION.UNRESCUE,
  trigger_crash_dump: OPERATION.CRASH_DUMP,
  createImage: OPERATION.CREATE_IMAGE,
  createBackup: OPERATION.CREATE_BACKUP,
}

export async function serverOperation(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: ComputeDeps,
  action: string,
) {
  const s = await loadServer(req, deps, OPERATION_ACTIONS[action]!)
  const body = bodyOf(req) as Record<string, unknown>
  const caller = callerOf(req)
  const ops = deps.operations
  const v = req.version
  switch (action) {
    case 'resize': {
      validateBody(OP.RESIZE, body)
      const r = body.resize as { flavorRef: string | number; 'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL' }
      await ops.resize(caller, s, String(r.flavorRef), req.id, r['OS-DCF:diskConfig'])
      return reply.code(202).send()
    }
    case 'confirmResize':
      validateBody(OP.anyAction('confirmResize'), body)
      await ops.confirmResize(caller, s, req.id)
      return reply.code(204).send()
    case 'revertResize':
      validateBody(OP.anyAction('revertResize'), body)
      await ops.revertResize(caller, s, req.id)
      return reply.code(202).send()
    case 'migrate': {
      validateBody(OP.migrate(v), body)
      const host = v.gte('2.56')
        ? ((body.migrate as { host?: string | null } | null)?.host ?? undefined)
        : undefined
      await ops.migrate(caller, s, host, req.id)
      return reply.code(202).send()
    }
    case 'os-migrateLive': {
      validateBody(OP.migrateLive(v), body)
      const m = body['os-migrateLive'] as {
        block_migration: string | boolean
        host: string | null
        force?: string | boolean
      }
      await ops.liveMigrate(
        caller,
        s,
        {
          host: m.host,
          blockMigration: m.block_migration === 'auto' ? 'auto' : toBool(m.block_migration),
          ...(m.force !== undefined ? { force: toBool(m.force) } : {}),
        },
        req.id,
      )
      return reply.code(202).send()
    }
    case 'evacuate': {
      validateBody(OP.evacuate(v), body)
      const e = (body.evacuate ?? {}) as { host?: string; adminPass?: string; force?: string | boolean }
      await ops.evacuate(
        caller,
        s,
        { ...(e.host ? { host: e.host } : {}), ...(e.force !== undefined ? { force: toBool(e.force) } : {}) },
        req.id,
      )
      // NOTE: the admin password is answered before 2.14 only.
      if (!v.gte('2.14') && deps.config.api.enable_instance_password)
        return reply.code(200).send({ adminPass: e.adminPass ?? password() })
      return reply.code(200).send()
    }
    case 'shelve':
      validateBody(OP.anyAction('shelve'), body)
      await ops.shelve(caller, s, req.id)
      return reply.code(202).send()
    case 'shelveOffload':
      validateBody(OP.anyAction('shelveOffload'), body)
      await ops.shelveOffload(caller, s, req.id)
      return reply.code(202).send()
    case 'unshelve': {
      validateBody(OP.unshelve(v), body)
      const u = (body.unshelve ?? {}) as { availability_zone?: string | null; host?: string }
      if (u.host !== undefined) req.ctx.can(OPERATION.UNSHELVE_TO_HOST, { project_id: s.project_id })
      await ops.unshelve(
        caller,
        s,
        {
          ...(v.gte('2.77') && u.availability_zone !== undefined
            ? { availabilityZone: u.availability_zone }
            : {}),
          ...(v.gte('2.91') && u.host !== undefined ? { host: u.host } : {}),
        },
        req.id,
      )
      return reply.code(202).send()
    }
    case 'rescue': {
      validateBody(OP.RESCUE, body)
      const r = (body.rescue ?? {}) as { adminPass?: string; rescue_image_ref?: string }
      const token = req.headers['x-auth-token']
      await ops.rescue(caller, s, r.rescue_image_ref, req.id, typeof token === 'string' ? token : undefined)
      if (!deps.config.api.enable_instance_password) return reply.code(200).send({})
      return reply.code(200).send({ adminPass: r.adminPass ?? password() })
    }
    case 'createImage': {
      validateBody(OP.CREATE_IMAGE, body)
      const c = body.createImage as { name: string; metadata?: Record<string, string> }
      if (await deps.snapshots.isVolumeBacked(s))
        req.ctx.can(OPERATION.CREATE_IMAGE_VOLUME_BACKED, { project_id: s.project_id })
      const token = req.headers['x-auth-token']
      const id = await deps.snapshots.createImage(caller, s, {
        name: c.name,
        metadata: c.metadata ?? {},
        // NOTE: from 2.39 (the image proxies gone) the metadata is not counted as quota.
        checkMetadataQuota: !v.gte('2.39'),
        requestId: req.id,
        ...(typeof token === 'string' ? { userToken: token } : {}),
      })
      if (v.gte('2.45')) return reply.code(202).send({ image_id: id })
      // NOTE: upstream's Location is the image service's endpoint (devstack's /image) + /images/<id>.
      return reply
        .code(202)
        .header('location', `${hostUrl(req, deps)}/image/images/${id}`)
        .send()
    }
    case 'createBackup': {
      validateBody(OP.CREATE_BACKUP, body)
      const b = body.createBackup as {
        name: string
        backup_type: string
        rotation: number | string
        metadata?: Record<string, string>
      }
      const rotation = Number(b.rotation)
      const token = req.headers['x-auth-token']
      const id = await deps.snapshots.createImage(caller, s, {
        name: b.name,
        backup: { type: b.backup_type, rotation },
        metadata: b.metadata ?? {},
        checkMetadataQuota: !v.gte('2.39'),
        requestId: req.id,
        ...(typeof token === 'string' ? { userToken: token } : {}),
      })
      if (v.gte('2.45')) return reply.code(202).send({ image_id: id })
      // NOTE: upstream's Location here is the compute API's own images URL, and only when
      // the backup is kept (rotation above 0).
      if (rotation > 0) reply.header('location', `${apiUrl(req, deps)}/images/${id}`)
      return reply.code(202).send()
    }
    case 'unrescue':
      validateBody(OP.anyAction('unrescue'), body)
      await ops.unrescue(caller, s, req.id)
      return reply.code(202).send()
    default:
      // NOTE: an action below its microversion is a 404, as upstream's versioned methods.
      if (!v.gte('2.17')) throw new ComputeNotFound()
      validateBody(OP.nullAction('trigger_crash_dump'), body)
      await ops.triggerCrashDump(caller, s, req.id)
      return reply.code(202).send()
  }
}

function password(): string {
  return randomBytes(9).toString('base64url').slice(0, 12)
}
