/**
 * A seeded random placement world for the differential comparison: compute trees (flat,
 * or NUMA nodes with PFs and GPUs below), sharing disk pools in aggregates, inventories
 * with reserved space, unit bounds and overcommit, traits, aggregates and consumers'
 * allocations. The same seed gives the same world (uuids included), so both services
 * are loaded with identical data; the generator keeps its own model of capacity so
 * every allocation it writes is one both should accept.
 */

/** A small deterministic generator (mulberry32). */
export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0 || 1
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!
  }
  /** A random subset (each element with probability p), order kept. */
  subset<T>(xs: readonly T[], p = 0.5): T[] {
    return xs.filter(() => this.chance(p))
  }
  uuid(): string {
    const h = () =>
      Math.floor(this.next() * 0x10000)
        .toString(16)
        .padStart(4, '0')
    const v4 = (0x4000 | (this.int(0, 0xfff) & 0x0fff)).toString(16)
    const variant = (0x8000 | (this.int(0, 0x3fff) & 0x3fff)).toString(16)
    return `${h()}${h()}-${h()}-${v4}-${variant}-${h()}${h()}${h()}`
  }
}

export interface Inventory {
  total: number
  reserved: number
  min_unit: number
  max_unit: number
  step_size: number
  allocation_ratio: number
}

export interface GenProvider {
  uuid: string
  name: string
  parent: string | undefined
  root: string
  kind: 'compute' | 'numa' | 'pf' | 'gpu' | 'sharing'
  inventories: Record<string, Inventory>
  traits: string[]
  aggregates: string[]
  used: Map<string, number>
}

export interface Allocation {
  consumer: string
  project: string
  user: string
  type: string
  allocations: Record<string, Record<string, number>>
}

export interface World {
  providers: GenProvider[]
  aggregates: string[]
  customTraits: string[]
  consumers: Allocation[]
  projects: string[]
  users: string[]
}

export const CUSTOM_TRAITS = ['CUSTOM_FAST', 'CUSTOM_PHYSNET_A', 'CUSTOM_PHYSNET_B', 'CUSTOM_GOLD']
export const ROOT_TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE42', 'COMPUTE_STATUS_DISABLED', 'CUSTOM_FAST']
export const SHARES = 'MISC_SHARES_VIA_AGGREGATE'

function inventory(rng: Rng, rc: string): Inventory {
  const inv: Inventory = {
    total: 1,
    reserved: 0,
    min_unit: 1,
    max_unit: 0,
    step_size: 1,
    allocation_ratio: 1,
  }
  switch (rc) {
    case 'VCPU':
      inv.total = rng.int(4, 32)
      inv.allocation_ratio = rng.pick([1, 4, 16])
      inv.reserved = rng.chance(0.3) ? rng.int(1, 2) : 0
      break
    case 'MEMORY_MB':
      inv.total = rng.int(4, 64) * 1024
      inv.allocation_ratio = rng.pick([1, 1.5])
      inv.reserved = rng.chance(0.5) ? 512 : 0
      break
    case 'DISK_GB':
      inv.total = rng.int(10, 200) * 10
      inv.step_size = rng.pick([1, 1, 10])
      inv.min_unit = inv.step_size === 10 ? 10 : rng.pick([1, 5])
      break
    case 'SRIOV_NET_VF':
      inv.total = rng.int(4, 16)
      break
    case 'NET_BW_EGR_KILOBIT_PER_SEC':
      inv.total = rng.int(1, 10) * 100_000
      break
    case 'VGPU':
      inv.total = rng.int(1, 8)
      break
    case 'IPV4_ADDRESS':
      inv.total = rng.int(8, 64)
      break
    default:
      inv.total = rng.int(1, 16)
  }
  const usable = Math.floor((inv.total - inv.reserved) * inv.allocation_ratio)
  inv.max_unit = rng.chance(0.3) ? Math.max(inv.min_unit, Math.floor(inv.total / 2)) : inv.total
  if (inv.max_unit > usable) inv.max_unit = Math.max(inv.min_unit, inv.total)
  return inv
}

