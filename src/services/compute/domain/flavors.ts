/**
 * Flavors: the catalogue of server sizes. Who sees what (public flavors, private ones a
 * project was given, everything for admins), list sorting and paging, creation with a
 * generated id, tenant access, extra specs (validated from 2.86 on).
 */
import { randomUUID } from 'node:crypto'
import {
  FlavorAccessExists,
  FlavorAccessListOfPublicFlavor,
  FlavorAccessNotFound,
  FlavorAccessOnPublicFlavor,
  FlavorExtraSpecInvalid,
  FlavorExtraSpecNotFound,
  FlavorIdExists,
  FlavorNameExists,
  FlavorNotFound,
} from '../errors.js'
import type { FlavorRepo, FlavorRow } from '../storage/flavor.repo.js'
import type { Caller } from './caller.js'
import { nowIso } from './caller.js'
import { validateExtraSpec } from './extra-specs.js'
import { type Page, type PageRequest, page } from './paging.js'

export type Flavor = FlavorRow & { extra_specs?: Record<string, string> }

export const FLAVOR_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
] as const
export type FlavorSortKey = (typeof FLAVOR_SORT_KEYS)[number]

export interface FlavorListQuery extends PageRequest {
  /** Admins only: true, false, or null for both (`is_public=none`). */
  isPublic: boolean | null
  minMemoryMb?: number
  minRootGb?: number
  sortKey: FlavorSortKey
  sortDir: 'asc' | 'desc'
}

export interface NewFlavor {
  name: string
  flavorid?: string
  memory_mb: number
  vcpus: number
  root_gb: number
  ephemeral_gb: number
  swap: number
  rxtx_factor: number
  is_public: boolean
  description: string | null
}

export class Flavors {
  constructor(
    private readonly repo: FlavorRepo,
    private readonly maxLimit: number,
  ) {}

  async list(caller: Caller, q: FlavorListQuery): Promise<Page<FlavorRow>> {
    // NOTE: non-admins see enabled flavors that are public or shared with their project,
    // whatever is_public they ask for; admins see the same by default and every flavor
    // with is_public=none, as upstream.
    const rows = await this.repo.list(
      caller.isAdmin
        ? {
            isPublic: q.isPublic,
            projectId: caller.projectId,
            minMemoryMb: q.minMemoryMb,
            minRootGb: q.minRootGb,
          }
        : {
            isPublic: true,
            projectId: caller.projectId,
            enabledOnly: true,
            minMemoryMb: q.minMemoryMb,
            minRootGb: q.minRootGb,
          },
    )
    const sign = q.sortDir === 'desc' ? -1 : 1
    const sorted = [...rows].sort((a, b) => sign * (compare(a[q.sortKey], b[q.sortKey]) || a.id - b.id))
    return page(
      sorted,
      q,
      this.maxLimit,
      (f) => f.flavorid,
      (m) => `marker [${m}] not found`,
    )
  }

  /** A flavor the caller may see, or FlavorNotFound. */
  async get(caller: Caller, flavorid: string): Promise<FlavorRow> {
    const row = await this.repo.byFlavorId(flavorid, caller.isAdmin ? undefined : caller.projectId)
    if (!row) throw new FlavorNotFound(flavorid)
    return row
  }

  async extraSpecs(flavor: FlavorRow): Promise<Record<string, string>> {
    return this.repo.extraSpecs(flavor.id)
  }

  async extraSpecsOf(flavors: readonly FlavorRow[]): Promise<Map<number, Record<string, string>>> {
    return this.repo.extraSpecsOf(flavors.map((f) => f.id))
  }

