/**
 * OS-FEDERATION: identity providers (with their remote ids and the domain their users
 * land in), mappings, protocols (an identity provider's way in, naming a mapping),
 * service providers, and the federated login: asserted attributes through the
 * protocol's mapping to a local user (an ephemeral shadow user, or an existing local
 * one), its groups and the projects the mapping grants.
 *
 * NOTE: a shadow user's group memberships are stored (as upstream's expiring
 * memberships); each login replaces the ones the previous login granted, so role
 * lookups, /v3/auth/projects and rescoping see them like any membership.
 */
import {
  ActionForbidden,
  AuthenticationFailed,
  ResourceConflict,
  ResourceNotFound,
  ValidationFailed,
} from '../errors.js'
import type { Row } from '../storage/table.repo.js'
import { DuplicateRow } from '../storage/table.repo.js'
import type { Assignments } from './assignments.js'
import { fromBool, newId, parseJson, type ResourceDeps, toBool } from './common.js'
import {
  type Assertion,
  applyMappingRules,
  assertedValue,
  type MappedProperties,
  validateMappingRules,
} from './federation-mapping.js'
import type { Projects } from './projects.js'
import type { Roles } from './roles.js'
import type { Users } from './users.js'

export interface IdentityProvider {
  id: string
  enabled: boolean
  description: string | null
  domain_id: string
  authorization_ttl: number | null
  remote_ids: string[]
}

export interface Mapping {
  id: string
  rules: Record<string, unknown>[]
  schema_version: string
}

export interface Protocol {
  id: string
  idp_id: string
  mapping_id: string
  remote_id_attribute: string | null
}

export interface ServiceProvider {
  id: string
  enabled: boolean
  description: string | null
  auth_url: string
  sp_url: string
  relay_state_prefix: string | null
}

/** Who a federated login is. */
export interface FederatedLogin {
  userId: string
  groupIds: string[]
  identityProvider: string
  protocol: string
}

const toSp = (r: Row<'identity_service_provider'>): ServiceProvider => ({
  id: r.id,
  enabled: toBool(r.enabled),
  description: r.description,
  auth_url: r.auth_url,
  sp_url: r.sp_url,
  relay_state_prefix: r.relay_state_prefix,
})

export class Federation {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
    private readonly users: Users,
    private readonly roles: Roles,
    private readonly assignments: Assignments,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  // Identity providers

  async getIdp(id: string): Promise<IdentityProvider> {
    const r = await this.repos.identity_idp.get({ id })
    if (!r) throw new ResourceNotFound('Identity Provider', id)
    const remote = await this.repos.identity_idp_remote_id.list({ idp_id: id }, { orderBy: 'remote_id' })
    return {
      id: r.id,
      enabled: toBool(r.enabled),
      description: r.description,
      domain_id: r.domain_id,
      authorization_ttl: r.authorization_ttl,
      remote_ids: remote.map((x) => x.remote_id),
    }
  }

  async listIdps(f: { id?: string; enabled?: boolean }): Promise<IdentityProvider[]> {
    const rows = await this.repos.identity_idp.list(
      { id: f.id, enabled: f.enabled === undefined ? undefined : fromBool(f.enabled) },
      { orderBy: 'id' },
    )
    return Promise.all(rows.map((r) => this.getIdp(r.id)))
  }

