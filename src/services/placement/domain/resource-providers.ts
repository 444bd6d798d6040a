/**
 * Resource providers: listing them with GET /resource_providers' filters (already
 * parsed) over the in-memory state, and creating, updating and deleting them. No HTTP
 * and no SQL here.
 */
import { randomUUID } from 'node:crypto'
import {
  PlacementBadRequest,
  PlacementConflict,
  PlacementNotFound,
  ResourceProviderNotFound,
} from '../errors.js'
import { fits, PlacementState, type Provider } from './model.js'
import type { PlacementStore } from './placement.js'
import { type AggregateFilter, normalizeUuid, type TraitFilter, traitsMatch } from './query.js'

export interface ProviderFilter {
  name?: string
  uuid?: string
  /** Only providers of the tree this provider belongs to (none if it does not exist). */
  inTree?: string
  memberOf?: AggregateFilter
  required?: TraitFilter
  /** Providers with room for all of these amounts. */
  resources?: Map<string, number>
}

export function filterProviders(s: PlacementState, f: ProviderFilter): Provider[] {
  let list = [...s.providers.values()]
  if (f.name !== undefined) list = list.filter((p) => p.name === f.name)
  if (f.uuid !== undefined) {
    const uuid = normalizeUuid(f.uuid)
    list = list.filter((p) => p.uuid === uuid)
  }
  if (f.inTree !== undefined) {
    const t = s.byUuid.get(normalizeUuid(f.inTree))
    list = t ? list.filter((p) => p.root === t.root) : []
  }
  const memberOf = f.memberOf
  if (memberOf) list = list.filter((p) => inAggregates(p, memberOf))
  const required = f.required
  if (required) list = list.filter((p) => traitsMatch(p.traits, required))
  const resources = f.resources
  if (resources) list = list.filter((p) => [...resources].every(([rc, n]) => fits(p, rc, n)))
  return list
}

function inAggregates(p: Provider, f: AggregateFilter): boolean {
  for (const any of f.memberOf) if (!any.some((a) => p.aggregates.has(a))) return false
  for (const a of f.forbidden) if (p.aggregates.has(a)) return false
  return true
}

/** Creating, renaming, re-parenting and deleting providers. */
export class ResourceProviders {
  constructor(private readonly store: PlacementStore) {}

  async create(input: { name: string; uuid?: string; parentUuid?: string | null }): Promise<Provider> {
    const s = await this.store.state(true)
    const uuid = input.uuid ?? randomUUID()
    let parent: Provider | undefined
    if (input.parentUuid) {
      if (input.parentUuid === uuid) {
        throw new PlacementBadRequest(
          `Unable to create resource provider "${input.name}", ${uuid}: parent provider UUID cannot be same as UUID. Please choose a different parent provider UUID.`,
        )
      }
      parent = s.byUuid.get(input.parentUuid)
      if (!parent) {
        throw new PlacementBadRequest(
          `Unable to create resource provider "${input.name}", ${uuid}: The resource provider's parent provider UUID does not exist: parent provider UUID does not exist.`,
        )
      }
    }
    if (s.byUuid.has(uuid))
      throw new PlacementConflict(
        `Conflicting resource provider uuid: ${uuid} already exists.`,
        'placement.duplicate_uuid',
      )
    if (s.byName.has(input.name)) {
      throw new PlacementConflict(
        `Conflicting resource provider name: ${input.name} already exists.`,
        'placement.duplicate_name',
      )
    }
    await this.store.repo.createProvider({
      uuid,
      name: input.name,
      parentId: parent?.id ?? null,
      rootId: parent?.root.id ?? null,
    })
    return this.store.provider(uuid)
  }

  async update(
    uuid: string,
    input: { name: string; parentUuid?: string | null; hasParent: boolean },
    allowReparent: boolean,
  ): Promise<Provider> {
    const s = await this.store.state(true)
    const p = s.byUuid.get(uuid)
    if (!p) throw new ResourceProviderNotFound(uuid)
    let parent = p.parent
    if (input.hasParent) {
      const want = input.parentUuid ?? undefined
      if (want === undefined) {
        if (p.parent && !allowReparent)
          throw new PlacementBadRequest('un-parenting a provider is not currently allowed.')
        parent = undefined
      } else if (want !== p.parent?.uuid) {
        const np = s.byUuid.get(want)
        if (!np) throw new PlacementBadRequest('parent provider UUID does not exist.')
        if (p.parent && !allowReparent)
          throw new PlacementBadRequest('re-parenting a provider is not currently allowed.')
        if (PlacementState.isWithin(np, p))
          throw new PlacementBadRequest('creating loop in the provider tree is not allowed.')
        parent = np
      }
    }
    if (input.name !== p.name && s.byName.has(input.name)) {
      throw new PlacementConflict(
        `Conflicting resource provider name: ${input.name} already exists.`,
        'placement.duplicate_name',
      )
    }
    const newRoot = parent ? parent.root : p
    const subtree = newRoot === p.root ? [] : PlacementState.treeOf(p).map((q) => q.id)
    await this.store.repo.updateProvider(
      p.id,
      p.generation,
      { name: input.name, uuid, parentId: parent?.id ?? null, rootId: newRoot.id },
      subtree,
    )
    return this.store.provider(uuid)
  }

  async delete(uuid: string): Promise<void> {
    const p = (await this.store.state(true)).byUuid.get(uuid)
    if (!p) throw new PlacementNotFound(`No resource provider with uuid ${uuid} found for delete`)
    await this.store.repo.deleteProvider(p.id, p.generation, uuid)
  }
}
