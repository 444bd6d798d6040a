/**
 * OS-ENDPOINT-POLICY: which policy blob an endpoint uses. A policy is associated with an
 * endpoint, with a service, or with a service in a region; an endpoint's policy is its
 * own association, else the one of its service in its region or the nearest parent
 * region, else its service's. One policy per target: associating another replaces it.
 * Deleting a policy, endpoint, service or region deletes its associations (extras.ts,
 * catalog.ts).
 */
import { NoEndpointPolicy, PolicyAssociationNotFound } from '../errors.js'
import type { Catalog, Endpoint } from './catalog.js'
import { newId, type ResourceDeps } from './common.js'
import type { Extras } from './extras.js'

export interface AssociationTarget {
  endpointId?: string
  serviceId?: string
  regionId?: string
}

const keyOf = (t: AssociationTarget) => `${t.endpointId ?? ''}|${t.serviceId ?? ''}|${t.regionId ?? ''}`

export class EndpointPolicies {
  constructor(
    private readonly deps: ResourceDeps,
    private readonly catalog: Catalog,
    private readonly extras: Extras,
  ) {}

  private get repos() {
    return this.deps.repos
  }

  /** 404 for a missing policy, endpoint, service or region (in that order, as upstream). */
  private async checkParts(policyId: string, t: AssociationTarget) {
    await this.extras.getPolicy(policyId)
    if (t.endpointId) await this.catalog.getEndpoint(t.endpointId)
    if (t.serviceId) await this.catalog.getService(t.serviceId)
    if (t.regionId) await this.catalog.getRegion(t.regionId)
  }

  async associate(policyId: string, t: AssociationTarget): Promise<void> {
    await this.checkParts(policyId, t)
    const target_key = keyOf(t)
    const n = await this.repos.identity_policy_association.update({ target_key }, { policy_id: policyId })
    if (n === 0)
      await this.repos.identity_policy_association.insert({
        id: newId(),
        policy_id: policyId,
        endpoint_id: t.endpointId ?? null,
        service_id: t.serviceId ?? null,
        region_id: t.regionId ?? null,
        target_key,
      })
  }

  async check(policyId: string, t: AssociationTarget): Promise<void> {
    await this.checkParts(policyId, t)
    const row = await this.repos.identity_policy_association.get({
      target_key: keyOf(t),
      policy_id: policyId,
    })
    if (!row) throw new PolicyAssociationNotFound()
  }

  /** Deleting an association that does not exist is not an error (as upstream). */
  async dissociate(policyId: string, t: AssociationTarget): Promise<void> {
    await this.checkParts(policyId, t)
    await this.repos.identity_policy_association.delete({ target_key: keyOf(t), policy_id: policyId })
  }

  /** Every endpoint the policy applies to, through any of its associations. */
  async endpointsFor(policyId: string): Promise<Endpoint[]> {
    await this.extras.getPolicy(policyId)
    const out = new Map<string, Endpoint>()
    const all = await this.catalog.listEndpoints({})
    const regions = await this.catalog.listRegions({})
    const under = (root: string) => {
      const ids = new Set([root])
      for (let grew = true; grew; ) {
        grew = false
        for (const r of regions)
          if (r.parent_region_id && ids.has(r.parent_region_id) && !ids.has(r.id)) {
            ids.add(r.id)
            grew = true
          }
      }
      return ids
    }
    for (const a of await this.repos.identity_policy_association.list({ policy_id: policyId })) {
      if (a.endpoint_id) {
        const e = all.find((x) => x.id === a.endpoint_id)
        if (e) out.set(e.id, e)
      } else if (a.service_id && a.region_id) {
        const ids = under(a.region_id)
        for (const e of all)
          if (e.service_id === a.service_id && e.region_id && ids.has(e.region_id)) out.set(e.id, e)
      } else if (a.service_id) {
        for (const e of all) if (e.service_id === a.service_id) out.set(e.id, e)
      }
    }
    return [...out.values()]
  }

  /** The policy an endpoint uses; 404 when none applies. */
  async policyFor(endpointId: string) {
    const e = await this.catalog.getEndpoint(endpointId)
    const find = (t: AssociationTarget) =>
      this.repos.identity_policy_association.get({ target_key: keyOf(t) })
    let hit = await find({ endpointId })
    for (let region = e.region_id; !hit && region; ) {
      hit = await find({ serviceId: e.service_id, regionId: region })
      region = (await this.repos.identity_region.get({ id: region }))?.parent_region_id ?? null
    }
    hit ??= await find({ serviceId: e.service_id })
    if (!hit) throw new NoEndpointPolicy(endpointId)
    return this.extras.getPolicy(hit.policy_id)
  }
}
