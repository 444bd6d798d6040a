/**
 * POST /volumes/{id}/action: one handler per action, chosen by the body's only key
 * (os-extend, os-set_bootable, os-update_readonly_flag, os-reset_status,
 * os-force_delete, revert, os-reserve, os-unreserve, os-begin_detaching,
 * os-roll_detaching, os-attach, os-detach, os-force_detach, os-initialize_connection,
 * os-terminate_connection, os-set_image_metadata, os-unset_image_metadata,
 * os-show_image_metadata, os-volume_upload_image, os-migrate_volume,
 * os-migrate_volume_completion, os-unmanage). Each checks its own rule against the volume's project.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, VolumeBadRequest } from '../errors.js'
import { VOLUME } from '../policies/index.js'
import type { VolumeRecord } from '../storage/volume.repo.js'
import { bodyOf, callerOf, params, parseBool, type VolumeDeps } from './common.js'
import { cinderTime, typeManageView } from './views.js'

type Action = (
  req: FastifyRequest,
  reply: FastifyReply,
  deps: VolumeDeps,
  vol: VolumeRecord,
  arg: Record<string, unknown>,
) => Promise<unknown>

const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
  'reverting',
]

const accepted = (reply: FastifyReply) => reply.code(202).send()

function intArg(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value)
  throw new VolumeBadRequest(
    `Invalid input for field/attribute ${name}. Value: ${String(value)}. ${value === null ? 'None' : `'${String(value)}'`} is not of type 'integer'`,
  )
}

const ACTIONS: Record<string, { rule: string; run: Action }> = {
  'os-extend': {
    rule: VOLUME.EXTEND,
    run: async (req, reply, deps, vol, arg) => {
      const size = intArg(arg.new_size, 'new_size')
      const attached = vol.status === 'in-use' && req.version.gte('3.42')
      if (attached) req.ctx.can(VOLUME.EXTEND_ATTACHED, { project_id: vol.project_id })
      await deps.volumes.extend(callerOf(req), vol.id, size, attached)
      return accepted(reply)
    },
  },
  'os-set_bootable': {
    rule: VOLUME.UPDATE,
    run: async (req, reply, deps, vol, arg) => {
      if (arg.bootable === undefined) throw new InvalidInput('Must specify bootable in request.')
      await deps.volumes.setBootable(callerOf(req), vol.id, parseBool(arg.bootable, 'bootable'))
      return reply.code(200).send()
    },
  },
  'os-update_readonly_flag': {
    rule: VOLUME.UPDATE_READONLY,
    run: async (req, reply, deps, vol, arg) => {
      if (arg.readonly === undefined) throw new InvalidInput('Must specify readonly in request.')
      await deps.volumes.setReadonly(callerOf(req), vol.id, parseBool(arg.readonly, 'readonly'))
      return accepted(reply)
    },
  },
  'os-reset_status': {
    rule: VOLUME.RESET_STATUS,
    run: async (req, reply, deps, vol, arg) => {
      const status = arg.status as string | undefined
      const attachStatus = arg.attach_status as string | undefined
      const migrationStatus = arg.migration_status as string | undefined
      if (!status && !attachStatus && !migrationStatus)
        throw new InvalidInput('Must specify status, attach_status or migration_status for update.')
      if (status !== undefined && !VOLUME_STATUSES.includes(String(status).toLowerCase()))
        throw new InvalidInput(`Must specify a valid status: ${status}`)
      if (attachStatus !== undefined && !['attached', 'detached'].includes(attachStatus))
        throw new InvalidInput(`Must specify a valid attach status: ${attachStatus}`)
      await deps.volumes.resetStatus(callerOf(req), vol.id, {
        ...(status ? { status: status.toLowerCase() } : {}),
        ...(attachStatus ? { attachStatus } : {}),
        ...(migrationStatus ? { migrationStatus } : {}),
      })
      return accepted(reply)
    },
  },
  'os-force_delete': {
    rule: VOLUME.ADMIN_FORCE_DELETE,
    run: async (req, reply, deps, vol) => {
      await deps.volumes.delete(callerOf(req), vol.id, { force: true, cascade: true })
      return accepted(reply)
    },
  },
  revert: {
    rule: VOLUME.REVERT,
    run: async (req, reply, deps, vol, arg) => {
      if (!req.version.gte('3.40')) throw new VolumeBadRequest('Reverting a volume needs microversion 3.40.')
      if (typeof arg.snapshot_id !== 'string') throw new InvalidInput('Must specify snapshot_id.')
      await deps.volumes.revert(callerOf(req), vol.id, arg.snapshot_id)
      return accepted(reply)
    },
  },
  'os-retype': {
    rule: VOLUME.RETYPE,
    run: async (req, reply, deps, vol, arg) => {
      if (typeof arg.new_type !== 'string' || !arg.new_type)
        throw new InvalidInput('New volume type must be specified.')
      const policy = (arg.migration_policy as string | undefined) ?? 'never'
      if (policy !== 'never' && policy !== 'on-demand')
        throw new InvalidInput(`Invalid migration_policy: ${policy}`)
      const { type, destination } = await deps.volumes.retype(callerOf(req), vol.id, arg.new_type, policy)
      if (destination) await deps.moves.moveForRetype(vol, { type, destination })
      else if (policy === 'on-demand' && vol.status === 'available') await deps.moves.moveForRetype(vol)
      return accepted(reply)
    },
  },
  'os-reserve': {
    rule: VOLUME.RESERVE,
    run: async (req, reply, deps, vol) => {
      await deps.attachments.reserve(callerOf(req), vol.id)
      return accepted(reply)
    },
  },
  'os-unreserve': {
    rule: VOLUME.UNRESERVE,
    run: async (req, reply, deps, vol) => {
      await deps.attachments.unreserve(callerOf(req), vol.id)
      return accepted(reply)
    },
  },
  'os-begin_detaching': {
    rule: VOLUME.BEGIN_DETACHING,
    run: async (req, reply, deps, vol) => {
      await deps.attachments.beginDetaching(callerOf(req), vol.id)
      return accepted(reply)
    },
  },
  'os-roll_detaching': {
    rule: VOLUME.ROLL_DETACHING,
    run: async (req, reply, deps, vol) => {
      await deps.attachments.rollDetaching(callerOf(req), vol.id)
      return accepted(reply)
    },
  },
  'os-attach': {
    rule: VOLUME.ATTACH,
    run: async (req, reply, deps, vol, arg) => {
      const mode = (arg.mode as string | undefined) ?? 'rw'
      if (!['rw', 'ro'].includes(mode)) throw new InvalidInput("Invalid attach mode: must be 'rw' or 'ro'.")
      if (typeof arg.mountpoint !== 'string') throw new InvalidInput('Must specify mountpoint.')
      await deps.attachments.attach(callerOf(req), vol.id, {
        ...(typeof arg.instance_uuid === 'string' ? { instanceId: arg.instance_uuid } : {}),
        ...(typeof arg.host_name === 'string' ? { hostName: arg.host_name } : {}),
        mountpoint: arg.mountpoint,
        mode,
      })
      return accepted(reply)
    },
  },
  'os-detach': {
    rule: VOLUME.DETACH,
    run: async (req, reply, deps, vol, arg) => {
      const attachmentId = typeof arg.attachment_id === 'string' ? arg.attachment_id : undefined
      await deps.attachments.detach(callerOf(req), vol.id, attachmentId)
      return accepted(reply)
    },
  },
  'os-force_detach': {
    rule: VOLUME.FORCE_DETACH,
    run: async (req, reply, deps, vol, arg) => {
      const attachmentId = typeof arg.attachment_id === 'string' ? arg.attachment_id : undefined
      await deps.attachments.forceDetach(callerOf(req), vol.id, attachmentId)
      return accepted(reply)
    },
  },
  'os-initialize_connection': {
    rule: VOLUME.INITIALIZE,
    run: async (req, _reply, deps, vol, arg) => {
      const connector = arg.connector
      if (!connector || typeof connector !== 'object') throw new InvalidInput('Must specify connector.')
      const info = await deps.attachments.initializeConnection(
        callerOf(req),
        vol.id,
        connector as Record<string, unknown>,
      )
      return { connection_info: info }
    },
  },
  'os-terminate_connection': {
    rule: VOLUME.TERMINATE,
    run: async (req, reply, deps, vol, arg) => {
      if (!arg.connector || typeof arg.connector !== 'object')
        throw new InvalidInput('Must specify connector.')
      await deps.attachments.terminateConnection(callerOf(req), vol.id)
      return accepted(reply)
    },
  },
  'os-set_image_metadata': {
    rule: VOLUME.IMAGE_META_SET,
    run: async (req, _reply, deps, vol, arg) => {
      const metadata = arg.metadata
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata))
        throw new InvalidInput('Malformed request body: metadata must be an object.')
      const values = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)]))
      return { metadata: await deps.volumes.setImageMetadata(callerOf(req), vol.id, values) }
    },
  },
  'os-unset_image_metadata': {
    rule: VOLUME.IMAGE_META_REMOVE,
    run: async (req, reply, deps, vol, arg) => {
      if (typeof arg.key !== 'string') throw new InvalidInput('Must specify key.')
      await deps.volumes.unsetImageMetadata(callerOf(req), vol.id, arg.key)
      return reply.code(200).send()
    },
  },
  'os-volume_upload_image': {
    rule: VOLUME.UPLOAD_IMAGE,
    run: async (req, reply, deps, vol, arg) => {
      const name = arg.image_name
      if (typeof name !== 'string' || !name || name.length > 255)
        throw new InvalidInput('image_name must be a string of 1 to 255 characters.')
      const force = arg.force !== undefined && parseBool(arg.force, 'force')
      const diskFormat = arg.disk_format === undefined ? 'raw' : String(arg.disk_format).toLowerCase()
      const containerFormat = arg.container_format === undefined ? 'bare' : String(arg.container_format)
      let visibility = 'private'
      let isProtected = false
      if (req.version.gte('3.1')) {
        if (arg.visibility !== undefined) visibility = String(arg.visibility)
        if (!['public', 'private', 'shared', 'community'].includes(visibility))
          throw new InvalidInput(`Invalid visibility: ${visibility}`)
        if (visibility === 'public') req.ctx.can(VOLUME.UPLOAD_PUBLIC, { project_id: vol.project_id })
        if (arg.protected !== undefined) isProtected = parseBool(arg.protected, 'protected')
      }
      const token = req.headers['x-auth-token']
      const imageId = await deps.uploads.upload(vol, {
        imageName: name,
        diskFormat,
        containerFormat,
        visibility,
        protected: isProtected,
        force,
        requestId: req.id,
        ...(typeof token === 'string' ? { userToken: token } : {}),
      })
      const after = (await deps.volumes.repo.get(vol.id)) ?? vol
      const type = await deps.types.byId(vol.volume_type_id)
      const out: Record<string, unknown> = {
        id: vol.id,
        updated_at: cinderTime(after.updated_at),
        status: after.status,
        display_description: vol.display_description,
        size: vol.size,
        volume_type: type ? typeManageView(type, false) : null,
        image_id: imageId,
        container_format: containerFormat,
        disk_format: diskFormat,
        image_name: name,
      }
      if (req.version.gte('3.1')) {
        out.visibility = visibility
        out.protected = isProtected
      }
      reply.code(202)
      return { 'os-volume_upload_image': out }
    },
  },
  'os-migrate_volume': {
    rule: VOLUME.MIGRATE,
    run: async (req, reply, deps, vol, arg) => {
      const host = arg.host ?? (req.version.gte('3.16') ? arg.cluster : undefined)
      if (typeof host !== 'string' || !host)
        throw new InvalidInput('Must specify a host (or a cluster from 3.16).')
      if (arg.force_host_copy !== undefined) parseBool(arg.force_host_copy, 'force_host_copy')
      if (arg.lock_volume !== undefined) parseBool(arg.lock_volume, 'lock_volume')
      await deps.moves.migrate(vol, host)
      return accepted(reply)
    },
  },
  'os-migrate_volume_completion': {
    rule: VOLUME.MIGRATE_COMPLETE,
    run: async (req, _reply, deps, vol, arg) => {
      if (typeof arg.new_volume !== 'string') throw new InvalidInput('Must specify new_volume.')
      const newVolume = await deps.volumes.get(callerOf(req), arg.new_volume)
      const error = arg.error !== undefined && parseBool(arg.error, 'error')
      return { save_volume_id: await deps.moves.complete(vol, newVolume, error) }
    },
  },
  'os-unmanage': {
    rule: VOLUME.UNMANAGE,
    run: async (_req, reply, deps, vol) => {
      await deps.manage.unmanageVolume(vol)
      return accepted(reply)
    },
  },
  'os-show_image_metadata': {
    rule: VOLUME.IMAGE_META_SHOW,
    run: async (_req, _reply, _deps, vol) => ({ metadata: vol.imageMetadata }),
  },
}

export const ACTION_RULES = [...new Set(Object.values(ACTIONS).map((a) => a.rule))]

export async function volumeAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new VolumeBadRequest('Malformed request body')
  const keys = Object.keys(body)
  if (keys.length !== 1) throw new VolumeBadRequest('Malformed request body')
  const name = keys[0]!
  const action = ACTIONS[name]
  if (!action) throw new VolumeBadRequest(`There is no such action: ${name}`)
  const vol = await deps.volumes.get(callerOf(req), params(req).volume_id!)
  req.ctx.can(action.rule, { project_id: vol.project_id })
  const arg = body[name]
  return action.run(req, reply, deps, vol, arg && typeof arg === 'object' ? arg : {})
}
