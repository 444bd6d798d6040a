/**
 * What a request asks for: the `RequestSpec` (flavor with extra specs, image properties,
 * hints, project, server group, number of servers, requested destination) and the
 * placement query built from it (`buildPlacementQuery`), which the PreFilters then
 * narrow. `allocationCandidatesQuery` renders that query as GET /allocation_candidates
 * parameters for the caller.
 */

export interface Flavor {
  readonly name: string
  readonly vcpus: number
  readonly memoryMb: number
  readonly rootGb: number
  readonly ephemeralGb: number
  /** Swap in MiB, as flavors carry it. */
  readonly swap: number
  readonly extraSpecs: Readonly<Record<string, string>>
}

export interface ImageMeta {
  readonly id?: string
  readonly diskFormat?: string
  readonly properties: Readonly<Record<string, string>>
}

export type GroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity'

/** The server group a request belongs to, with where its members already run. */
export interface ServerGroup {
  readonly uuid: string
  readonly policy: GroupPolicy
  readonly rules: { readonly maxServerPerHost?: number }
  /** Uuids of the group's servers, including the ones being scheduled. */
  readonly members: readonly string[]
  /** Hosts that run a member. */
  readonly hosts: readonly string[]
}

/** Where an admin (or a move operation) asked the server to go. */
export interface Destination {
  readonly host?: string
  readonly node?: string
  readonly cell?: string
}

/** One request group of the placement query (unsuffixed: `suffix` is ''). */
export interface RequestGroup {
  readonly suffix: string
  readonly resources: Readonly<Record<string, number>>
  readonly required: readonly string[]
  readonly forbidden: readonly string[]
  /** Each inner list is one `member_of=in:a,b` (any of); the lists are ANDed. */
  readonly memberOf: readonly (readonly string[])[]
  readonly inTree?: string
}

/** What placement is asked for allocation candidates. */
export interface PlacementQuery {
  readonly groups: readonly RequestGroup[]
  readonly groupPolicy?: 'none' | 'isolate'
  readonly rootRequired: readonly string[]
  readonly rootForbidden: readonly string[]
  /** Aggregates no candidate may be in (`member_of=!in:...`). */
  readonly forbiddenAggregates: readonly string[]
  readonly sameSubtree: readonly (readonly string[])[]
  readonly limit?: number
}

export interface RequestSpec {
  /** One uuid per server to place; their number is the request's num_instances. */
  readonly instanceUuids: readonly string[]
  readonly projectId: string
  readonly userId?: string
  readonly flavor: Flavor
  readonly image: ImageMeta
  readonly availabilityZone?: string
  /** Scheduler hints as the API stores them: a string or a list of strings. */
  readonly hints: Readonly<Record<string, string | readonly string[]>>
  readonly group?: ServerGroup
  readonly requestedDestination?: Destination
  /** Hosts already tried for this server (reschedules), never chosen again. */
  readonly ignoreHosts?: readonly string[]
  readonly placement: PlacementQuery
}

/** A hint's values as a list (upstream stores every hint as a list). */
export function hintList(spec: RequestSpec, key: string): string[] {
  const v = spec.hints[key]
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v]
}

/** A hint's single value: the string, or the first of a list. */
export function hint(spec: RequestSpec, key: string): string | undefined {
  return hintList(spec, key)[0]
}

const RESOURCES = /^resources([A-Za-z0-9_-]*):([A-Z0-9_]+)$/
const TRAIT = /^trait([A-Za-z0-9_-]*):([A-Z0-9_]+)$/

/**
 * The placement query a flavor and image ask for: the flavor's VCPU, MEMORY_MB and
 * DISK_GB (root + ephemeral + swap rounded up to GiB), replaced or zeroed by
 * `resources[N]:<CLASS>` extra specs, with `trait[N]:<TRAIT>=required|forbidden` from the
 * flavor and `trait:<TRAIT>=required` from the image, `group_policy`, and memory
 * encryption (`hw:mem_encryption` / `hw_mem_encryption`) as one MEM_ENCRYPTION_CONTEXT on
 * an SEV host.
 */
