/** Generic volume group handlers: group types and specs (3.11), groups (3.13-3.20), group snapshots (3.14-3.19). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, VolumeBadRequest } from '../errors.js'
import { GROUP } from '../policies/index.js'
import type { GroupRecord, GroupSnapshotRow, GroupTypeRecord } from '../storage/group.repo.js'
import { bodyOf, callerOf, params, parseBool, parseSort, queryOf, type VolumeDeps } from './common.js'
import { cinderTime } from './views.js'

const own = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })

/** A JSON object body member, else Cinder's 400. */
function member(body: unknown, name: string): Record<string, unknown> {
  const v = (body as Record<string, unknown> | undefined)?.[name]
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new VolumeBadRequest(`Missing required element '${name}' in request body.`)
  return v as Record<string, unknown>
}

function optionalText(v: unknown, field: string): string | null | undefined {
  if (v === undefined || v === null) return v as undefined | null
  if (typeof v !== 'string' || v.length > 255)
    throw new InvalidInput(`${field} must be a string of at most 255 characters.`)
  return v
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(`${field} must be an object.`)
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!k || k.length > 255 || typeof x !== 'string' || x.length > 255)
      throw new InvalidInput(`${field} keys and values must be strings of 1 to 255 characters.`)
    out[k] = x
  }
  return out
}

// --- group types

function groupTypeView(req: FastifyRequest, t: GroupTypeRecord) {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.is_public === 1,
  }
  if (req.ctx.allows(GROUP.TYPE_SPECS_SHOWN, own(req))) out.group_specs = t.group_specs
  return out
}

export async function listGroupTypes(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const q = queryOf(req)
  let isPublic: boolean | undefined = true
  if (q.is_public !== undefined)
    isPublic = q.is_public.toLowerCase() === 'none' ? undefined : parseBool(q.is_public, 'is_public')
  const sort = parseSort(q, { id: 'id', name: 'name', created_at: 'created_at' } as const)
  const types = await deps.groupTypes.list(callerOf(req), isPublic, sort)
  return { group_types: types.map((t) => groupTypeView(req, t)) }
}

export async function showGroupType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const id = params(req).group_type_id!
  // NOTE: no default group type is configured here, so `default` is not found.
  return { group_type: groupTypeView(req, await deps.groupTypes.get(callerOf(req), id)) }
}

export async function createGroupType(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = member(bodyOf(req), 'group_type')
  if (typeof body.name !== 'string' || !body.name.trim() || body.name.length > 255)
    throw new InvalidInput('Group type name must be a string of 1 to 255 characters.')
  const t = await deps.groupTypes.create({
    name: body.name,
    description: optionalText(body.description, 'description') ?? null,
    isPublic: body.is_public === undefined ? true : parseBool(body.is_public, 'is_public'),
    specs: body.group_specs === undefined ? {} : stringMap(body.group_specs, 'group_specs'),
  })
  reply.code(202)
  return { group_type: groupTypeView(req, t) }
}

export async function updateGroupType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = member(bodyOf(req), 'group_type')
  if (body.name === undefined && body.description === undefined && body.is_public === undefined)
    throw new InvalidInput('Specify group type name, description or a combination thereof.')
  if (body.name !== undefined && (typeof body.name !== 'string' || !body.name.trim()))
    throw new InvalidInput('Group type name can not be empty.')
  const t = await deps.groupTypes.update(params(req).group_type_id!, {
    ...(body.name !== undefined ? { name: body.name as string } : {}),
    ...(body.description !== undefined
      ? { description: optionalText(body.description, 'description') ?? null }
      : {}),
    ...(body.is_public !== undefined ? { isPublic: parseBool(body.is_public, 'is_public') } : {}),
  })
  return { group_type: groupTypeView(req, t) }
}

export async function deleteGroupType(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.groupTypes.delete(params(req).group_type_id!)
  return reply.code(202).send()
}

export async function listGroupSpecs(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { group_specs: await deps.groupTypes.specs(params(req).group_type_id!) }
}

export async function createGroupSpecs(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const specs = stringMap((bodyOf(req) as Record<string, unknown> | undefined)?.group_specs, 'group_specs')
  await deps.groupTypes.setSpecs(params(req).group_type_id!, specs)
  reply.code(202)
  return { group_specs: specs }
}

export async function showGroupSpec(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const { group_type_id, spec_id } = params(req) as { group_type_id: string; spec_id: string }
  return { [spec_id]: await deps.groupTypes.spec(group_type_id, spec_id) }
}

export async function updateGroupSpec(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const { group_type_id, spec_id } = params(req) as { group_type_id: string; spec_id: string }
  const body = stringMap(bodyOf(req), 'group_specs')
  if (!(spec_id in body) || Object.keys(body).length !== 1)
    throw new VolumeBadRequest('Request body and URI mismatch')
  await deps.groupTypes.setSpecs(group_type_id, body)
  return body
}

