/**
 * The questions the differential comparison asks both services, drawn from the seeded
 * world: allocation candidates across microversions 1.10-1.39 (granular groups,
 * group_policy, member_of, in_tree, root_required, same_subtree, resourceless groups,
 * limit, trait filters), resource provider lists with their filters, usages and
 * allocations. Each parameter appears only from the microversion that introduced it;
 * a few questions are malformed on purpose (both must refuse them alike).
 */
import { CUSTOM_TRAITS, type GenProvider, type Rng, ROOT_TRAITS, type World } from './world.js'

export interface Query {
  kind: 'candidates' | 'providers' | 'usages' | 'allocations'
  path: string
  version: string
  /** For candidates: the unsuffixed group's classes and whether numbered groups exist. */
  unsuffixed?: string[]
  granular?: boolean
  limit?: number
}

const minor = (v: string) => Number(v.split('.')[1])
const version = (lo: number, hi: number, rng: Rng) => `1.${rng.int(lo, hi)}`

const AMOUNTS: Record<string, readonly number[]> = {
  VCPU: [1, 2, 4],
  MEMORY_MB: [256, 1024, 4096],
  DISK_GB: [5, 10, 20, 100],
  SRIOV_NET_VF: [1, 2],
  NET_BW_EGR_KILOBIT_PER_SEC: [1000, 100000],
  VGPU: [1, 2],
  IPV4_ADDRESS: [1],
}
const GROUP_SHAPES: readonly string[][] = [
  ['VCPU', 'MEMORY_MB'],
  ['VCPU'],
  ['SRIOV_NET_VF'],
  ['SRIOV_NET_VF', 'NET_BW_EGR_KILOBIT_PER_SEC'],
  ['VGPU'],
  ['DISK_GB'],
]
const ALL_TRAITS = [
  ...ROOT_TRAITS,
  ...CUSTOM_TRAITS,
  'HW_NUMA_ROOT',
  'HW_NIC_SRIOV',
  'HW_GPU_API_VULKAN',
  'STORAGE_DISK_SSD',
]

function resources(classes: readonly string[], rng: Rng): string {
  return classes.map((rc) => `${rc}:${rng.pick(AMOUNTS[rc]!)}`).join(',')
}

function traitFilter(v: number, rng: Rng): string | undefined {
  const t = rng.pick(ALL_TRAITS)
  const roll = rng.next()
  if (v >= 39 && roll < 0.25) return `in:${t},${rng.pick(ALL_TRAITS)}`
  if (v >= 22 && roll < 0.55) return `!${t}`
  return t
}

function memberOf(v: number, w: World, rng: Rng): string {
  const a = rng.pick(w.aggregates)
  const roll = rng.next()
  if (v >= 32 && roll < 0.3) return `!${a}`
  if (roll < 0.6) return `in:${a},${rng.pick(w.aggregates)}`
  return a
}

function anyProvider(w: World, rng: Rng): GenProvider {
  return rng.pick(w.providers)
}