  /** Without a domain_id, a domain is created for the provider's users (as upstream). */
  async createIdp(
    id: string,
    input: {
      enabled?: boolean
      description?: string | null
      domain_id?: string | null
      authorization_ttl?: number | null
      remote_ids?: string[] | null
    },
  ): Promise<IdentityProvider> {
    if (await this.repos.identity_idp.get({ id }))
      throw new ResourceConflict('identity_provider', `Duplicate entry found with ID ${id}.`)
    let domainId = input.domain_id ?? undefined
    let createdDomain: string | undefined
    if (domainId) await this.projects.getDomain(domainId)
    else {
      const d = await this.projects.create({
        name: newId(),
        is_domain: true,
        description: `Auto generated federated domain for Identity Provider: ${id}`,
      })
      domainId = createdDomain = d.id
    }
    try {
      await this.repos.transaction(async (tx) => {
        await tx.identity_idp.insert({
          id,
          enabled: fromBool(input.enabled ?? false),
          description: input.description ?? null,
          domain_id: domainId!,
          authorization_ttl: input.authorization_ttl ?? null,
        })
        for (const remote of input.remote_ids ?? [])
          await this.insertRemoteId(tx.identity_idp_remote_id, id, remote)
      })
    } catch (e) {
      if (createdDomain) {
        await this.projects.update(createdDomain, { enabled: false }, true)
        await this.projects.deleteDomain(createdDomain)
      }
      throw e
    }
    return this.getIdp(id)
  }

  private async insertRemoteId(
    repo: Federation['repos']['identity_idp_remote_id'],
    idpId: string,
    remote: string,
  ) {
    try {
      await repo.insert({ remote_id: remote, idp_id: idpId })
    } catch (e) {
      if (e instanceof DuplicateRow)
        throw new ResourceConflict('identity_provider', `Duplicate remote ID: ${remote}`)
      throw e
    }
  }

  async updateIdp(
    id: string,
    patch: {
      enabled?: boolean
      description?: string | null
      authorization_ttl?: number | null
      remote_ids?: string[] | null
    },
  ): Promise<IdentityProvider> {
    await this.getIdp(id)
    await this.repos.transaction(async (tx) => {
      const set: Partial<Row<'identity_idp'>> = {}
      if (patch.enabled !== undefined) set.enabled = fromBool(patch.enabled)
      if (patch.description !== undefined) set.description = patch.description
      if (patch.authorization_ttl !== undefined) set.authorization_ttl = patch.authorization_ttl
      await tx.identity_idp.update({ id }, set)
      if (patch.remote_ids !== undefined) {
        await tx.identity_idp_remote_id.delete({ idp_id: id })
        for (const remote of patch.remote_ids ?? [])
          await this.insertRemoteId(tx.identity_idp_remote_id, id, remote)
      }
    })
    return this.getIdp(id)
  }

  /** Deleting a provider deletes its protocols and its shadow users (as upstream). */
  async deleteIdp(id: string): Promise<void> {
    await this.getIdp(id)
    const shadows = await this.repos.identity_federated_user.list({ idp_id: id })
    await this.repos.transaction(async (tx) => {
      await tx.identity_federation_protocol.delete({ idp_id: id })
      await tx.identity_idp_remote_id.delete({ idp_id: id })
      await tx.identity_federated_user.delete({ idp_id: id })
      await tx.identity_idp.delete({ id })
    })
    for (const userId of new Set(shadows.map((s) => s.user_id))) {
      if (await this.users.find(userId)) await this.users.delete(userId)
    }
  }

  // Mappings

  async getMapping(id: string): Promise<Mapping> {
    const r = await this.repos.identity_mapping.get({ id })
    if (!r) throw new ResourceNotFound('Mapping', id)
    return { id: r.id, rules: parseJson(r.rules, []), schema_version: r.schema_version }
  }

  async listMappings(): Promise<Mapping[]> {
    const rows = await this.repos.identity_mapping.list({}, { orderBy: 'id' })
    return rows.map((r) => ({ id: r.id, rules: parseJson(r.rules, []), schema_version: r.schema_version }))
  }

  async createMapping(id: string, body: unknown): Promise<Mapping> {
    validateMappingRules(body)
    const b = body as { rules: Record<string, unknown>[]; schema_version?: string }
    if (await this.repos.identity_mapping.get({ id }))
      throw new ResourceConflict('mapping', `Duplicate entry found with ID ${id}.`)
    await this.repos.identity_mapping.insert({
      id,
      rules: JSON.stringify(b.rules),
      schema_version: b.schema_version ?? '1.0',
    })
    return this.getMapping(id)
  }