/** Builds the seeded world (nothing is sent anywhere yet). */
export function makeWorld(seed: number): World {
  const rng = new Rng(seed)
  const aggregates = [rng.uuid(), rng.uuid(), rng.uuid()]
  const providers: GenProvider[] = []
  const add = (
    name: string,
    kind: GenProvider['kind'],
    parent: GenProvider | undefined,
    classes: string[],
  ): GenProvider => {
    const uuid = rng.uuid()
    const p: GenProvider = {
      uuid,
      name,
      parent: parent?.uuid,
      root: parent?.root ?? uuid,
      kind,
      inventories: Object.fromEntries(classes.map((rc) => [rc, inventory(rng, rc)])),
      traits: [],
      aggregates: [],
      used: new Map(),
    }
    providers.push(p)
    return p
  }
  const pf = (parent: GenProvider, i: number) => {
    const classes = ['SRIOV_NET_VF', ...(rng.chance(0.5) ? ['NET_BW_EGR_KILOBIT_PER_SEC'] : [])]
    const p = add(`${parent.name}-pf${i}`, 'pf', parent, classes)
    p.traits = ['HW_NIC_SRIOV', rng.pick(['CUSTOM_PHYSNET_A', 'CUSTOM_PHYSNET_B'])]
  }
  const gpu = (parent: GenProvider, i: number) => {
    const p = add(`${parent.name}-gpu${i}`, 'gpu', parent, ['VGPU'])
    p.traits = rng.subset(['HW_GPU_API_VULKAN', 'CUSTOM_GOLD'])
  }
  const trees = rng.int(3, 7)
  for (let t = 0; t < trees; t++) {
    const numa = rng.chance(0.6)
    const rootClasses = numa ? [] : ['VCPU', 'MEMORY_MB']
    if (rng.chance(0.5)) rootClasses.push('DISK_GB')
    const root = add(`cn${t}`, 'compute', undefined, rootClasses)
    root.traits = rng.subset(ROOT_TRAITS, 0.35)
    root.aggregates = rng.subset(aggregates, 0.4)
    if (numa) {
      const nodes = rng.int(1, 2)
      for (let n = 0; n < nodes; n++) {
        const node = add(`cn${t}-numa${n}`, 'numa', root, ['VCPU', 'MEMORY_MB'])
        node.traits = ['HW_NUMA_ROOT', ...rng.subset(['CUSTOM_FAST'], 0.3)]
        for (let i = rng.int(0, 2); i > 0; i--) pf(node, i)
        for (let i = rng.int(0, 1); i > 0; i--) gpu(node, i)
      }
    } else {
      for (let i = rng.int(0, 2); i > 0; i--) pf(root, i)
      for (let i = rng.int(0, 2); i > 0; i--) gpu(root, i)
    }
  }
  const pools = rng.int(1, 2)
  for (let j = 0; j < pools; j++) {
    const ss = add(`ss${j}`, 'sharing', undefined, ['DISK_GB', ...(rng.chance(0.4) ? ['IPV4_ADDRESS'] : [])])
    ss.traits = [SHARES, ...rng.subset(['STORAGE_DISK_SSD', 'CUSTOM_FAST'], 0.4)]
    ss.aggregates = rng.subset(aggregates, 0.6)
    if (ss.aggregates.length === 0) ss.aggregates = [rng.pick(aggregates)]
  }
  const projects = ['p-one', 'p-two', 'p-three']
  const users = ['u-one', 'u-two']
  const consumers: Allocation[] = []
  const roots = providers.filter((p) => p.kind === 'compute')
  const sharing = providers.filter((p) => p.kind === 'sharing')
  for (let c = rng.int(8, 20); c > 0; c--) {
    const root = rng.pick(roots)
    const tree = providers.filter((p) => p.root === root.uuid)
    const want: [string, number][] = [
      ['VCPU', rng.int(1, 4)],
      ['MEMORY_MB', rng.pick([256, 512, 1024, 2048])],
    ]
    if (rng.chance(0.6)) want.push(['DISK_GB', rng.pick([5, 10, 20, 40])])
    if (rng.chance(0.3)) want.push(['SRIOV_NET_VF', 1])
    if (rng.chance(0.2)) want.push(['VGPU', 1])
    const allocations: Record<string, Record<string, number>> = {}
    for (const [rc, n] of want) {
      const pool = rc === 'DISK_GB' && rng.chance(0.5) ? sharing : tree
      const choices = pool.filter((p) => p.inventories[rc])
      if (choices.length === 0) continue
      const p = rng.pick(choices)
      const amount = fitting(p, rc, n)
      if (amount === undefined) continue
      p.used.set(rc, (p.used.get(rc) ?? 0) + amount)
      allocations[p.uuid] ??= {}
      allocations[p.uuid]![rc] = amount
    }
    if (Object.keys(allocations).length === 0) continue
    consumers.push({
      consumer: rng.uuid(),
      project: rng.pick(projects),
      user: rng.pick(users),
      type: rng.pick(['INSTANCE', 'INSTANCE', 'MIGRATION']),
      allocations,
    })
  }
  return { providers, aggregates, customTraits: CUSTOM_TRAITS, consumers, projects, users }
}

/** `want` rounded to the inventory's unit rules, if it still fits the free capacity. */
function fitting(p: GenProvider, rc: string, want: number): number | undefined {
  const inv = p.inventories[rc]!
  let n = Math.max(inv.min_unit, want)
  n = Math.ceil(n / inv.step_size) * inv.step_size
  if (n > inv.max_unit) return undefined
  const capacity = Math.floor((inv.total - inv.reserved) * inv.allocation_ratio)
  if ((p.used.get(rc) ?? 0) + n > capacity) return undefined
  return n
}
