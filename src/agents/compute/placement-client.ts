/**
 * The few placement calls a compute agent makes, typed: find and create the providers of
 * its tree, replace their inventories and traits (compare-and-swap on the provider
 * generation), make sure custom traits and resource classes exist, and drop a deleted
 * guest's allocations. Everything goes through the kernel's ServiceClient
 * (`ctx.client('placement', '1.39')`), so it works in one process or across many.
 *
 * A 409 whose code is `placement.concurrent_update` becomes GenerationConflict, which the
 * agent answers by reading the provider again and retrying; every other refusal is the
 * ServiceCallFailed the client raises.
 */
import { DomainError } from '../../kernel/errors/index.js'
import { ServiceCallFailed, type ServiceClient } from '../../kernel/host/index.js'

/** The microversion the agent speaks (1.39: everything the agent needs and more). */
export const PLACEMENT_VERSION = '1.39'

export interface ResourceProvider {
  uuid: string
  name: string
  generation: number
  parent_provider_uuid: string | null
  root_provider_uuid: string
}

export interface Inventory {
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
}

export type Inventories = Record<string, Inventory>

/** Someone else changed the provider since its generation was read. */
export class GenerationConflict extends DomainError {
  constructor(readonly provider: string) {
    super(
      'conflict',
      'compute.provider.generation_conflict',
      `Resource provider ${provider} changed concurrently.`,
    )
  }
}

const CONCURRENT_UPDATE = 'placement.concurrent_update'

function errorCodes(body: unknown): string[] {
  const errors = (body as { errors?: { code?: string }[] } | undefined)?.errors
  return Array.isArray(errors) ? errors.map((e) => e.code ?? '') : []
}

export class PlacementClient {
  private readonly client: ServiceClient

  constructor(client: ServiceClient) {
    this.client = client.version === PLACEMENT_VERSION ? client : client.at(PLACEMENT_VERSION)
  }

  async providerByName(name: string): Promise<ResourceProvider | undefined> {
    const body = await this.client.get<{ resource_providers: ResourceProvider[] }>(
      `/resource_providers?name=${encodeURIComponent(name)}`,
    )
    return body.resource_providers[0]
  }

  async provider(uuid: string): Promise<ResourceProvider | undefined> {
    const res = await this.client.request(
      { method: 'GET', path: `/resource_providers/${uuid}` },
      { accept: [404] },
    )
    return res.status === 404 ? undefined : (res.body as ResourceProvider)
  }

  /** Every provider of the tree rooted at `root` (the root included). */
  async tree(root: string): Promise<ResourceProvider[]> {
    const body = await this.client.get<{ resource_providers: ResourceProvider[] }>(
      `/resource_providers?in_tree=${root}`,
    )
    return body.resource_providers
  }

  /**
   * Creates a provider; undefined when one of that name or uuid exists already (another
   * agent of the same host won a race, or it was left from an earlier run).
   */
  async createProvider(input: {
    uuid: string
    name: string
    parentProviderUuid?: string
  }): Promise<ResourceProvider | undefined> {
    const res = await this.client.request(
      {
        method: 'POST',
        path: '/resource_providers',
        body: {
          uuid: input.uuid,
          name: input.name,
          ...(input.parentProviderUuid ? { parent_provider_uuid: input.parentProviderUuid } : {}),
        },
      },
      { accept: [409] },
    )
    return res.status === 409 ? undefined : (res.body as ResourceProvider)
  }

  /** Deletes a provider; false when it had allocations or children (409) or was gone. */
  async deleteProvider(uuid: string): Promise<boolean> {
    const res = await this.client.request(
      { method: 'DELETE', path: `/resource_providers/${uuid}` },
      { accept: [404, 409] },
    )
    return res.status === 204
  }

  async inventories(uuid: string): Promise<{ generation: number; inventories: Inventories }> {
    const body = await this.client.get<{ resource_provider_generation: number; inventories: Inventories }>(
      `/resource_providers/${uuid}/inventories`,
    )
    return { generation: body.resource_provider_generation, inventories: body.inventories }
  }

  /** Replaces the provider's inventories; resolves to its new generation. */
  async putInventories(uuid: string, generation: number, inventories: Inventories): Promise<number> {
    const res = await this.client.request(
      {
        method: 'PUT',
        path: `/resource_providers/${uuid}/inventories`,
        body: { resource_provider_generation: generation, inventories },
      },
      { accept: [409] },
    )
    return this.generationOf(uuid, res)
  }

  async traits(uuid: string): Promise<{ generation: number; traits: string[] }> {
    const body = await this.client.get<{ resource_provider_generation: number; traits: string[] }>(
      `/resource_providers/${uuid}/traits`,
    )
    return { generation: body.resource_provider_generation, traits: body.traits }
  }

  /** Replaces the provider's traits; resolves to its new generation. */
  async putTraits(uuid: string, generation: number, traits: readonly string[]): Promise<number> {
    const res = await this.client.request(
      {
        method: 'PUT',
        path: `/resource_providers/${uuid}/traits`,
        body: { resource_provider_generation: generation, traits: [...traits].sort() },
      },
      { accept: [409] },
    )
    return this.generationOf(uuid, res)
  }

  /** Creates a CUSTOM_* trait if it does not exist. */
  async ensureTrait(name: string): Promise<void> {
    await this.client.request({ method: 'PUT', path: `/traits/${name}` })
  }

  /** Creates a CUSTOM_* resource class if it does not exist. */
  async ensureResourceClass(name: string): Promise<void> {
    await this.client.request({ method: 'PUT', path: `/resource_classes/${name}` })
  }

  /** Drops every allocation of a consumer (a deleted guest); a consumer with none is fine. */
  async deleteAllocations(consumer: string): Promise<void> {
    await this.client.request({ method: 'DELETE', path: `/allocations/${consumer}` }, { accept: [404] })
  }

  private generationOf(uuid: string, res: { status: number; body: unknown }): number {
    if (res.status === 409) {
      if (errorCodes(res.body).includes(CONCURRENT_UPDATE)) throw new GenerationConflict(uuid)
      throw new ServiceCallFailed(
        'placement',
        { method: 'PUT', path: `/resource_providers/${uuid}` },
        409,
        res.body,
      )
    }
    return (res.body as { resource_provider_generation: number }).resource_provider_generation
  }
}
