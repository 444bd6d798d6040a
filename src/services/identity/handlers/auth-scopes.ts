/**
 * What the caller's token may be scoped to, and its catalog: /v3/auth/catalog,
 * /v3/auth/projects, /v3/auth/domains, /v3/auth/system. Their policies are checked by
 * the route table.
 */
import type { DomainRecord, ProjectRecord } from '../domain/ports.js'
import { CatalogNeedsProjectScope } from '../errors.js'
import type { Handler } from './deps.js'

function collectionLinks(self: string) {
  return { self, previous: null, next: null }
}

const projectView = (base: string, p: ProjectRecord) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id,
  enabled: p.enabled,
  is_domain: p.is_domain,
  parent_id: p.parent_id,
  links: { self: `${base}/projects/${p.id}` },
})

const domainView = (base: string, d: DomainRecord) => ({
  id: d.id,
  name: d.name,
  enabled: d.enabled,
  links: { self: `${base}/domains/${d.id}` },
})

/** GET /v3/auth/catalog */
export const getAuthCatalog: Handler = async (req, _reply, d) => {
  if (!req.ctx.who.project_id) throw new CatalogNeedsProjectScope()
  const base = d.auth.baseUrl(req)
  return {
    catalog: await d.auth.ports.catalog(req.ctx.who.project_id),
    links: { self: `${base}/auth/catalog` },
  }
}

/** GET /v3/auth/projects */
export const getAuthProjects: Handler = async (req, _reply, d) => {
  const base = d.auth.baseUrl(req)
  const projects = await d.auth.ports.projectsForUser(req.ctx.who.user_id)
  return {
    projects: projects.map((p) => projectView(base, p)),
    links: collectionLinks(`${base}/auth/projects`),
  }
}

/** GET /v3/auth/domains */
export const getAuthDomains: Handler = async (req, _reply, d) => {
  const base = d.auth.baseUrl(req)
  const domains = await d.auth.ports.domainsForUser(req.ctx.who.user_id)
  return {
    domains: domains.map((x) => domainView(base, x)),
    links: collectionLinks(`${base}/auth/domains`),
  }
}

/** GET /v3/auth/system */
export const getAuthSystem: Handler = async (req, _reply, d) => {
  const roles = await d.auth.ports.effectiveRoles(req.ctx.who.user_id, { system: true })
  return {
    system: roles.length > 0 ? [{ all: true }] : [],
    links: { self: `${d.auth.baseUrl(req)}/auth/system` },
  }
}