  async updateMapping(id: string, body: unknown): Promise<Mapping> {
    await this.getMapping(id)
    validateMappingRules(body)
    const b = body as { rules: Record<string, unknown>[]; schema_version?: string }
    await this.repos.identity_mapping.update(
      { id },
      { rules: JSON.stringify(b.rules), ...(b.schema_version ? { schema_version: b.schema_version } : {}) },
    )
    return this.getMapping(id)
  }

  async deleteMapping(id: string): Promise<void> {
    await this.getMapping(id)
    await this.repos.identity_mapping.delete({ id })
  }

  // Protocols

  /** A protocol naming a missing mapping is a bad request (as upstream), not a 404. */
  private async mappingMustExist(id: string): Promise<void> {
    if (!(await this.repos.identity_mapping.get({ id })))
      throw new ValidationFailed(`Invalid mapping id: ${id}`)
  }

  async getProtocol(idpId: string, id: string): Promise<Protocol> {
    await this.getIdp(idpId)
    const r = await this.repos.identity_federation_protocol.get({ idp_id: idpId, id })
    if (!r) throw new ResourceNotFound('Federation protocol', id)
    return { ...r }
  }

  async listProtocols(idpId: string): Promise<Protocol[]> {
    await this.getIdp(idpId)
    return (await this.repos.identity_federation_protocol.list({ idp_id: idpId }, { orderBy: 'id' })).map(
      (r) => ({
        ...r,
      }),
    )
  }

  async createProtocol(
    idpId: string,
    id: string,
    input: { mapping_id: string; remote_id_attribute?: string | null },
  ): Promise<Protocol> {
    await this.getIdp(idpId)
    await this.mappingMustExist(input.mapping_id)
    try {
      await this.repos.identity_federation_protocol.insert({
        id,
        idp_id: idpId,
        mapping_id: input.mapping_id,
        remote_id_attribute: input.remote_id_attribute ?? null,
      })
    } catch (e) {
      if (e instanceof DuplicateRow)
        throw new ResourceConflict('federation_protocol', `Duplicate entry found with ID ${id}.`)
      throw e
    }
    return this.getProtocol(idpId, id)
  }

  async updateProtocol(
    idpId: string,
    id: string,
    patch: { mapping_id?: string; remote_id_attribute?: string | null },
  ): Promise<Protocol> {
    await this.getProtocol(idpId, id)
    if (patch.mapping_id !== undefined) await this.mappingMustExist(patch.mapping_id)
    await this.repos.identity_federation_protocol.update({ idp_id: idpId, id }, patch)
    return this.getProtocol(idpId, id)
  }

  async deleteProtocol(idpId: string, id: string): Promise<void> {
    await this.getProtocol(idpId, id)
    await this.repos.identity_federation_protocol.delete({ idp_id: idpId, id })
  }

  // Service providers

  async getSp(id: string): Promise<ServiceProvider> {
    const r = await this.repos.identity_service_provider.get({ id })
    if (!r) throw new ResourceNotFound('Service Provider', id)
    return toSp(r)
  }

  async listSps(f: { id?: string; enabled?: boolean }): Promise<ServiceProvider[]> {
    const rows = await this.repos.identity_service_provider.list(
      { id: f.id, enabled: f.enabled === undefined ? undefined : fromBool(f.enabled) },
      { orderBy: 'id' },
    )
    return rows.map(toSp)
  }

  async createSp(
    id: string,
    input: {
      auth_url: string
      sp_url: string
      enabled?: boolean
      description?: string | null
      relay_state_prefix?: string | null
    },
  ): Promise<ServiceProvider> {
    try {
      await this.repos.identity_service_provider.insert({
        id,
        enabled: fromBool(input.enabled ?? false),
        description: input.description ?? null,
        auth_url: input.auth_url,
        sp_url: input.sp_url,
        relay_state_prefix:
          input.relay_state_prefix === undefined
            ? this.deps.config.saml.relay_state_prefix
            : input.relay_state_prefix,
      })
    } catch (e) {
      if (e instanceof DuplicateRow)
        throw new ResourceConflict('service_provider', `Duplicate entry found with ID ${id}.`)
      throw e
    }
    return this.getSp(id)
  }

