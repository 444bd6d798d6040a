/**
 * /v3/domains and /v3/projects (with tags and the parents/subtree views).
 */
import type { FastifyRequest } from 'fastify'
import { splitExtra } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { Project } from '../domain/projects.js'
import * as projectSchemas from '../schemas/projects.js'
import { tagSchema } from '../schemas/projects.js'
import { validateBody, validateValue } from '../schemas/validation.js'
import { bodyOf, can, collection, noContent, params, qb, ql, qs, query, selfLink } from './common.js'
import type { Handler } from './deps.js'

export function projectView(req: FastifyRequest, p: Project) {
  return {
    ...p.extra,
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: p.enabled,
    parent_id: p.is_domain ? null : p.parent_id,
    is_domain: p.is_domain,
    tags: p.tags,
    options: p.options,
    links: selfLink(req, `projects/${p.id}`),
  }
}

export function domainView(req: FastifyRequest, d: Project) {
  return {
    ...d.extra,
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled,
    tags: d.tags,
    options: d.options,
    links: selfLink(req, `domains/${d.id}`),
  }
}

const DOMAIN_FIELDS = ['name', 'description', 'enabled', 'tags', 'options', 'explicit_domain_id'] as const
const PROJECT_FIELDS = [
  'name',
  'description',
  'enabled',
  'domain_id',
  'parent_id',
  'is_domain',
  'tags',
  'options',
] as const

// Domains

/** GET /v3/domains */
export const listDomains: Handler = async (req, _reply, d) => {
  const q = query(req)
  const list = await d.projects.listDomains({ name: qs(q, 'name'), enabled: qb(q, 'enabled') })
  return collection(
    req,
    'domains',
    list.map((x) => domainView(req, x)),
    {},
    listLimit(d.config, 'resource'),
  )
}

/** POST /v3/domains */
export const createDomain: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'domain')
  can(req, 'identity:create_domain', { domain: body })
  const { known, extra } = splitExtra(body, DOMAIN_FIELDS)
  const created = await d.projects.create({
    ...(known as { name: string }),
    id: known.explicit_domain_id as string | undefined,
    is_domain: true,
    extra,
  })
  return reply.code(201).send({ domain: domainView(req, created) })
}

/** GET /v3/domains/:id */
export const getDomain: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  const domain = await d.projects.getDomain(id)
  can(req, 'identity:get_domain', { domain: { id: domain.id } })
  return { domain: domainView(req, domain) }
}

/** PATCH /v3/domains/:id */
export const updateDomain: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  // Keystone looks the domain up before the policy and the body: a missing one is a 404
  // whoever asks and whatever was sent.
  const domain = await d.projects.getDomain(id)
  can(req, 'identity:update_domain', { domain: { id: domain.id } })
  validateBody(req, projectSchemas.domainUpdate)
  const body = bodyOf(req, 'domain')
  const { known, extra } = splitExtra(body, DOMAIN_FIELDS)
  const updated = await d.projects.update(id, { ...known, extra }, true)
  return { domain: domainView(req, updated) }
}

/** DELETE /v3/domains/:id */
export const deleteDomain: Handler = async (req, reply, d) => {
  const { id } = params(req)
  await d.projects.deleteDomain(id)
  return noContent(reply)
}

// Projects

/** GET /v3/projects */
export const listProjects: Handler = async (req, _reply, d) => {
  const q = query(req)
  const domainId = qs(q, 'domain_id')
  const scoped = req.ctx.who.domain_id
  // Keystone: a domain-scoped token lists its own domain, whatever the filter says.
  can(req, 'identity:list_projects', { domain_id: scoped ?? domainId })
  const list = await d.projects.list({
    name: qs(q, 'name'),
    domain_id: domainId ?? scoped,
    parent_id: qs(q, 'parent_id'),
    enabled: qb(q, 'enabled'),
    is_domain: qb(q, 'is_domain'),
    tags: ql(q, 'tags'),
    tagsAny: ql(q, 'tags-any'),
    notTags: ql(q, 'not-tags'),
    notTagsAny: ql(q, 'not-tags-any'),
  })
  return collection(
    req,
    'projects',
    list.filter((p) => !scoped || p.domain_id === scoped).map((p) => projectView(req, p)),
    {},
    listLimit(d.config, 'resource'),
  )
}

/** POST /v3/projects */
export const createProject: Handler = async (req, reply, d) => {
  const body = bodyOf(req, 'project')
  const who = req.ctx.who
  const { known, extra } = splitExtra(body, PROJECT_FIELDS)
  // Keystone: no domain given means the parent's, else the token's, else the default.
  const domainId =
    (known.domain_id as string | null | undefined) ??
    (known.parent_id || known.is_domain
      ? undefined
      : (who.domain_id ?? (who.project_domain_id as string | undefined)))
  // Keystone checks the body as sent; the domain is filled in afterwards.
  can(req, 'identity:create_project', { project: known })
  const created = await d.projects.create({ ...(known as { name: string }), domain_id: domainId, extra })
  return reply.code(201).send({ project: projectView(req, created) })
}