  async create(input: NewFlavor): Promise<FlavorRow> {
    const flavorid = input.flavorid ?? randomUUID()
    const created = await this.repo.create(
      {
        flavorid,
        name: input.name,
        memory_mb: input.memory_mb,
        vcpus: input.vcpus,
        root_gb: input.root_gb,
        ephemeral_gb: input.ephemeral_gb,
        swap: input.swap,
        rxtx_factor: input.rxtx_factor,
        vcpu_weight: null,
        disabled: 0,
        is_public: input.is_public ? 1 : 0,
        description: input.description,
      },
      nowIso(),
    )
    if (created === 'flavorid') throw new FlavorIdExists(flavorid)
    if (created === 'name') throw new FlavorNameExists(input.name)
    return created
  }

  async updateDescription(caller: Caller, flavorid: string, description: string | null): Promise<FlavorRow> {
    const flavor = await this.get(caller, flavorid)
    await this.repo.updateDescription(flavor.id, description, nowIso())
    return { ...flavor, description }
  }

  async delete(caller: Caller, flavorid: string): Promise<void> {
    const flavor = await this.get(caller, flavorid)
    if (!(await this.repo.delete(flavor.id))) throw new FlavorNotFound(flavorid)
  }

  // --- tenant access

  async accessList(caller: Caller, flavorid: string): Promise<string[]> {
    const flavor = await this.get(caller, flavorid)
    if (flavor.is_public) throw new FlavorAccessListOfPublicFlavor()
    return this.repo.projects(flavor.id)
  }

  /** `checkPublic`: refuse a public flavor (2.7 and later). */
  async addAccess(
    caller: Caller,
    flavorid: string,
    projectId: string,
    checkPublic: boolean,
  ): Promise<string[]> {
    const flavor = await this.get(caller, flavorid)
    if (checkPublic && flavor.is_public) throw new FlavorAccessOnPublicFlavor()
    if (!(await this.repo.addProject(flavor.id, projectId))) throw new FlavorAccessExists(flavorid, projectId)
    return this.repo.projects(flavor.id)
  }

  async removeAccess(caller: Caller, flavorid: string, projectId: string): Promise<string[]> {
    const flavor = await this.get(caller, flavorid)
    if (!(await this.repo.removeProject(flavor.id, projectId)))
      throw new FlavorAccessNotFound(flavorid, projectId)
    return this.repo.projects(flavor.id)
  }

  // --- extra specs

  async extraSpec(caller: Caller, flavorid: string, key: string): Promise<string> {
    const specs = await this.repo.extraSpecs((await this.get(caller, flavorid)).id)
    const value = specs[key]
    if (value === undefined) throw new FlavorExtraSpecNotFound(flavorid, key)
    return value
  }

  /**
   * Adds or replaces extra specs. Numbers become strings (at most 255 characters);
   * `validate` checks every key and value against the known specs (2.86 and later).
   */
  async setExtraSpecs(
    caller: Caller,
    flavorid: string,
    specs: Readonly<Record<string, string | number>>,
    validate: boolean,
  ): Promise<Record<string, string>> {
    const values = normaliseSpecs(specs, validate)
    const flavor = await this.get(caller, flavorid)
    await this.repo.setExtraSpecs(flavor.id, values)
    return values
  }

  async deleteExtraSpec(caller: Caller, flavorid: string, key: string): Promise<void> {
    const flavor = await this.get(caller, flavorid)
    if (!(await this.repo.deleteExtraSpec(flavor.id, key))) throw new FlavorExtraSpecNotFound(flavorid, key)
  }
}

/** Checks extra specs before anything is looked up or written. */
export function normaliseSpecs(
  specs: Readonly<Record<string, string | number>>,
  validate: boolean,
): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [key, raw] of Object.entries(specs)) {
    const value = typeof raw === 'number' ? pythonNumber(raw) : raw
    if (typeof raw === 'number' && value.length > 255)
      throw new FlavorExtraSpecInvalid(
        `Invalid input received: extra_specs value has a maximum length of 255 characters.`,
      )
    if (validate) validateExtraSpec(key, value)
    values[key] = value
  }
  return values
}

/** str() of a JSON number as Python prints it (1.0 stays "1.0" only when it was a float). */
function pythonNumber(n: number): string {
  return String(n)
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return -1
  if (b === null || b === undefined) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : 1
}