  async updateSp(id: string, patch: Partial<Omit<ServiceProvider, 'id'>>): Promise<ServiceProvider> {
    await this.getSp(id)
    const set: Partial<Row<'identity_service_provider'>> = {}
    for (const k of ['description', 'auth_url', 'sp_url', 'relay_state_prefix'] as const)
      if (patch[k] !== undefined) set[k] = patch[k] as never
    if (patch.enabled !== undefined) set.enabled = fromBool(patch.enabled)
    await this.repos.identity_service_provider.update({ id }, set)
    return this.getSp(id)
  }

  async deleteSp(id: string): Promise<void> {
    await this.getSp(id)
    await this.repos.identity_service_provider.delete({ id })
  }

  /** Enabled service providers, for the token catalog's service_providers. */
  async enabledSps(): Promise<ServiceProvider[]> {
    return this.listSps({ enabled: true })
  }

  // Federated login

  /** Throws 403 when the provider is disabled (its tokens may not be rescoped either). */
  async assertIdpEnabled(idpId: string): Promise<IdentityProvider> {
    const idp = await this.repos.identity_idp.get({ id: idpId })
    if (!idp) throw new AuthenticationFailed(`Could not find Identity Provider: ${idpId}.`)
    if (!toBool(idp.enabled)) throw new ActionForbidden(`Identity Provider ${idpId} is disabled`)
    return this.getIdp(idpId)
  }

  /**
   * Maps an assertion through the protocol's mapping: the user (shadowed on first
   * login for ephemeral users), the groups and the projects it grants.
   */
  async login(idpId: string, protocolId: string, assertion: Assertion): Promise<FederatedLogin> {
    const idp = await this.assertIdpEnabled(idpId)
    const protocol = await this.repos.identity_federation_protocol.get({ idp_id: idpId, id: protocolId })
    if (!protocol) throw new ResourceNotFound('Federation protocol', protocolId)
    this.checkRemoteId(idp, protocol, assertion)
    const mapping = await this.getMapping(protocol.mapping_id)
    let mapped: MappedProperties
    try {
      mapped = applyMappingRules(mapping.rules, assertion)
    } catch (e) {
      if (e instanceof ValidationFailed) throw new AuthenticationFailed(e.message)
      throw e
    }
    const groupIds = await this.groupIds(mapped)
    if (mapped.user.type === 'local') {
      const u = mapped.user
      let user = u.id ? await this.users.find(u.id) : undefined
      if (!user && u.name && u.domain) {
        const domainId = u.domain.id ?? (await this.projects.findDomainByName(u.domain.name ?? ''))?.id
        if (domainId) user = await this.users.findByName(u.name, domainId)
      }
      if (!user) throw new AuthenticationFailed('Could not find the local user the mapping names.')
      return { userId: user.id, groupIds: [], identityProvider: idpId, protocol: protocolId }
    }
    const uniqueId = mapped.user.id ?? mapped.user.name ?? assertedValue(assertion, 'REMOTE_USER')
    const displayName = mapped.user.name ?? uniqueId
    if (!uniqueId || !displayName)
      throw new AuthenticationFailed(
        'Could not map user while setting ephemeral user identity. Either mapping rules must specify user id/name or REMOTE_USER environment variable must be set.',
      )
    const userId = await this.shadowUser(idp, protocolId, encodeURIComponent(uniqueId), displayName, groupIds)
    await this.grantProjects(idp, userId, mapped.projects)
    return { userId, groupIds, identityProvider: idpId, protocol: protocolId }
  }

