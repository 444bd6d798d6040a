/** Quota sets, quota class sets and absolute limits. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput } from '../errors.js'
import { ADMIN } from '../policies/index.js'
import { bodyOf, callerOf, params, parseBool, queryOf, type VolumeDeps } from './common.js'

function limitsOf(given: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(given)) {
    if (k === 'id' || k === 'tenant_id') continue
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN
    if (!Number.isInteger(n)) throw new InvalidInput(`Quota limit for ${k} must be an integer.`)
    if (n < -1) throw new InvalidInput(`Quota limit ${n} for ${k} must be -1 or greater.`)
    out[k] = n
  }
  return out
}

export async function showQuotaSet(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  req.ctx.can(ADMIN.QUOTA_SHOW, { project_id: project })
  const q = queryOf(req)
  if (q.usage !== undefined && parseBool(q.usage, 'usage')) {
    const detail = await deps.quotas.detail(project, await deps.volumes.repo.usage(project))
    return { quota_set: { id: project, ...detail } }
  }
  return { quota_set: { id: project, ...(await deps.quotas.limits(project)) } }
}

export async function showQuotaDefaults(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  req.ctx.can(ADMIN.QUOTA_SHOW, { project_id: project })
  return { quota_set: { id: project, ...(await deps.quotas.defaults()) } }
}

export async function updateQuotaSet(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  const body = bodyOf(req).quota_set as Record<string, unknown>
  const validate =
    body.skip_validation === undefined ? true : !parseBool(body.skip_validation, 'skip_validation')
  const { skip_validation: _skip, ...rest } = body
  const limits = limitsOf(rest)
  const updated = await deps.quotas.update(project, limits, await deps.volumes.repo.usage(project), validate)
  return { quota_set: updated }
}

export async function deleteQuotaSet(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.quotas.reset(params(req).project_id!)
  return reply.code(200).send()
}

export async function showQuotaClass(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const name = params(req).class_name!
  return { quota_class_set: { id: name, ...(await deps.quotas.classLimits(name)) } }
}

export async function updateQuotaClass(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const name = params(req).class_name!
  const limits = limitsOf(bodyOf(req).quota_class_set as Record<string, unknown>)
  return { quota_class_set: await deps.quotas.setClassLimits(name, limits) }
}

export async function showLimits(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const caller = callerOf(req)
  const q = queryOf(req)
  const project = req.version.gte('3.39') && caller.isAdmin && q.project_id ? q.project_id : caller.projectId
  req.ctx.can(ADMIN.USED_LIMITS, { project_id: project })
  const limits = await deps.quotas.limits(project)
  const used = await deps.quotas.used(await deps.volumes.repo.usage(project))
  return {
    limits: {
      rate: [],
      absolute: {
        totalSnapshotsUsed: used.snapshots ?? 0,
        maxTotalBackups: limits.backups ?? -1,
        maxTotalVolumeGigabytes: limits.gigabytes ?? -1,
        maxTotalSnapshots: limits.snapshots ?? -1,
        maxTotalBackupGigabytes: limits.backup_gigabytes ?? -1,
        totalBackupGigabytesUsed: used.backup_gigabytes ?? 0,
        maxTotalVolumes: limits.volumes ?? -1,
        totalVolumesUsed: used.volumes ?? 0,
        totalBackupsUsed: used.backups ?? 0,
        totalGigabytesUsed: used.gigabytes ?? 0,
      },
    },
  }
}
