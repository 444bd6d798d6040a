/**
 * Warm-ups of the allocation candidates path, so that scheduling queries do not pay
 * for work that can be done while the process is idle.
 *
 * At start (`warmUpCandidates`): V8 compiles the search and the body writer to optimised code only after several
 * calls; until then each query runs interpreted, and the first ten or so queries of a
 * fresh process took two to four times as long as later ones (measured on the nested
 * perfload set: 20-50 ms before settling at 10-12 ms). Running a few typical queries
 * against a small synthetic state (never the real one, no database, no HTTP) moves that
 * cost off the first real requests. The synthetic providers are made by the same code
 * as real ones, so the optimised code fits them.
 *
 * After writes (`IdlePrimer`): a load of thousands of providers leaves the real state
 * with no cached parts, summaries or provider lists, and the code specialised for the
 * small synthetic state, so the first queries after it took 4-15x a settled one
 * (measured on the nested perfload set: 225 ms, then 40-70 ms for several requests,
 * before 15 ms). Once writes have stopped for a moment the primer runs the same typical
 * queries against the real state, which builds its query-independent caches (provider
 * summaries and arena, tree lists, the class index) and re-specialises the code. A
 * prime runs as the module's background work (`ctx.tasks`), so closing the service
 * waits for it.
 */

import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { type CandidateOptions, findCandidates } from '../domain/candidates.js'
import { PlacementState, type StateRows } from '../domain/model.js'
import { candidatesBody } from '../handlers/views.js'
import { VERSIONS } from '../versions.js'

/** Rounds of every query; each round yields to the event loop. */
const ROUNDS = 30
const TREES = 48

/**
 * Query shapes the scheduler sends: one group over a tree; granular groups in a subtree.
 * Standard classes and traits only: the primer runs them against real states too.
 */
export const QUERIES: Record<string, string>[] = [
  { resources: 'VCPU:1,MEMORY_MB:512,DISK_GB:10' },
  {
    resources: 'DISK_GB:10',
    required: 'COMPUTE_VOLUME_MULTI_ATTACH',
    resources_COMPUTE: 'VCPU:1,MEMORY_MB:256',
    required_COMPUTE: 'HW_CPU_X86_AVX2',
    resources_ACCEL: 'VGPU:1',
    group_policy: 'none',
    same_subtree: '_COMPUTE,_ACCEL',
  },
  { resources: 'VCPU:2', resources1: 'VGPU:1', group_policy: 'isolate', limit: '5' },
]

/** Runs the warm-up in small steps; resolves when done (errors are the caller's to log). */
export async function warmUpCandidates(): Promise<void> {
  const s = syntheticState()
  const v = VERSIONS.max
  const requests = QUERIES.map((q) => parseCandidateRequest(s, q, v).creq)
  for (let round = 0; round < ROUNDS; round++) {
    for (const creq of requests) candidatesBody(s, findCandidates(s, creq), creq, v)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * Runs the typical queries against the real state once writes have been quiet for
 * `quietMs`, at most once per `intervalMs` (a prime costs about three queries; a cloud
 * that writes all the time primes itself by answering queries anyway). Told of every
 * state update by the state cache; a process that only reads is never primed twice.
 */
export class IdlePrimer {
  private timer: NodeJS.Timeout | undefined
  private lastRun = Number.NEGATIVE_INFINITY
  /** Primes run (for tests and stats). */
  runs = 0

  constructor(
    private readonly state: () => Promise<PlacementState>,
    private readonly options: CandidateOptions,
    private readonly quietMs = 200,
    private readonly intervalMs = 5000,
    /** Runs a prime as tracked background work (the host's task group). */
    private readonly spawn: (work: () => Promise<void>) => Promise<void> = (work) => work(),
  ) {}

  /** The state changed: (re)arm the timer. */
  readonly changed = (): void => {
    clearTimeout(this.timer)
    const wait = Math.max(this.quietMs, this.lastRun + this.intervalMs - performance.now())
    this.timer = setTimeout(() => void this.spawn(() => this.run()), wait)
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** One prime: query by query, yielding between them. Never throws. */
  async run(): Promise<void> {
    this.timer = undefined
    this.lastRun = performance.now()
    this.runs++
    const v = VERSIONS.max
    try {
      for (const q of QUERIES) {
        // Fresh each time: a write between two queries may have replaced the state.
        const s = await this.state()
        const { creq, empty } = parseCandidateRequest(s, q, v)
        if (!empty) candidatesBody(s, findCandidates(s, creq, this.options), creq, v)
        await new Promise((resolve) => setImmediate(resolve))
      }
    } catch {
      // A state that cannot answer a typical query (e.g. a database gone away) is the
      // next real request's to report.
    }
  }
}

/** TREES trees: a compute root with disk, two NUMA children with CPU and memory, a vGPU under each. */
export function syntheticState(): PlacementState {
  const at = '2000-01-01T00:00:00.000Z'
  const rc = (name: string) => STANDARD_RESOURCE_CLASSES.indexOf(name)
  const traits = ['COMPUTE_VOLUME_MULTI_ATTACH', 'HW_NUMA_ROOT', 'HW_CPU_X86_AVX2']
  const rows: StateRows = {
    counter: '0',
    providers: [],
    inventories: [],
    allocations: [],
    consumers: [],
    projects: [],
    users: [],
    consumerTypes: [],
    resourceClasses: [],
    traits: traits.map((name, i) => ({ id: i + 1, name, created_at: at, updated_at: null })),
    aggregates: [],
    providerAggregates: [],
    providerTraits: [],
  }
  let id = 0
  const provider = (root: number | null, parent: number | null) => {
    id++
    const uuid = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`
    rows.providers.push({
      id,
      uuid,
      name: `warm-up-${id}`,
      generation: 1,
      root_provider_id: root ?? id,
      parent_provider_id: parent,
      created_at: at,
      updated_at: null,
    })
    return id
  }
  const inventory = (p: number, cls: string, total: number) =>
    rows.inventories.push({
      resource_provider_id: p,
      resource_class_id: rc(cls),
      total,
      reserved: 0,
      min_unit: 1,
      max_unit: total,
      step_size: 1,
      allocation_ratio: 1,
      created_at: at,
      updated_at: null,
    })
  for (let t = 0; t < TREES; t++) {
    const root = provider(null, null)
    inventory(root, 'DISK_GB', 1000)
    rows.providerTraits.push({ resource_provider_id: root, trait_id: 1 })
    for (let n = 0; n < 2; n++) {
      const numa = provider(root, root)
      inventory(numa, 'VCPU', 8)
      inventory(numa, 'MEMORY_MB', 8192)
      rows.providerTraits.push({ resource_provider_id: numa, trait_id: 2 })
      if (n === 1) rows.providerTraits.push({ resource_provider_id: numa, trait_id: 3 })
      inventory(provider(root, numa), 'VGPU', 4)
    }
  }
  return PlacementState.build(rows, at)
}