  private checkRemoteId(idp: IdentityProvider, protocol: Row<'identity_federation_protocol'>, a: Assertion) {
    const attribute = protocol.remote_id_attribute ?? this.deps.config.federation.remote_id_attribute
    if (!attribute || idp.remote_ids.length === 0) return
    const remote = assertedValue(a, attribute)
    if (remote === undefined)
      throw new AuthenticationFailed('Could not find Identity Provider identifier in environment')
    if (!idp.remote_ids.includes(remote))
      throw new ActionForbidden(
        'Incoming identity provider identifier not included among the accepted identifiers.',
      )
  }

  private async groupIds(mapped: MappedProperties): Promise<string[]> {
    const ids = new Set<string>()
    for (const id of mapped.group_ids) {
      if (!(await this.repos.identity_group.get({ id })))
        throw new AuthenticationFailed(`Group ${id} returned by mapping was not found in the backend.`)
      ids.add(id)
    }
    for (const g of mapped.group_names) {
      const domainId = g.domain.id ?? (await this.projects.findDomainByName(g.domain.name ?? ''))?.id
      if (!domainId) continue
      const found = await this.repos.identity_group.get({ name: g.name, domain_id: domainId })
      if (found) ids.add(found.id)
    }
    return [...ids]
  }

  private async shadowUser(
    idp: IdentityProvider,
    protocolId: string,
    uniqueId: string,
    displayName: string,
    groupIds: string[],
  ): Promise<string> {
    const key = { idp_id: idp.id, protocol_id: protocolId, unique_id: uniqueId }
    let row = await this.repos.identity_federated_user.get(key)
    if (row && !(await this.users.find(row.user_id))) {
      await this.repos.identity_federated_user.delete(key)
      row = undefined
    }
    if (!row) {
      const user = await this.users.create({ name: displayName, domain_id: idp.domain_id })
      row = { ...key, user_id: user.id, display_name: displayName, group_ids: '[]' }
      await this.repos.identity_federated_user.insert(row)
    } else if (row.display_name !== displayName) {
      await this.users.update(row.user_id, { name: displayName })
    }
    const before = new Set(parseJson<string[]>(row.group_ids, []))
    const now = new Set(groupIds)
    for (const g of before)
      if (!now.has(g)) await this.repos.identity_membership.delete({ user_id: row.user_id, group_id: g })
    for (const g of now)
      await this.repos.identity_membership.insertIgnoringDuplicate({ user_id: row.user_id, group_id: g })
    await this.repos.identity_federated_user.update(key, {
      display_name: displayName,
      group_ids: JSON.stringify([...now]),
    })
    return row.user_id
  }

  /** Projects the mapping names, in the provider's domain: created when missing, with the roles granted to the user. */
  private async grantProjects(idp: IdentityProvider, userId: string, projects: MappedProperties['projects']) {
    for (const p of projects) {
      const roles = []
      for (const r of p.roles) {
        const role =
          (await this.roles.findByName(r.name)) ?? (await this.roles.findByName(r.name, idp.domain_id))
        if (!role) throw new ResourceNotFound('role', r.name)
        roles.push(role)
      }
      const project =
        (await this.projects.findByName(p.name, idp.domain_id)) ??
        (await this.projects.create({ name: p.name, domain_id: idp.domain_id }))
      for (const role of roles)
        await this.assignments.grant({
          actor: 'user',
          actorId: userId,
          target: 'project',
          targetId: project.id,
          roleId: role.id,
          inherited: false,
        })
    }
  }

  /** The provider and protocol a user was federated through, when it is a shadow user. */
  async federatedIdentitiesOf(
    userId: string,
  ): Promise<{ idp_id: string; protocol_id: string; unique_id: string }[]> {
    return (await this.repos.identity_federated_user.list({ user_id: userId })).map((r) => ({
      idp_id: r.idp_id,
      protocol_id: r.protocol_id,
      unique_id: r.unique_id,
    }))
  }
}
