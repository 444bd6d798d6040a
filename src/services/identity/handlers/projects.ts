/**
 * /v3/domains and /v3/projects (with tags and the parents/subtree views).
 */
import type { FastifyRequest } from 'fastify'
import { splitExtra } from '../domain/common.js'
import { listLimit } from '../domain/config.js'
import type { Project } from '../domain/projects.js'
import type { IdentityDomain } from '../resources.js'
import {
  domainCreate,
  domainUpdate,
  projectCreate,
  projectUpdate,
  tagSchema,
  tagsBody,
} from '../schemas/projects.js'
import { validateBody, validateValue } from '../schemas/validate.js'
import {
  allows,
  can,
  collection,
  noContent,
  params,
  qb,
  ql,
  qs,
  query,
  type Router,
  selfLink,
} from './common.js'

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

export function registerProjectRoutes(r: Router, d: IdentityDomain): void {
  // Domains
  r.get('/v3/domains', async (req) => {
    const q = query(req)
    can(req, 'identity:list_domains', {})
    const list = await d.projects.listDomains({ name: qs(q, 'name'), enabled: qb(q, 'enabled') })
    return collection(
      req,
      'domains',
      list.map((x) => domainView(req, x)),
      {},
      listLimit(d.config, 'resource'),
    )
  })
  r.post('/v3/domains', async (req, reply) => {
    const body = validateBody(req.body, 'domain', domainCreate)
    can(req, 'identity:create_domain', { domain: body })
    const { known, extra } = splitExtra(body, DOMAIN_FIELDS)
    const created = await d.projects.create({
      ...(known as { name: string }),
      id: known.explicit_domain_id as string | undefined,
      is_domain: true,
      extra,
    })
    return reply.code(201).send({ domain: domainView(req, created) })
  })
  r.get('/v3/domains/:id', async (req) => {
    const { id } = params(req)
    const domain = await d.projects.getDomain(id)
    can(req, 'identity:get_domain', { domain: { id: domain.id } })
    return { domain: domainView(req, domain) }
  })
  r.patch('/v3/domains/:id', async (req) => {
    const { id } = params(req)
    const body = validateBody(req.body, 'domain', domainUpdate)
    can(req, 'identity:update_domain', { domain: { id } })
    const { known, extra } = splitExtra(body, DOMAIN_FIELDS)
    const updated = await d.projects.update(id, { ...known, extra }, true)
    return { domain: domainView(req, updated) }
  })
  r.delete('/v3/domains/:id', async (req, reply) => {
    const { id } = params(req)
    can(req, 'identity:delete_domain', { domain: { id } })
    await d.projects.deleteDomain(id)
    return noContent(reply)
  })

  // Projects
  r.get('/v3/projects', async (req) => {
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
  })
  r.post('/v3/projects', async (req, reply) => {
    const body = validateBody(req.body, 'project', projectCreate)
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
  })
  r.get('/v3/projects/:id', async (req) => {
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
  })
  r.patch('/v3/projects/:id', async (req) => {
    const { id } = params(req)
    const body = validateBody(req.body, 'project', projectUpdate)
    const p = await d.projects.getAny(id)
    can(req, 'identity:update_project', { project: p })
    const { known, extra } = splitExtra(body, PROJECT_FIELDS)
    return { project: projectView(req, await d.projects.update(id, { ...known, extra }, false)) }
  })
  r.delete('/v3/projects/:id', async (req, reply) => {
    const { id } = params(req)
    const p = await d.projects.getAny(id)
    can(req, 'identity:delete_project', { project: p })
    // Keystone: a project acting as a domain is deleted as that domain (disabled first).
    if (p.is_domain) await d.projects.deleteDomain(id)
    else await d.projects.delete(id)
    return noContent(reply)
  })

  // Tags
  r.get('/v3/projects/:id/tags', async (req) => {
    const p = await d.projects.getAny(params(req).id!)
    can(req, 'identity:list_project_tags', { project: p })
    return { tags: p.tags }
  })
  r.put('/v3/projects/:id/tags', async (req) => {
    const { id } = params(req)
    const body = validateValue<{ tags: string[] }>(req.body, tagsBody)
    const p = await d.projects.getAny(id)
    can(req, 'identity:update_project_tags', { project: p })
    const tags = await d.projects.setTags(id, body.tags)
    return { tags, links: selfLink(req, `projects/${id}/tags`) }
  })
  r.delete('/v3/projects/:id/tags', async (req, reply) => {
    const { id } = params(req)
    const p = await d.projects.getAny(id)
    can(req, 'identity:delete_project_tags', { project: p })
    await d.projects.setTags(id, [])
    return noContent(reply)
  })
  r.get('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const { id, tag } = params(req)
    const p = await d.projects.getAny(id!)
    can(req, 'identity:get_project_tag', { project: p })
    await d.projects.hasTag(id!, tag!)
    return noContent(reply)
  })
  r.put('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const { id, tag } = params(req)
    validateValue(tag, tagSchema, 'tag')
    const p = await d.projects.getAny(id!)
    can(req, 'identity:create_project_tag', { project: p })
    await d.projects.addTag(id!, tag!)
    return reply
      .code(201)
      .header('location', selfLink(req, `projects/${id}/tags/${tag}`).self)
      .send()
  })
  r.delete('/v3/projects/:id/tags/:tag', async (req, reply) => {
    const { id, tag } = params(req)
    const p = await d.projects.getAny(id!)
    can(req, 'identity:delete_project_tag', { project: p })
    await d.projects.removeTag(id!, tag!)
    return noContent(reply)
  })
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
