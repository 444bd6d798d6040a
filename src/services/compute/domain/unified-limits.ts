/**
 * The unified limits driver (`[quota] driver = nova.quota.UnifiedLimitsDriver`): limits
 * are identity's registered limits and project limits of the `compute` service, under
 * upstream's resource names; usage is counted as the DB driver counts it from
 * placement (always, whatever `count_usage_from_placement` says, as upstream).
 *
 *   unified name                         legacy quota-set name   counted
 *   servers                              instances               instance mappings
 *   class:VCPU, class:MEMORY_MB          cores, ram              placement usages + builds not yet claimed
 *   class:<any other resource class>     (none)                  the same, for what a flavor requests
 *   server_metadata_items                metadata_items          per request
 *   server_injected_files(_content_bytes, _path_bytes)            per request
 *   server_key_pairs                     key_pairs               per user
 *   server_groups                        server_groups           per project
 *   server_group_members                 server_group_members    per group
 *
 * As oslo.limit: a project's limit is its own, else the registered default; a resource
 * with no registered limit has a limit of 0. As upstream, only servers and resource
 * classes read per-project limits; the other resources read the registered default.
 *
 * With identity's `[unified_limit] enforcement_model = strict_two_level` (which
 * oslo.limit never enforced) a server create is checked against the project's tree:
 *
 *   domain D (a domain limit, when set, bounds all of D's projects together)
 *     └─ parent P (P's limit bounds P's own usage plus its children's)
 *          ├─ child A (A's own limit, else the default, bounds A's usage)
 *          └─ child B
 *
 * The create holds one lock for the whole tree (the parent's id, or the domain's when
 * the domain has a limit) while it counts and writes, so children racing for their
 * parent's limit are counted one after another and never exceed it.
 */
import { buildPlacementQuery } from '../../../scheduler/request-spec.js'
import type { IdentityLimitsApi } from '../clients/identity.js'
import type { PlacementApi } from '../clients/placement.js'
import { ServerQuotaExceeded } from '../errors.js'
import type { Limits } from '../storage/quota.repo.js'
import type { ProjectHoldings } from '../storage/server.repo.js'
import type { InstanceFlavor, InstanceImage } from './servers.js'

/** Legacy quota-set names and their unified limit names. */
export const UNIFIED_NAMES: Readonly<Record<string, string>> = {
  instances: 'servers',
  cores: 'class:VCPU',
  ram: 'class:MEMORY_MB',
  metadata_items: 'server_metadata_items',
  injected_files: 'server_injected_files',
  injected_file_content_bytes: 'server_injected_file_content_bytes',
  injected_file_path_bytes: 'server_injected_file_path_bytes',
  key_pairs: 'server_key_pairs',
  server_groups: 'server_groups',
  server_group_members: 'server_group_members',
}

/** Counted from placement, limited per project (the others read the registered default). */
const PER_PROJECT = new Set(['servers', 'class:VCPU', 'class:MEMORY_MB'])

/** Counts projects' servers (and builds not yet claimed) in the create's transaction. */
export type CountServers = (projectIds: readonly string[]) => Promise<Map<string, ProjectHoldings>>

/** One bound: `limits` of `owner` over the summed usage of `members`. */
interface Bound {
  owner: string
  members: readonly string[]
  limits: Readonly<Record<string, number>>
}

/** What a server create checks, decided before its transaction. */
export interface ServerQuotaPlan {
  /** The lock the create holds: the project, the tree's parent, or the domain. */
  lockKey: string
  /** Per server, by unified name (servers: 1, class:VCPU: vcpus, ...). */
  perServer: Readonly<Record<string, number>>
  /** The largest count in min..max that fits every bound, or ServerQuotaExceeded. */
  fit(count: CountServers, min: number, max: number): Promise<number>
}

/** The resource classes one server of this flavor and image asks placement for. */
export function serverResources(flavor: InstanceFlavor, image: InstanceImage): Record<string, number> {
  const q = buildPlacementQuery(
    {
      name: flavor.name,
      vcpus: flavor.vcpus,
      memoryMb: flavor.memory_mb,
      rootGb: flavor.root_gb,
      ephemeralGb: flavor.ephemeral_gb,
      swap: flavor.swap,
      extraSpecs: flavor.extra_specs,
    },
    { properties: image.properties, ...(image.disk_format ? { diskFormat: image.disk_format } : {}) },
  )
  const out: Record<string, number> = {}
  for (const g of q.groups) for (const [rc, n] of Object.entries(g.resources)) out[rc] = (out[rc] ?? 0) + n
  return out
}

export class UnifiedLimits {
  constructor(
    private readonly identity: IdentityLimitsApi,
    private readonly placement: PlacementApi,
  ) {}

  /** The legacy-named defaults: registered limits; 0 unregistered; -1 for what is no limit. */
  async defaults(names: readonly string[]): Promise<Limits> {
    const registered = await this.identity.registered()
    return Object.fromEntries(names.map((n) => [n, legacyValue(n, registered)]))
  }