export async function deleteGroupSpec(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const { group_type_id, spec_id } = params(req) as { group_type_id: string; spec_id: string }
  await deps.groupTypes.deleteSpec(group_type_id, spec_id)
  return reply.code(202).send()
}

// --- groups

async function groupDetail(req: FastifyRequest, deps: VolumeDeps, g: GroupRecord, withVolumes: boolean) {
  const out: Record<string, unknown> = {
    id: g.id,
    status: g.status,
    availability_zone: g.availability_zone,
    created_at: cinderTime(g.created_at),
    name: g.name,
    description: g.description,
    group_type: g.group_type_id,
    volume_types: g.volume_type_ids,
  }
  if (req.version.gte('3.14')) {
    out.group_snapshot_id = g.group_snapshot_id
    out.source_group_id = g.source_group_id
  }
  if (withVolumes && req.version.gte('3.25')) out.volumes = await deps.groups.memberIds(g.id)
  if (req.version.gte('3.38')) out.replication_status = 'disabled'
  if (req.version.gte('3.58') && req.ctx.allows(GROUP.PROJECT_ATTRIBUTE, own(req)))
    out.project_id = g.project_id
  return out
}

const listVolumesAsked = (req: FastifyRequest) => {
  const q = queryOf(req)
  return q.list_volume !== undefined && parseBool(q.list_volume, 'list_volume')
}

async function listGroupsOf(req: FastifyRequest, deps: VolumeDeps, detail: boolean) {
  req.ctx.can(GROUP.GET_ALL, own(req))
  const q = queryOf(req)
  const all = q.all_tenants !== undefined && parseBool(q.all_tenants, 'all_tenants')
  const groups = await deps.groups.list(callerOf(req), all)
  const withVolumes = listVolumesAsked(req)
  return {
    groups: detail
      ? await Promise.all(groups.map((g) => groupDetail(req, deps, g, withVolumes)))
      : groups.map((g) => ({ id: g.id, name: g.name })),
  }
}

export const listGroups = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  listGroupsOf(req, deps, false)
export const listGroupDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  listGroupsOf(req, deps, true)

async function ownedGroup(req: FastifyRequest, deps: VolumeDeps, rule: string) {
  const g = await deps.groups.get(callerOf(req), params(req).group_id!)
  req.ctx.can(rule, { project_id: g.project_id })
  return g
}

export async function showGroup(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const g = await ownedGroup(req, deps, GROUP.GET)
  return { group: await groupDetail(req, deps, g, listVolumesAsked(req)) }
}

export async function createGroup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(GROUP.CREATE, own(req))
  const body = member(bodyOf(req), 'group')
  if (typeof body.group_type !== 'string' || !body.group_type)
    throw new InvalidInput('group_type must be provided to create group.')
  const types = body.volume_types
  if (!Array.isArray(types) || !types.length || types.some((t) => typeof t !== 'string'))
    throw new InvalidInput('volume_types must be provided to create group.')
  const g = await deps.groups.create(callerOf(req), {
    name: optionalText(body.name, 'name') ?? null,
    description: optionalText(body.description, 'description') ?? null,
    groupType: body.group_type,
    volumeTypes: types as string[],
    zone: optionalText(body.availability_zone, 'availability_zone') ?? null,
  })
  reply.code(202)
  return { group: { id: g.id, name: g.name } }
}

export async function createGroupFromSource(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(GROUP.CREATE, own(req))
  const body = member(bodyOf(req), 'create-from-src')
  const g = await deps.groups.createFromSource(callerOf(req), {
    name: optionalText(body.name, 'name') ?? null,
    description: optionalText(body.description, 'description') ?? null,
    ...(typeof body.source_group_id === 'string' ? { sourceGroupId: body.source_group_id } : {}),
    ...(typeof body.group_snapshot_id === 'string' ? { groupSnapshotId: body.group_snapshot_id } : {}),
  })
  reply.code(202)
  return { group: { id: g.id, name: g.name } }
}

