/**
 * What compute asks placement, typed: allocation candidates for the scheduler, claims
 * and releases of a server's allocations (PUT/DELETE /allocations/{consumer}), usages
 * for quota counting, and the providers, inventories and usages the hypervisor views
 * show. Everything goes through the kernel's ServiceClient, so placement may run in
 * this process or another.
 */
import type { ServiceClient } from '../../../kernel/host/index.js'
import type { AllocationRequest } from '../../../scheduler/framework.js'

export const PLACEMENT_VERSION = '1.39'

export interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>
  traits?: string[]
  parent_provider_uuid?: string | null
  root_provider_uuid?: string
}

export interface CandidatesReply {
  allocation_requests: (AllocationRequest & { mappings?: Record<string, string[]> })[]
  provider_summaries: Record<string, ProviderSummary>
}

export interface ProviderRow {
  uuid: string
  name: string
  generation: number
  parent_provider_uuid: string | null
  root_provider_uuid: string
}

export interface InventoryRow {
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
}

export class PlacementApi {
  private readonly client: ServiceClient

  constructor(client: ServiceClient) {
    this.client = client.version === PLACEMENT_VERSION ? client : client.at(PLACEMENT_VERSION)
  }

  async candidates(query: readonly [string, string][], requestId?: string): Promise<CandidatesReply> {
    const qs = new URLSearchParams(query as [string, string][]).toString()
    return this.client.get<CandidatesReply>(`/allocation_candidates?${qs}`, opts(requestId))
  }

  /**
   * Claims a consumer's allocations as a new consumer. False when placement refused
   * (409: capacity taken by another claim, or the consumer exists already).
   */
  async claim(
    consumer: string,
    alloc: AllocationRequest,
    owner: { projectId: string; userId: string },
    requestId?: string,
  ): Promise<boolean> {
    const res = await this.client.request(
      {
        method: 'PUT',
        path: `/allocations/${consumer}`,
        body: {
          allocations: alloc.allocations,
          ...(alloc.mappings ? { mappings: alloc.mappings } : {}),
          project_id: owner.projectId,
          user_id: owner.userId,
          consumer_generation: null,
          consumer_type: 'INSTANCE',
        },
      },
      { accept: [409], ...opts(requestId) },
    )
    return res.status === 204
  }

  /** Drops a consumer's allocations; nothing to drop is fine. */
  async release(consumer: string, requestId?: string): Promise<void> {
    await this.client.request(
      { method: 'DELETE', path: `/allocations/${consumer}` },
      { accept: [404], ...opts(requestId) },
    )
  }

  /** A consumer's allocations with its generation (null: no such consumer). */
  async consumer(consumer: string): Promise<ConsumerAllocations> {
    const body = await this.client.get<{
      allocations: Allocations
      consumer_generation?: number | null
      project_id?: string
      user_id?: string
    }>(`/allocations/${consumer}`)
    return {
      allocations: body.allocations,
      generation: body.consumer_generation ?? null,
      ...(body.project_id ? { projectId: body.project_id, userId: body.user_id! } : {}),
    }
  }

  /**
   * Moves every allocation of `from` to `to` in one request (POST /allocations), as a
   * migration hands the source host's resources to its own consumer and back. Both
   * consumers' generations are checked: false when either changed since it was read
   * (another operation on the same server), and nothing moved.
   */
  async move(
    from: string,
    to: string,
    owner: { projectId: string; userId: string },
    types: { from: ConsumerType; to: ConsumerType },
    /** `to` keeps only what it receives (a rollback drops the destination's claim too). */
    replace = false,
    /**
     * `to` is a consumer placement has never seen (a new migration's): not read, and
     * claimed with generation null, which placement refuses (409) if it exists after all.
     */
    toIsNew = false,
  ): Promise<boolean> {
    const source = await this.consumer(from)
    const target: ConsumerAllocations = toIsNew
      ? { allocations: {}, generation: null }
      : await this.consumer(to)
    if (Object.keys(source.allocations).length === 0 && !replace) return true
    const res = await this.client.request(
      {
        method: 'POST',
        path: '/allocations',
        body: {
          [to]: {
            allocations: replace
              ? source.allocations
              : mergeAllocations(target.allocations, source.allocations),
            consumer_generation: target.generation,
            project_id: owner.projectId,
            user_id: owner.userId,
            consumer_type: types.to,
          },
          [from]: {
            allocations: {},
            consumer_generation: source.generation,
            project_id: owner.projectId,
            user_id: owner.userId,
            consumer_type: types.from,
          },
        },
      },
      { accept: [409] },
    )
    return res.status === 204
  }