/** One allocation-candidates question at a random microversion. */
export function candidatesQuery(w: World, rng: Rng): Query {
  const version = `1.${rng.chance(0.7) ? rng.int(25, 39) : rng.int(10, 24)}`
  const v = minor(version)
  const params: string[] = []
  let unsuffixed: string[] = []
  const granularOk = v >= 25
  const groups = granularOk ? rng.pick([0, 1, 1, 2, 2, 3]) : 0
  if (groups === 0 || rng.chance(0.6)) {
    unsuffixed = rng.pick([
      ['VCPU', 'MEMORY_MB'],
      ['DISK_GB'],
      ['VCPU', 'DISK_GB'],
      ['VCPU'],
      ['MEMORY_MB', 'DISK_GB'],
    ])
    params.push(`resources=${resources(unsuffixed, rng)}`)
    if (v >= 17 && rng.chance(0.3)) params.push(`required=${traitFilter(v, rng)}`)
    if (v >= 3 && rng.chance(0.25)) params.push(`member_of=${memberOf(v, w, rng)}`)
    if (v >= 31 && rng.chance(0.1)) params.push(`in_tree=${anyProvider(w, rng).uuid}`)
  }
  const suffixes: string[] = []
  for (let g = 1; g <= groups; g++) {
    const sfx = v >= 33 ? rng.pick(['_COMPUTE', '_NET', '_GPU', '_X']) + g : String(g)
    suffixes.push(sfx)
    params.push(`resources${sfx}=${resources(rng.pick(GROUP_SHAPES), rng)}`)
    if (rng.chance(0.3)) params.push(`required${sfx}=${traitFilter(v, rng)}`)
    if (rng.chance(0.15)) params.push(`member_of${sfx}=${memberOf(v, w, rng)}`)
    if (v >= 31 && rng.chance(0.1)) params.push(`in_tree${sfx}=${anyProvider(w, rng).uuid}`)
  }
  const resourceless: string[] = []
  if (v >= 36 && rng.chance(0.3)) {
    const sfx = '_NUMA'
    resourceless.push(sfx)
    params.push(`required${sfx}=${rng.pick(['HW_NUMA_ROOT', 'HW_NUMA_ROOT,CUSTOM_FAST', 'HW_NIC_SRIOV'])}`)
  }
  if (groups >= 2 || (groups === 1 && rng.chance(0.3)) || resourceless.length)
    params.push(`group_policy=${rng.pick(['none', 'isolate'])}`)
  if (v >= 36 && (resourceless.length || (suffixes.length >= 2 && rng.chance(0.4)))) {
    const members = [...rng.subset(suffixes, 0.7), ...resourceless]
    if (members.length) params.push(`same_subtree=${members.join(',')}`)
  }
  if (v >= 35 && rng.chance(0.25))
    params.push(
      `root_required=${rng.pick(['!COMPUTE_STATUS_DISABLED', 'CUSTOM_FAST', 'HW_CPU_X86_AVX2,!CUSTOM_FAST'])}`,
    )
  let limit: number | undefined
  if (v >= 16 && rng.chance(0.15)) {
    limit = rng.int(1, 3)
    params.push(`limit=${limit}`)
  }
  // A few malformed questions: an unknown trait, a zero amount.
  if (rng.chance(0.03)) params.push(v >= 17 ? 'required=CUSTOM_NO_SUCH_TRAIT' : 'resources=VCPU:0')
  return {
    kind: 'candidates',
    path: `/allocation_candidates?${params.join('&')}`,
    version,
    unsuffixed,
    granular: groups > 0,
    ...(limit === undefined ? {} : { limit }),
  }
}

/** GET /resource_providers with a random mix of the filters its version knows. */
export function providersQuery(w: World, rng: Rng): Query {
  const version = `1.${rng.int(0, 39)}`
  const v = minor(version)
  const params: string[] = []
  const p = anyProvider(w, rng)
  if (rng.chance(0.1)) params.push(`name=${p.name}`)
  if (rng.chance(0.1)) params.push(`uuid=${p.uuid}`)
  if (v >= 3 && rng.chance(0.3)) params.push(`member_of=${memberOf(v, w, rng)}`)
  if (v >= 4 && rng.chance(0.4)) params.push(`resources=${resources(rng.pick(GROUP_SHAPES), rng)}`)
  if (v >= 14 && rng.chance(0.25)) params.push(`in_tree=${anyProvider(w, rng).uuid}`)
  if (v >= 18 && rng.chance(0.35)) params.push(`required=${traitFilter(v, rng)}`)
  return {
    kind: 'providers',
    path: `/resource_providers${params.length ? '?' : ''}${params.join('&')}`,
    version,
  }
}

export function usagesQuery(w: World, rng: Rng): Query {
  if (rng.chance(0.5)) {
    return {
      kind: 'usages',
      path: `/resource_providers/${anyProvider(w, rng).uuid}/usages`,
      version: version(0, 39, rng),
    }
  }
  const v = rng.int(9, 39)
  const params = [`project_id=${rng.pick(w.projects)}`]
  if (rng.chance(0.5)) params.push(`user_id=${rng.pick(w.users)}`)
  if (v >= 38 && rng.chance(0.5))
    params.push(`consumer_type=${rng.pick(['INSTANCE', 'MIGRATION', 'all', 'unknown'])}`)
  return { kind: 'usages', path: `/usages?${params.join('&')}`, version: `1.${v}` }
}

export function allocationsQuery(w: World, rng: Rng): Query {
  if (rng.chance(0.5) && w.consumers.length) {
    const c = rng.pick(w.consumers)
    return { kind: 'allocations', path: `/allocations/${c.consumer}`, version: version(0, 39, rng) }
  }
  return {
    kind: 'allocations',
    path: `/resource_providers/${anyProvider(w, rng).uuid}/allocations`,
    version: version(0, 39, rng),
  }
}

/** `n` questions, mostly allocation candidates. */
export function makeQueries(w: World, rng: Rng, n: number): Query[] {
  const out: Query[] = []
  for (let i = 0; i < n; i++) {
    const roll = rng.next()
    if (roll < 0.65) out.push(candidatesQuery(w, rng))
    else if (roll < 0.85) out.push(providersQuery(w, rng))
    else if (roll < 0.93) out.push(usagesQuery(w, rng))
    else out.push(allocationsQuery(w, rng))
  }
  return out
}
