/**
 * Domain-specific configuration (/v3/domains/{id}/config): per-domain overrides of the
 * `[identity]` and `[ldap]` options, as Keystone's domain config API. Values keep their
 * JSON type; sensitive options (the LDAP password) are stored but never shown.
 */

import { ActionForbidden, ResourceNotFound } from '../errors.js'
import type { ResourceDeps } from './common.js'
import type { Projects } from './projects.js'

export type ConfigDoc = Record<string, Record<string, unknown>>

/** The options that may be set per domain, with the defaults Keystone reports. */
export const DOMAIN_CONFIG_DEFAULTS: Readonly<ConfigDoc> = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost',
    user: null,
    suffix: 'cn=example,cn=com',
    query_scope: 'one',
    page_size: 0,
    alias_dereferencing: 'default',
    debug_level: null,
    chase_referrals: null,
    user_tree_dn: null,
    user_filter: null,
    user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn',
    user_name_attribute: 'sn',
    user_description_attribute: 'description',
    user_mail_attribute: 'mail',
    user_pass_attribute: 'userPassword',
    user_enabled_attribute: 'enabled',
    user_enabled_invert: false,
    user_enabled_mask: 0,
    user_enabled_default: 'True',
    user_attribute_ignore: ['default_project_id'],
    user_default_project_id_attribute: null,
    user_enabled_emulation: false,
    user_enabled_emulation_dn: null,
    user_enabled_emulation_use_group_config: false,
    user_additional_attribute_mapping: [],
    group_tree_dn: null,
    group_filter: null,
    group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn',
    group_name_attribute: 'ou',
    group_member_attribute: 'member',
    group_members_are_ids: false,
    group_desc_attribute: 'description',
    group_attribute_ignore: [],
    group_additional_attribute_mapping: [],
    group_ad_nesting: false,
    tls_cacertfile: null,
    tls_cacertdir: null,
    use_tls: false,
    tls_req_cert: 'demand',
    connection_timeout: -1,
    use_pool: true,
    pool_size: 10,
    pool_retry_max: 3,
    pool_retry_delay: 0.1,
    pool_connection_timeout: -1,
    pool_connection_lifetime: 600,
    use_auth_pool: true,
    auth_pool_size: 100,
    auth_pool_connection_lifetime: 60,
  },
}

const SENSITIVE = new Set(['ldap.password'])

function checkOption(group: string, option: string): void {
  const g = DOMAIN_CONFIG_DEFAULTS[group]
  if (!g) throw new ActionForbidden(`Invalid domain specific configuration: group ${group} is not supported.`)
  if (!(option in g) && !SENSITIVE.has(`${group}.${option}`)) {
    throw new ActionForbidden(
      `Invalid domain specific configuration: option ${option} in group ${group} is not supported.`,
    )
  }
}

export class DomainConfigs {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly projects: Projects,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  defaults(group?: string, option?: string): ConfigDoc | Record<string, unknown> {
    if (group === undefined) return DOMAIN_CONFIG_DEFAULTS
    const g = DOMAIN_CONFIG_DEFAULTS[group]
    if (!g)
      throw new ActionForbidden(`Invalid domain specific configuration: group ${group} is not supported.`)
    if (option === undefined) return { [group]: g }
    if (!(option in g))
      throw new ActionForbidden(`Invalid domain specific configuration: option ${option} is not supported.`)
    return { [option]: g[option] }
  }

  private validate(doc: ConfigDoc): void {
    for (const [group, opts] of Object.entries(doc)) {
      if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
        throw new ActionForbidden(`Invalid domain specific configuration: group ${group} must be an object.`)
      }
      for (const option of Object.keys(opts)) checkOption(group, option)
    }
  }

  /** The domain's whole config, without sensitive options. 404 when it has none. */
  async get(domainId: string, group?: string, option?: string): Promise<Record<string, unknown>> {
    await this.projects.getDomain(domainId)
    if (group !== undefined && !(group in DOMAIN_CONFIG_DEFAULTS)) {
      throw new ActionForbidden(`Invalid domain specific configuration: group ${group} is not supported.`)
    }
    const rows = await this.repos.identity_domain_config.list({
      domain_id: domainId,
      group_name: group,
      option_name: option,
      sensitive: 0,
    })
    if (rows.length === 0) {
      const what = option ? `option ${option} in group ${group}` : group ? `group ${group}` : 'config'
      throw new ResourceNotFound('domain config', `${what} of domain ${domainId}`)
    }
    const doc: ConfigDoc = {}
    for (const r of rows) {
      const g = doc[r.group_name] ?? {}
      g[r.option_name] = JSON.parse(r.value)
      doc[r.group_name] = g
    }
    if (option !== undefined && group !== undefined) return { [option]: doc[group]?.[option] }
    return doc
  }

  /** PUT: replaces the whole config. Returns whether it was created. */
  async replace(
    domainId: string,
    doc: ConfigDoc,
  ): Promise<{ created: boolean; config: Record<string, unknown> }> {
    await this.projects.getDomain(domainId)
    this.validate(doc)
    const existed = (await this.repos.identity_domain_config.count({ domain_id: domainId })) > 0
    await this.repos.transaction(async (tx) => {
      await tx.identity_domain_config.delete({ domain_id: domainId })
      for (const [group, opts] of Object.entries(doc)) {
        for (const [option, value] of Object.entries(opts)) {
          await tx.identity_domain_config.insert({
            domain_id: domainId,
            group_name: group,
            option_name: option,
            value: JSON.stringify(value),
            sensitive: SENSITIVE.has(`${group}.${option}`) ? 1 : 0,
          })
        }
      }
    })
    return { created: !existed, config: await this.get(domainId) }
  }

  /** PATCH: merges options into the existing config (which must exist). */
  async update(
    domainId: string,
    doc: ConfigDoc,
    group?: string,
    option?: string,
  ): Promise<Record<string, unknown>> {
    await this.get(domainId, group)
    this.validate(doc)
    if (group !== undefined) {
      for (const g of Object.keys(doc)) {
        if (g !== group)
          throw new ActionForbidden(
            `Invalid domain specific configuration: group ${g} does not match ${group}.`,
          )
      }
    }
    if (option !== undefined) {
      for (const o of Object.keys(doc[group!] ?? {})) {
        if (o !== option)
          throw new ActionForbidden(
            `Invalid domain specific configuration: option ${o} does not match ${option}.`,
          )
      }
    }
    await this.repos.transaction(async (tx) => {
      for (const [g, opts] of Object.entries(doc)) {
        for (const [o, value] of Object.entries(opts)) {
          const key = { domain_id: domainId, group_name: g, option_name: o }
          await tx.identity_domain_config.delete(key)
          await tx.identity_domain_config.insert({
            ...key,
            value: JSON.stringify(value),
            sensitive: SENSITIVE.has(`${g}.${o}`) ? 1 : 0,
          })
        }
      }
    })
    return this.get(domainId)
  }

  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    await this.get(domainId, group, option)
    await this.repos.identity_domain_config.delete({
      domain_id: domainId,
      group_name: group,
      option_name: option,
    })
  }
}