/** `add_volumes` / `remove_volumes`: comma-separated volume ids. */
const idList = (v: unknown, field: string): string[] => {
  if (v === undefined || v === null || v === '') return []
  if (typeof v !== 'string')
    throw new InvalidInput(`${field} must be a comma-separated string of volume ids.`)
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export async function updateGroup(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const g = await ownedGroup(req, deps, GROUP.UPDATE)
  const body = member(bodyOf(req), 'group')
  const add = idList(body.add_volumes, 'add_volumes')
  const remove = idList(body.remove_volumes, 'remove_volumes')
  if (body.name === undefined && body.description === undefined && !add.length && !remove.length)
    throw new InvalidInput(
      'Name, description, add_volumes, and remove_volumes can not be all empty in the request body.',
    )
  if (add.some((id) => remove.includes(id)))
    throw new InvalidInput('A volume cannot be both added to and removed from a group.')
  await deps.groups.update(callerOf(req), g.id, {
    ...(body.name !== undefined ? { name: optionalText(body.name, 'name') ?? null } : {}),
    ...(body.description !== undefined
      ? { description: optionalText(body.description, 'description') ?? null }
      : {}),
    add,
    remove,
  })
  return reply.code(202).send()
}

export async function groupAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  const keys = body && typeof body === 'object' ? Object.keys(body) : []
  if (keys.length !== 1) throw new VolumeBadRequest('Malformed request body')
  const name = keys[0]!
  const arg = (body[name] ?? {}) as Record<string, unknown>
  if (name === 'delete') {
    const g = await ownedGroup(req, deps, GROUP.DELETE)
    const flag = arg['delete-volumes']
    await deps.groups.delete(callerOf(req), g.id, flag !== undefined && parseBool(flag, 'delete-volumes'))
    return reply.code(202).send()
  }
  if (name === 'reset_status' && req.version.gte('3.20')) {
    const g = await ownedGroup(req, deps, GROUP.RESET_STATUS)
    if (typeof arg.status !== 'string') throw new InvalidInput('Must specify a valid status.')
    await deps.groups.resetStatus(callerOf(req), g.id, arg.status.toLowerCase())
    return reply.code(202).send()
  }
  throw new VolumeBadRequest(`There is no such action: ${name}`)
}

// --- group snapshots

function groupSnapshotDetail(req: FastifyRequest, s: GroupSnapshotRow) {
  const out: Record<string, unknown> = {
    id: s.id,
    group_id: s.group_id,
    group_type_id: s.group_type_id,
    status: s.status,
    created_at: cinderTime(s.created_at),
    name: s.name,
    description: s.description,
  }
  if (req.version.gte('3.58') && req.ctx.allows(GROUP.SNAPSHOT_PROJECT_ATTRIBUTE, own(req)))
    out.project_id = s.project_id
  return out
}

async function listGroupSnapshotsOf(req: FastifyRequest, deps: VolumeDeps, detail: boolean) {
  req.ctx.can(GROUP.SNAPSHOT_GET_ALL, own(req))
  const q = queryOf(req)
  const all = q.all_tenants !== undefined && parseBool(q.all_tenants, 'all_tenants')
  const items = await deps.groups.listSnapshots(callerOf(req), all)
  return {
    group_snapshots: items.map((s) =>
      detail ? groupSnapshotDetail(req, s) : { id: s.id, name: s.name, group_type_id: s.group_type_id },
    ),
  }
}

export const listGroupSnapshots = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  listGroupSnapshotsOf(req, deps, false)
export const listGroupSnapshotDetails = (req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) =>
  listGroupSnapshotsOf(req, deps, true)

async function ownedGroupSnapshot(req: FastifyRequest, deps: VolumeDeps, rule: string) {
  const s = await deps.groups.getSnapshot(callerOf(req), params(req).group_snapshot_id!)
  req.ctx.can(rule, { project_id: s.project_id })
  return s
}

export async function showGroupSnapshot(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { group_snapshot: groupSnapshotDetail(req, await ownedGroupSnapshot(req, deps, GROUP.SNAPSHOT_GET)) }
}

export async function createGroupSnapshot(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = member(bodyOf(req), 'group_snapshot')
  if (typeof body.group_id !== 'string' || !body.group_id)
    throw new InvalidInput('group_id must be provided to create group snapshot.')
  const caller = callerOf(req)
  const g = await deps.groups.get(caller, body.group_id)
  req.ctx.can(GROUP.SNAPSHOT_CREATE, { project_id: g.project_id })
  const s = await deps.groups.createSnapshot(caller, {
    groupId: g.id,
    name: optionalText(body.name, 'name') ?? null,
    description: optionalText(body.description, 'description') ?? null,
  })
  reply.code(202)
  return { group_snapshot: { id: s.id, name: s.name, group_type_id: s.group_type_id } }
}

export async function deleteGroupSnapshot(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const s = await ownedGroupSnapshot(req, deps, GROUP.SNAPSHOT_DELETE)
  await deps.groups.deleteSnapshot(callerOf(req), s.id)
  return reply.code(202).send()
}

export async function groupSnapshotAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  const keys = body && typeof body === 'object' ? Object.keys(body) : []
  if (keys.length !== 1 || keys[0] !== 'reset_status' || !req.version.gte('3.19'))
    throw new VolumeBadRequest('Malformed request body')
  const s = await ownedGroupSnapshot(req, deps, GROUP.SNAPSHOT_RESET_STATUS)
  const status = body.reset_status?.status
  if (typeof status !== 'string') throw new InvalidInput('Must specify a valid status.')
  await deps.groups.resetSnapshotStatus(callerOf(req), s.id, status.toLowerCase())
  return reply.code(202).send()
}
