/**
 * JIT warm-up of the allocation candidates path, run once when the cloud is listening.
 *
 * V8 compiles the search and the body writer to optimised code only after several
 * calls; until then each query runs interpreted, and the first ten or so queries of a
 * fresh process took two to four times as long as later ones (measured on the nested
 * perfload set: 20-50 ms before settling at 10-12 ms). Running a few typical queries
 * against a small synthetic state (never the real one, no database, no HTTP) moves that
 * cost off the first real requests. The synthetic providers are made by the same code
 * as real ones, so the optimised code fits them.
 */

import { STANDARD_RESOURCE_CLASSES } from '../data/standard-classes.js'
import { parseCandidateRequest } from '../domain/candidate-request.js'
import { findCandidates } from '../domain/candidates.js'
import { PlacementState, type StateRows } from '../domain/model.js'
import { VERSIONS } from '../versions.js'
import { candidatesBody } from './views.js'

/** Rounds of every query; each round yields to the event loop. */
const ROUNDS = 30
const TREES = 48

/** Query shapes the scheduler sends: one group over a tree; granular groups in a subtree. */
export const QUERIES: Record<string, string>[] = [
  { resources: 'VCPU:1,MEMORY_MB:512,DISK_GB:10' },
  {
    resources: 'DISK_GB:10',
    required: 'COMPUTE_VOLUME_MULTI_ATTACH',
    resources_COMPUTE: 'VCPU:1,MEMORY_MB:256',
    required_COMPUTE: 'CUSTOM_WARM_UP',
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

/** TREES trees: a compute root with disk, two NUMA children with CPU and memory, a vGPU under each. */
export function syntheticState(): PlacementState {
  const at = '2000-01-01T00:00:00.000Z'
  const rc = (name: string) => STANDARD_RESOURCE_CLASSES.indexOf(name)
  const traits = ['COMPUTE_VOLUME_MULTI_ATTACH', 'HW_NUMA_ROOT', 'CUSTOM_WARM_UP']
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
