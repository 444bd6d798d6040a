/** Volume type handlers: types, extra specs, project access, default types (3.62). */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../../../kernel/errors/index.js'
import type { EncryptionInput } from '../domain/types.js'
import { InvalidInput, VolumeBadRequest, VolumeTypeExtraSpecsNotFound } from '../errors.js'
import { TYPE, USER_VISIBLE_EXTRA_SPECS } from '../policies/index.js'
import type { EncryptionRow } from '../storage/type.repo.js'
import { bodyOf, callerOf, params, parseBool, queryOf, type VolumeDeps } from './common.js'
import { cinderTime, typeManageView, typeView } from './views.js'

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

// --- encryption types

function encryptionView(e: EncryptionRow) {
  return {
    volume_type_id: e.volume_type_id,
    encryption_id: e.encryption_id,
    provider: e.provider,
    cipher: e.cipher,
    key_size: e.key_size,
    control_location: e.control_location,
    deleted: false,
    created_at: cinderTime(e.created_at),
    updated_at: cinderTime(e.updated_at),
    deleted_at: null,
  }
}

function encryptionInput(body: unknown): EncryptionInput {
  const e = (body as { encryption?: unknown } | undefined)?.encryption
  if (!e || typeof e !== 'object' || Array.isArray(e))
    throw new InvalidInput("Missing required element 'encryption' in request body.")
  const given = e as Record<string, unknown>
  const out: EncryptionInput = {}
  if (given.provider !== undefined) {
    if (typeof given.provider !== 'string' || !given.provider || given.provider.length > 255)
      throw new InvalidInput('provider must be a string of 1 to 255 characters')
    out.provider = given.provider
  }
  if (given.cipher !== undefined) {
    if (given.cipher !== null && (typeof given.cipher !== 'string' || given.cipher.length > 255))
      throw new InvalidInput('cipher must be a string of at most 255 characters')
    out.cipher = given.cipher as string | null
  }
  if (given.key_size !== undefined) {
    const n = given.key_size === null ? null : Number(given.key_size)
    if (n !== null && (!Number.isInteger(n) || n < 0))
      throw new InvalidInput('key_size must be a non-negative integer')
    out.key_size = n
  }
  if (given.control_location !== undefined) out.control_location = String(given.control_location)
  return out
}

export async function showEncryption(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const e = await deps.encryption.get(params(req).type_id!)
  return e ? encryptionView(e) : {}
}

export async function showEncryptionItem(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const { type_id, encryption_key } = params(req) as { type_id: string; encryption_key: string }
  const e = await deps.encryption.get(type_id)
  const view = (e ? encryptionView(e) : {}) as Record<string, unknown>
  if (!e || !(encryption_key in view)) throw new VolumeTypeExtraSpecsNotFound(type_id, encryption_key)
  return { [encryption_key]: view[encryption_key] }
}

export async function createEncryption(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const e = await deps.encryption.create(params(req).type_id!, encryptionInput(bodyOf(req)))
  return {
    encryption: {
      volume_type_id: e.volume_type_id,
      encryption_id: e.encryption_id,
      provider: e.provider,
      cipher: e.cipher,
      key_size: e.key_size,
      control_location: e.control_location,
    },
  }
}

export async function updateEncryption(req: FastifyRequest, _r: FastifyReply, deps: VolumeDeps) {
  const input = encryptionInput(bodyOf(req))
  await deps.encryption.update(params(req).type_id!, input)
  return { encryption: input }
}

export async function deleteEncryption(req: FastifyRequest, reply: FastifyReply, deps: VolumeDeps) {
  await deps.encryption.delete(params(req).type_id!)
  return reply.code(202).send()
}