  /** A project's legacy-named limits: its own for servers, cores and ram, else the defaults. */
  async limits(projectId: string, names: readonly string[]): Promise<Limits> {
    const [registered, own] = await Promise.all([this.identity.registered(), this.identity.own(projectId)])
    return Object.fromEntries(
      names.map((n) => {
        const u = UNIFIED_NAMES[n]
        return [n, u && PER_PROJECT.has(u) && u in own ? own[u]! : legacyValue(n, registered)]
      }),
    )
  }

  /** Placement's usage of instances (mappings), cores and ram, legacy-named. */
  async placementUsage(projectId: string, servers: number, unclaimedCores: number, unclaimedRam: number) {
    const u = await this.placement.usages(projectId)
    return {
      instances: servers,
      cores: (u.VCPU ?? 0) + unclaimedCores,
      ram: (u.MEMORY_MB ?? 0) + unclaimedRam,
    }
  }

  /** Plans a create of servers of this flavor and image in `projectId`. */
  async serverPlan(
    projectId: string,
    flavor: InstanceFlavor,
    image: InstanceImage,
  ): Promise<ServerQuotaPlan> {
    const perServer: Record<string, number> = { servers: 1 }
    for (const [rc, n] of Object.entries(serverResources(flavor, image)))
      if (n > 0) perServer[`class:${rc}`] = n
    const names = Object.keys(perServer)
    const registered = await this.identity.registered()
    const limitsOf = async (id: string) => {
      const own = await this.identity.own(id)
      return Object.fromEntries(names.map((n) => [n, own[n] ?? registered[n] ?? 0]))
    }
    const bounds: Bound[] = []
    let lockKey = projectId
    const project =
      (await this.identity.model()) === 'strict_two_level'
        ? await this.identity.project(projectId)
        : undefined
    if (!project) {
      bounds.push({ owner: projectId, members: [projectId], limits: await limitsOf(projectId) })
    } else {
      const parent = project.parent_id ? await this.identity.project(project.parent_id) : undefined
      const root = parent && !parent.is_domain ? parent.id : projectId
      if (root !== projectId)
        bounds.push({ owner: projectId, members: [projectId], limits: await limitsOf(projectId) })
      bounds.push({
        owner: root,
        members: [root, ...(await this.identity.children(root))],
        limits: await limitsOf(root),
      })
      lockKey = root
      const domain = project.domain_id
      if (domain) {
        const own = await this.identity.own(domain, 'domain')
        const limits = Object.fromEntries(names.filter((n) => n in own).map((n) => [n, own[n]!]))
        if (Object.keys(limits).length > 0) {
          bounds.push({ owner: domain, members: await this.identity.inDomain(domain), limits })
          lockKey = domain
        }
      }
    }
    return {
      lockKey,
      perServer,
      fit: (count, min, max) => this.fit(bounds, perServer, count, min, max),
    }
  }

  private async fit(
    bounds: readonly Bound[],
    per: Readonly<Record<string, number>>,
    count: CountServers,
    min: number,
    max: number,
  ): Promise<number> {
    const members = [...new Set(bounds.flatMap((b) => b.members))]
    const held = await count(members)
    // NOTE: placement is read after the instances (in the lock): a build claimed in
    // between is counted twice, never missed.
    const usage = new Map<string, Record<string, number>>()
    await Promise.all(
      members.map(async (id) => {
        const h = held.get(id) ?? { servers: 0, unclaimed: [] }
        const p = await this.placement.usages(id)
        const u: Record<string, number> = { servers: h.servers }
        for (const [rc, n] of Object.entries(p)) u[`class:${rc}`] = n
        for (const b of h.unclaimed)
          for (const [rc, n] of Object.entries(
            serverResources(JSON.parse(b.flavor) as InstanceFlavor, JSON.parse(b.image) as InstanceImage),
          ))
            u[`class:${rc}`] = (u[`class:${rc}`] ?? 0) + n
        usage.set(id, u)
      }),
    )
    let allowed = max
    let first:
      | { owner: string; overs: string[]; usage: Record<string, number>; limits: Record<string, number> }
      | undefined
    for (const b of bounds) {
      const used: Record<string, number> = {}
      for (const m of b.members)
        for (const [k, v] of Object.entries(usage.get(m) ?? {})) used[k] = (used[k] ?? 0) + v
      const overs: string[] = []
      for (const [name, limit] of Object.entries(b.limits)) {
        const n = per[name] ?? 0
        if (limit < 0 || n === 0) continue
        const room = Math.floor((limit - (used[name] ?? 0)) / n)
        if (room < min) overs.push(name)
        allowed = Math.min(allowed, room)
      }
      if (overs.length && !first) first = { owner: b.owner, overs, usage: used, limits: { ...b.limits } }
    }
    if (first) {
      const infos = first.overs
        .sort()
        .map(
          (r) =>
            `Resource ${r} is over limit of ${first.limits[r]} due to current usage ${first.usage[r] ?? 0} and delta ${(per[r] ?? 0) * min}`,
        )
      throw new ServerQuotaExceeded(`Project ${first.owner} is over a limit for [${infos.join(', ')}]`)
    }
    return Math.max(min, allowed)
  }
}

/** A legacy name's value from the registered limits: 0 when unregistered, -1 when no unified name. */
function legacyValue(name: string, registered: Readonly<Record<string, number>>): number {
  const u = UNIFIED_NAMES[name]
  if (!u) return -1
  return registered[u] ?? 0
}