/** GET /v3/projects/:id */
export const getProject: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  const q = query(req)
  const p = await d.projects.getAny(id)
  can(req, 'identity:get_project', { project: p })
  const view: Record<string, unknown> = projectView(req, p)
  if (qb(q, 'parents_as_list')) {
    view.parents = (await d.projects.ancestors(id))
      .filter((a) => !a.is_domain)
      .map((a) => ({ project: projectView(req, a) }))
  }
  if (qb(q, 'parents_as_ids')) view.parents = idTree(await d.projects.ancestors(id), 'up', p)
  if (qb(q, 'subtree_as_list'))
    view.subtree = (await d.projects.descendants(id)).map((c) => ({ project: projectView(req, c) }))
  if (qb(q, 'subtree_as_ids')) view.subtree = idTree(await d.projects.descendants(id), 'down', p)
  return { project: view }
}

/** PATCH /v3/projects/:id */
export const updateProject: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  // Keystone's order: the policy (a missing project makes an empty target, so a refused
  // caller learns nothing: 403), then the body (400), then the lookup (404).
  const p = await d.projects.find(id)
  can(req, 'identity:update_project', p ? { project: p } : {})
  validateBody(req, projectSchemas.projectUpdate)
  await d.projects.getAny(id)
  const body = bodyOf(req, 'project')
  const { known, extra } = splitExtra(body, PROJECT_FIELDS)
  return { project: projectView(req, await d.projects.update(id, { ...known, extra }, false)) }
}

/** DELETE /v3/projects/:id */
export const deleteProject: Handler = async (req, reply, d) => {
  const { id } = params(req)
  const p = await d.projects.getAny(id)
  can(req, 'identity:delete_project', { project: p })
  // Keystone: a project acting as a domain is deleted as that domain (disabled first).
  if (p.is_domain) await d.projects.deleteDomain(id)
  else await d.projects.delete(id)
  return noContent(reply)
}

// Tags

/** GET /v3/projects/:id/tags */
export const listProjectTags: Handler = async (req, _reply, d) => {
  const p = await d.projects.getAny(params(req).id!)
  can(req, 'identity:list_project_tags', { project: p })
  return { tags: p.tags }
}

/** PUT /v3/projects/:id/tags */
export const updateProjectTags: Handler = async (req, _reply, d) => {
  const { id } = params(req)
  const body = req.body as { tags: string[] }
  const p = await d.projects.getAny(id)
  can(req, 'identity:update_project_tags', { project: p })
  const tags = await d.projects.setTags(id, body.tags)
  return { tags, links: selfLink(req, `projects/${id}/tags`) }
}

/** DELETE /v3/projects/:id/tags */
export const deleteProjectTags: Handler = async (req, reply, d) => {
  const { id } = params(req)
  const p = await d.projects.getAny(id)
  can(req, 'identity:delete_project_tags', { project: p })
  await d.projects.setTags(id, [])
  return noContent(reply)
}

/** GET /v3/projects/:id/tags/:tag */
export const getProjectTag: Handler = async (req, reply, d) => {
  const { id, tag } = params(req)
  const p = await d.projects.getAny(id!)
  can(req, 'identity:get_project_tag', { project: p })
  await d.projects.hasTag(id!, tag!)
  return noContent(reply)
}

/** PUT /v3/projects/:id/tags/:tag */
export const createProjectTag: Handler = async (req, reply, d) => {
  const { id, tag } = params(req)
  validateValue(tag, tagSchema, 'tag')
  const p = await d.projects.getAny(id!)
  can(req, 'identity:create_project_tag', { project: p })
  await d.projects.addTag(id!, tag!)
  return reply
    .code(201)
    .header('location', selfLink(req, `projects/${id}/tags/${tag}`).self)
    .send()
}

/** DELETE /v3/projects/:id/tags/:tag */
export const deleteProjectTag: Handler = async (req, reply, d) => {
  const { id, tag } = params(req)
  const p = await d.projects.getAny(id!)
  can(req, 'identity:delete_project_tag', { project: p })
  await d.projects.removeTag(id!, tag!)
  return noContent(reply)
}

/** Keystone's nested `{id: {id: null}}` shape for parents_as_ids / subtree_as_ids. */
function idTree(list: Project[], dir: 'up' | 'down', root: Project): Record<string, unknown> | null {
  if (dir === 'up') {
    let tree: Record<string, unknown> | null = null
    for (const p of [...list].reverse()) tree = { [p.id]: tree }
    return tree
  }
  const build = (id: string): Record<string, unknown> | null => {
    const kids = list.filter((p) => p.parent_id === id)
    if (kids.length === 0) return null
    return Object.fromEntries(kids.map((k) => [k.id, build(k.id)]))
  }
  return build(root.id)
}
