/**
 * What the caller's token may be scoped to, and its catalog: /v3/auth/catalog,
 * /v3/auth/projects, /v3/auth/domains, /v3/auth/system.
 */
import type { FastifyRequest } from 'fastify'
import type { DomainRecord, ProjectRecord } from '../domain/ports.js'
import { CatalogNeedsProjectScope } from '../errors.js'
import * as policies from '../policies/auth.js'
import type { AuthHandlerDeps } from './auth-deps.js'

function collectionLinks(self: string) {
  return { self, previous: null, next: null }
}

export function authScopeHandlers(deps: AuthHandlerDeps) {
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

  return {
    /** GET /v3/auth/catalog */
    async catalog(req: FastifyRequest) {
      req.ctx.can(policies.GET_AUTH_CATALOG)
      if (!req.ctx.who.project_id) throw new CatalogNeedsProjectScope()
      const base = deps.baseUrl(req)
      return {
        catalog: await deps.ports.catalog(req.ctx.who.project_id),
        links: { self: `${base}/auth/catalog` },
      }
    },

    /** GET /v3/auth/projects */
    async projects(req: FastifyRequest) {
      req.ctx.can(policies.GET_AUTH_PROJECTS)
      const base = deps.baseUrl(req)
      const projects = await deps.ports.projectsForUser(req.ctx.who.user_id)
      return {
        projects: projects.map((p) => projectView(base, p)),
        links: collectionLinks(`${base}/auth/projects`),
      }
    },

    /** GET /v3/auth/domains */
    async domains(req: FastifyRequest) {
      req.ctx.can(policies.GET_AUTH_DOMAINS)
      const base = deps.baseUrl(req)
      const domains = await deps.ports.domainsForUser(req.ctx.who.user_id)
      return {
        domains: domains.map((d) => domainView(base, d)),
        links: collectionLinks(`${base}/auth/domains`),
      }
    },

    /** GET /v3/auth/system */
    async system(req: FastifyRequest) {
      req.ctx.can(policies.GET_AUTH_SYSTEM)
      const roles = await deps.ports.effectiveRoles(req.ctx.who.user_id, { system: true })
      return {
        system: roles.length > 0 ? [{ all: true }] : [],
        links: { self: `${deps.baseUrl(req)}/auth/system` },
      }
    },
  }
}
