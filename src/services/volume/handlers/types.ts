/** Volume type handlers: types, extra specs, project access, default types (3.62). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../../kernel/errors/index.js'
import { InvalidInput, VolumeBadRequest, VolumeTypeExtraSpecsNotFound } from '../errors.js'
import { TYPE, USER_VISIBLE_EXTRA_SPECS } from '../policies/index.js'
import { bodyOf, callerOf, params, parseBool, queryOf, type VolumeDeps } from './common.js'
import { typeManageView, typeView } from './views.js'

const own = (req: FastifyRequest) => ({ project_id: req.ctx.who.project_id })

export async function listTypes(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(TYPE.GET_ALL, own(req))
  const q = queryOf(req)
  const caller = callerOf(req)
  let isPublic: boolean | undefined = true
  if (caller.isAdmin) {
    if (q.is_public === undefined) isPublic = true
    else if (q.is_public.toLowerCase() === 'none') isPublic = undefined
    else isPublic = parseBool(q.is_public, 'is_public')
  }
  const types = await deps.types.list(caller, isPublic)
  return { volume_types: types.map((t) => typeView(req, t)) }
}

export async function showType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  req.ctx.can(TYPE.GET, own(req))
  const id = params(req).type_id!
  const caller = callerOf(req)
  const t =
    id === 'default' ? await deps.types.defaultFor(caller.projectId) : await deps.types.get(caller, id)
  return { volume_type: typeView(req, t) }
}

export async function createType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).volume_type
  const publicFlag = body['os-volume-type-access:is_public'] ?? body.is_public
  const t = await deps.types.create({
    name: body.name,
    description: body.description ?? null,
    isPublic: publicFlag === undefined ? true : parseBool(publicFlag, 'is_public'),
    extraSpecs: body.extra_specs ?? {},
  })
  return { volume_type: typeManageView(t) }
}

export async function updateType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req).volume_type
  if (body.name === undefined && body.description === undefined && body.is_public === undefined)
    throw new InvalidInput('Specify volume type name, description, is_public or a combination thereof.')
  if (body.name === null) throw new InvalidInput('Volume type name can not be empty.')
  const t = await deps.types.update(params(req).type_id!, {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.is_public !== undefined ? { isPublic: parseBool(body.is_public, 'is_public') } : {}),
  })
  return { volume_type: typeManageView(t, false) }
}

export async function deleteType(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.types.delete(params(req).type_id!)
  return reply.code(202).send()
}

// --- extra specs

function visibleSpecs(req: FastifyRequest, specs: Record<string, string>) {
  if (req.ctx.allows(TYPE.SPECS_READ_SENSITIVE, own(req))) return specs
  return Object.fromEntries(Object.entries(specs).filter(([k]) => USER_VISIBLE_EXTRA_SPECS.includes(k)))
}

export async function listSpecs(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const t = await deps.types.get(callerOf(req), params(req).type_id!)
  return { extra_specs: visibleSpecs(req, t.extra_specs) }
}

export async function createSpecs(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const specs = bodyOf(req).extra_specs as Record<string, string>
  await deps.types.setSpecs(params(req).type_id!, specs)
  return { extra_specs: specs }
}

export async function showSpec(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const { type_id, key } = params(req) as { type_id: string; key: string }
  const t = await deps.types.get(callerOf(req), type_id)
  const value = visibleSpecs(req, t.extra_specs)[key]
  if (value === undefined) throw new VolumeTypeExtraSpecsNotFound(type_id, key)
  return { [key]: value }
}

export async function updateSpec(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const { type_id, key } = params(req) as { type_id: string; key: string }
  const body = bodyOf(req) as Record<string, string>
  if (!(key in body)) throw new VolumeBadRequest('Request body and URI mismatch')
  await deps.types.setSpecs(type_id, body)
  return body
}

export async function deleteSpec(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const { type_id, key } = params(req) as { type_id: string; key: string }
  await deps.types.deleteSpec(type_id, key)
  return reply.code(202).send()
}

// --- access

export async function listAccess(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const id = params(req).type_id!
  const projects = await deps.types.access(id)
  return { volume_type_access: projects.map((p) => ({ volume_type_id: id, project_id: p })) }
}

export async function typeAction(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const body = bodyOf(req)
  const id = params(req).type_id!
  const keys = body && typeof body === 'object' ? Object.keys(body) : []
  const name = keys[0]
  if (keys.length !== 1 || (name !== 'addProjectAccess' && name !== 'removeProjectAccess'))
    throw new VolumeBadRequest('Malformed request body')
  const project = body[name]?.project
  req.ctx.can(name === 'addProjectAccess' ? TYPE.ACCESS_ADD : TYPE.ACCESS_REMOVE, own(req))
  if (typeof project !== 'string' || !project) throw new VolumeBadRequest('Access list requires project.')
  if (name === 'addProjectAccess') await deps.types.addAccess(id, project)
  else await deps.types.removeAccess(id, project)
  return reply.code(202).send()
}

// --- default types (3.62)

const defaultView = (d: { project_id: string; volume_type_id: string }) => ({
  project_id: d.project_id,
  volume_type_id: d.volume_type_id,
})

export async function setDefaultType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  const t = await deps.types.setProjectDefault(project, bodyOf(req).default_type.volume_type)
  return { default_type: defaultView({ project_id: project, volume_type_id: t.id }) }
}

export async function showDefaultType(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  const id = await deps.types.projectDefault(project)
  if (!id) throw new DefaultTypeNotFound(project)
  return { default_type: defaultView({ project_id: project, volume_type_id: id }) }
}

export async function listDefaultTypes(_req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  return { default_types: (await deps.types.defaults()).map(defaultView) }
}

export async function unsetDefaultType(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  const project = params(req).project_id!
  if (!(await deps.types.unsetProjectDefault(project))) throw new DefaultTypeNotFound(project)
  return reply.code(204).send()
}

class DefaultTypeNotFound extends DomainError {
  constructor(project: string) {
    super(
      'not_found',
      'volume.default_type.not_found',
      `Default type for project ${project} could not be found.`,
    )
  }
}