export function buildPlacementQuery(flavor: Flavor, image: ImageMeta): PlacementQuery {
  const groups = new Map<
    string,
    { resources: Record<string, number>; required: Set<string>; forbidden: Set<string> }
  >()
  const group = (suffix: string) => {
    let g = groups.get(suffix)
    if (!g) {
      g = { resources: {}, required: new Set(), forbidden: new Set() }
      groups.set(suffix, g)
    }
    return g
  }
  const base = group('')
  base.resources.VCPU = flavor.vcpus
  base.resources.MEMORY_MB = flavor.memoryMb
  base.resources.DISK_GB = flavor.rootGb + flavor.ephemeralGb + Math.ceil(flavor.swap / 1024)
  let groupPolicy: 'none' | 'isolate' | undefined
  for (const [key, value] of Object.entries(flavor.extraSpecs)) {
    const r = RESOURCES.exec(key)
    if (r) {
      const n = Number(value)
      if (Number.isInteger(n) && n >= 0) group(r[1]!).resources[r[2]!] = n
      continue
    }
    const t = TRAIT.exec(key)
    if (t) {
      if (value === 'required') group(t[1]!).required.add(t[2]!)
      else if (value === 'forbidden') group(t[1]!).forbidden.add(t[2]!)
      continue
    }
    if (key === 'group_policy' && (value === 'none' || value === 'isolate')) groupPolicy = value
  }
  for (const [key, value] of Object.entries(image.properties)) {
    const t = TRAIT.exec(key)
    if (t && t[1] === '' && value === 'required') base.required.add(t[2]!)
  }
  const encrypt = flavor.extraSpecs['hw:mem_encryption'] ?? image.properties.hw_mem_encryption
  if (encrypt !== undefined && ['true', 'yes', '1', 'on'].includes(encrypt.toLowerCase())) {
    base.resources.MEM_ENCRYPTION_CONTEXT = 1
    base.required.add('HW_CPU_X86_AMD_SEV')
  }
  const out: RequestGroup[] = []
  for (const [suffix, g] of groups) {
    // NOTE: a zero amount (resources:VCPU=0) means "not this class at all"; placement
    // refuses a zero in a query, so the class is dropped rather than sent.
    const resources = Object.fromEntries(Object.entries(g.resources).filter(([, n]) => n > 0))
    out.push({ suffix, resources, required: [...g.required], forbidden: [...g.forbidden], memberOf: [] })
  }
  return {
    groups: out,
    rootRequired: [],
    rootForbidden: [],
    forbiddenAggregates: [],
    sameSubtree: [],
    ...(groupPolicy ? { groupPolicy } : {}),
  }
}

/** The query with its unsuffixed group changed by `fn` (PreFilters narrow that group). */
export function withUnsuffixed(q: PlacementQuery, fn: (g: RequestGroup) => RequestGroup): PlacementQuery {
  const has = q.groups.some((g) => g.suffix === '')
  const groups = has
    ? q.groups.map((g) => (g.suffix === '' ? fn(g) : g))
    : [fn({ suffix: '', resources: {}, required: [], forbidden: [], memberOf: [] }), ...q.groups]
  return { ...q, groups }
}

/**
 * GET /allocation_candidates parameters for the query (microversion 1.39 spelling):
 * `resources`, `required` (forbidden as `!TRAIT`), `member_of` (`in:` lists, `!in:` for
 * forbidden aggregates), `in_tree`, `group_policy`, `root_required`, `same_subtree`,
 * `limit`.
 */
export function allocationCandidatesQuery(q: PlacementQuery): [string, string][] {
  const out: [string, string][] = []
  for (const g of q.groups) {
    const s = g.suffix
    const res = Object.entries(g.resources)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([rc, n]) => `${rc}:${n}`)
    if (res.length) out.push([`resources${s}`, res.join(',')])
    const req = [...g.required.map((t) => t), ...g.forbidden.map((t) => `!${t}`)]
    if (req.length) out.push([`required${s}`, req.join(',')])
    for (const any of g.memberOf) out.push([`member_of${s}`, `in:${any.join(',')}`])
    if (s === '' && q.forbiddenAggregates.length)
      out.push(['member_of', `!in:${q.forbiddenAggregates.join(',')}`])
    if (g.inTree) out.push([`in_tree${s}`, g.inTree])
  }
  if (q.groupPolicy) out.push(['group_policy', q.groupPolicy])
  const root = [...q.rootRequired, ...q.rootForbidden.map((t) => `!${t}`)]
  if (root.length) out.push(['root_required', root.join(',')])
  for (const st of q.sameSubtree) out.push(['same_subtree', st.join(',')])
  if (q.limit !== undefined) out.push(['limit', String(q.limit)])
  return out
}
