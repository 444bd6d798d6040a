/**
 * The resource half's side of the seam (domain/ports.ts): what token issue asks about
 * users, passwords, scopes, roles, application credentials and the catalog.
 */
import { ResourceNotFound } from '../errors.js'
import type { ApplicationCredentials } from './application-credentials.js'
import type { Assignments } from './assignments.js'
import type { FederationPorts } from './auth-federation.js'
import type { TrustPorts } from './auth-trusts.js'
import type { Catalog } from './catalog.js'
import type { Federation } from './federation.js'
import type { AuthnPorts, DomainRecord, NameOrId, ProjectRecord, UserRecord } from './ports.js'
import type { Project, Projects } from './projects.js'
import type { Trusts } from './trusts.js'
import type { User, Users } from './users.js'

const toUserRecord = (u: User): UserRecord => ({
  id: u.id,
  name: u.name,
  domain_id: u.domain_id,
  enabled: u.enabled,
  default_project_id: u.default_project_id,
  password_expires_at: u.password_expires_at,
  options: u.options,
})

const toProjectRecord = (p: Project): ProjectRecord => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id ?? p.id,
  enabled: p.enabled,
  is_domain: p.is_domain,
  parent_id: p.parent_id,
})

const toDomainRecord = (d: Project): DomainRecord => ({ id: d.id, name: d.name, enabled: d.enabled })

export function createAuthnPorts(parts: {
  projects: Projects
  users: Users
  assignments: Assignments
  catalog: Catalog
  appCreds: ApplicationCredentials
  trusts: Trusts
  federation: Federation
}): AuthnPorts & TrustPorts & FederationPorts {
  const { projects, users, assignments, catalog, appCreds, trusts, federation } = parts

  const resolveDomain = async (ref: { id?: string; name?: string } | undefined) => {
    if (!ref) return undefined
    if (ref.id) {
      const d = await projects.find(ref.id)
      return d?.is_domain ? d : undefined
    }
    return ref.name === undefined ? undefined : projects.findDomainByName(ref.name)
  }

  const findUser = async (ref: NameOrId): Promise<UserRecord | undefined> => {
    if (ref.id) {
      const u = await users.find(ref.id)
      return u ? toUserRecord(u) : undefined
    }
    if (ref.name === undefined) return undefined
    const domain = await resolveDomain(ref.domain)
    if (!domain) return undefined
    const u = await users.findByName(ref.name, domain.id)
    return u ? toUserRecord(u) : undefined
  }

  return {
    findUser,
    checkPassword: (user, password) => users.checkPassword(user.id, password),
    async findProject(ref) {
      if (ref.id) {
        const p = await projects.find(ref.id)
        return p ? toProjectRecord(p) : undefined
      }
      if (ref.name === undefined) return undefined
      const domain = await resolveDomain(ref.domain)
      if (!domain) return undefined
      const p = await projects.findByName(ref.name, domain.id)
      return p ? toProjectRecord(p) : undefined
    },
    async findDomain(ref) {
      const d = await resolveDomain(ref)
      return d ? toDomainRecord(d) : undefined
    },
    async effectiveRoles(userId, scope) {
      const roles = await assignments.effectiveRoles(userId, scope)
      return roles.map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id }))
    },
    async findApplicationCredential(ref) {
      if (ref.id) return appCreds.findRecord({ id: ref.id })
      const user = ref.user ? await findUser(ref.user) : undefined
      if (!user || !ref.name) return undefined
      return appCreds.findRecord({ name: ref.name, userId: user.id })
    },
    async findTrust(id) {
      let t: Awaited<ReturnType<Trusts['effective']>>
      try {
        t = await trusts.effective(id)
      } catch (e) {
        if (e instanceof ResourceNotFound) return undefined
        throw e
      }
      return {
        id: t.id,
        trustor_user_id: t.trustor_user_id,
        trustee_user_id: t.trustee_user_id,
        project_id: t.project_id,
        impersonation: t.impersonation,
        roles: t.effectiveRoles.map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id })),
        roles_holder_id: t.rootTrustorId,
        expires_at: t.expires_at,
        remaining_uses: t.remaining_uses,
      }
    },
    consumeTrustUse: (id) => trusts.consume(id),
    federatedLogin: (idpId, protocolId, assertion) => federation.login(idpId, protocolId, assertion),
    async assertIdpEnabled(idpId) {
      await federation.assertIdpEnabled(idpId)
    },
    checkApplicationCredentialSecret: (credential, secret) => appCreds.checkSecret(credential.id, secret),
    catalog: (projectId) => catalog.catalog(projectId),
    async projectsForUser(userId) {
      const ids = await assignments.targetsOf(userId, 'project')
      const list = await projects.list({ ids })
      return list.filter((p) => p.enabled).map(toProjectRecord)
    },
    async domainsForUser(userId) {
      const ids = await assignments.targetsOf(userId, 'domain')
      const list = await projects.list({ ids, is_domain: true })
      return list.filter((d) => d.enabled).map(toDomainRecord)
    },
  }
}
