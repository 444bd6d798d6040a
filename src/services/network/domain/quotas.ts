/**
 * Quotas as Neutron's DbQuotaDriver: per-project limits over `[quotas] quota_<resource>`
 * defaults (-1 unlimited), usage counted from the resource tables inside the creating
 * transaction, and a 409 OverQuota that names the resource.
 */

import type { NetworkConfig } from '../config.js'
import { badRequest, overQuota, typed } from '../errors.js'
import { toInt } from '../schemas/validators.js'
import type { NetworkStore } from '../storage/index.js'

export const QUOTA_RESOURCES = [
  'network',
  'subnet',
  'port',
  'router',
  'floatingip',
  'security_group',
  'security_group_rule',
  'rbac_policy',
  'subnetpool',
  'trunk',
] as const
export type QuotaResource = (typeof QUOTA_RESOURCES)[number]

export class Quotas {
  constructor(
    private readonly store: NetworkStore,
    private readonly config: NetworkConfig['quotas'],
  ) {}

  defaults(): Record<QuotaResource, number> {
    const out = {} as Record<QuotaResource, number>
    for (const r of QUOTA_RESOURCES) out[r] = (this.config as Record<string, number>)[`quota_${r}`] ?? -1
    return out
  }

  async limits(projectId: string, s: NetworkStore = this.store): Promise<Record<QuotaResource, number>> {
    const out = this.defaults()
    for (const [r, v] of await s.quotas.of(projectId)) if (r in out) out[r as QuotaResource] = v
    return out
  }

  async used(projectId: string, resource: QuotaResource, s: NetworkStore = this.store): Promise<number> {
    const where = { project_id: projectId }
    switch (resource) {
      case 'network':
        return s.networks.count(where)
      case 'subnet':
        return s.subnets.count(where)
      case 'port':
        return s.ports.count(where)
      case 'router':
        return s.routers.count(where)
      case 'floatingip':
        return s.floatingIps.count(where)
      case 'security_group':
        return s.securityGroups.count(where)
      case 'security_group_rule':
        return s.securityGroupRules.count(where)
      case 'rbac_policy':
        return s.rbacPolicies.count(where)
      case 'subnetpool':
        return s.subnetPools.count(where)
      case 'trunk':
        return s.trunks.count(where)
    }
  }

  /** 409 OverQuota unless `count` more fit in the project's limit. */
  async check(s: NetworkStore, projectId: string, resource: QuotaResource, count: number): Promise<void> {
    const limit = (await this.limits(projectId, s))[resource]
    if (limit < 0) return
    if ((await this.used(projectId, resource, s)) + count > limit) throw overQuota(resource)
  }

  async details(projectId: string) {
    const limits = await this.limits(projectId)
    const out: Record<string, { limit: number; used: number; reserved: number }> = {}
    for (const r of QUOTA_RESOURCES)
      out[r] = { limit: limits[r], used: await this.used(projectId, r), reserved: 0 }
    return out
  }

  async update(projectId: string, body: unknown): Promise<Record<QuotaResource, number>> {
    if (!body || typeof body !== 'object' || !('quota' in body))
      throw badRequest("Unable to find 'quota' in request body")
    const q = (body as { quota: unknown }).quota
    if (!q || typeof q !== 'object' || Array.isArray(q))
      throw badRequest('Invalid input for operation: quota is not a dictionary.')
    const values = new Map<string, number>()
    for (const [k, v] of Object.entries(q)) {
      if (k === 'force' || k === 'check_limit') continue
      if (!(QUOTA_RESOURCES as readonly string[]).includes(k))
        throw badRequest(`Unrecognized attribute(s) '${k}'`)
      const n = toInt(v)
      if (!Number.isInteger(n) || n > 2147483647)
        throw badRequest(
          `Invalid input for ${k}. Reason: '${String(v)}' is not an integer within -1 and 2147483647.`,
        )
      if (n < -1)
        throw typed(
          'bad_request',
          'network.quota.invalid',
          'InvalidQuotaValue',
          `Change would make usage less than 0 for the following resources: ${k}.`,
        )
      values.set(k, n)
    }
    await this.store.tx(async (s) => {
      for (const [k, n] of values) await s.quotas.set(projectId, k, n)
    })
    return this.limits(projectId)
  }

  async reset(projectId: string): Promise<void> {
    const n = await this.store.quotas.clear(projectId)
    if (n === 0)
      throw typed(
        'not_found',
        'network.quota.not_found',
        'TenantQuotaNotFound',
        `Quota for tenant ${projectId} could not be found.`,
      )
  }

  async projects(): Promise<string[]> {
    return this.store.quotas.projects()
  }
}