  /** Claims `resources` on one provider for a new consumer (a forced destination). */
  async claimOn(
    consumer: string,
    providerUuid: string,
    resources: Record<string, number>,
    owner: { projectId: string; userId: string },
  ): Promise<boolean> {
    return this.claim(
      consumer,
      { allocations: { [providerUuid]: { resources } } } as AllocationRequest,
      owner,
    )
  }

  async allocations(consumer: string): Promise<Record<string, { resources: Record<string, number> }>> {
    const body = await this.client.get<{
      allocations: Record<string, { resources: Record<string, number> }>
    }>(`/allocations/${consumer}`)
    return body.allocations
  }

  /** A project's (or user's) usage across every provider, by resource class. */
  async usages(projectId: string, userId?: string): Promise<Record<string, number>> {
    const q = new URLSearchParams({ project_id: projectId, ...(userId ? { user_id: userId } : {}) })
    const body = await this.client.get<{ usages: Record<string, number> }>(`/usages?${q.toString()}`)
    return body.usages
  }

  async providers(name?: string): Promise<ProviderRow[]> {
    const q = name === undefined ? '' : `?name=${encodeURIComponent(name)}`
    return (await this.client.get<{ resource_providers: ProviderRow[] }>(`/resource_providers${q}`))
      .resource_providers
  }

  async inventories(uuid: string): Promise<Record<string, InventoryRow>> {
    return (
      await this.client.get<{ inventories: Record<string, InventoryRow> }>(
        `/resource_providers/${uuid}/inventories`,
      )
    ).inventories
  }

  /**
   * Adds (or removes) a placement aggregate on the root provider named `host`, as a
   * compute aggregate's host list changes; compare-and-swap on the provider's generation,
   * tried again when another writer got there first. False when no such provider exists.
   */
  async setProviderAggregate(host: string, aggregate: string, member: boolean): Promise<boolean> {
    const [rp] = (await this.providers(host)).filter((p) => p.uuid === p.root_provider_uuid)
    if (!rp) return false
    for (let attempt = 1; ; attempt++) {
      const cur = await this.client.get<{ aggregates: string[]; resource_provider_generation: number }>(
        `/resource_providers/${rp.uuid}/aggregates`,
      )
      const has = cur.aggregates.includes(aggregate)
      if (has === member) return true
      const aggregates = member
        ? [...cur.aggregates, aggregate]
        : cur.aggregates.filter((a) => a !== aggregate)
      const res = await this.client.request(
        {
          method: 'PUT',
          path: `/resource_providers/${rp.uuid}/aggregates`,
          body: { aggregates, resource_provider_generation: cur.resource_provider_generation },
        },
        { accept: [409] },
      )
      if (res.status !== 409) return true
      if (attempt >= 5) throw new Error(`provider ${host} kept changing while its aggregates were set`)
    }
  }

  async providerUsages(uuid: string): Promise<Record<string, number>> {
    return (await this.client.get<{ usages: Record<string, number> }>(`/resource_providers/${uuid}/usages`))
      .usages
  }
}

export type Allocations = Record<string, { resources: Record<string, number> }>
export type ConsumerType = 'INSTANCE' | 'MIGRATION'

export interface ConsumerAllocations {
  allocations: Allocations
  generation: number | null
  projectId?: string
  userId?: string
}

function mergeAllocations(a: Allocations, b: Allocations): Allocations {
  const out: Allocations = {}
  for (const src of [a, b])
    for (const [rp, { resources }] of Object.entries(src)) {
      const entry = out[rp] ?? { resources: {} }
      out[rp] = entry
      const r = entry.resources
      for (const [rc, n] of Object.entries(resources)) r[rc] = (r[rc] ?? 0) + n
    }
  return out
}

const opts = (requestId?: string) => (requestId ? { requestId } : {})
