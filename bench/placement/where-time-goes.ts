/**
 * Where the time goes, in process (no sockets, no client): state reload (SQL read and
 * index build), the perfload gate query end to end, JSON serialisation of its answer,
 * and the cost a write adds to the next read.
 *
 *   node dist/bench/placement/where-time-goes.js sqlite:////tmp/perfload-db/placement.db
 *
 * The database must hold the nested perfload data (bench/placement/run.sh loads it).
 */
import { randomUUID } from 'node:crypto'
import { Version } from '../../src/kernel/microversion/index.js'
import { parseCandidateRequest } from '../../src/services/placement/domain/candidate-request.js'
import { findCandidates } from '../../src/services/placement/domain/candidates.js'
import { PlacementState } from '../../src/services/placement/domain/model.js'
import { candidatesBody } from '../../src/services/placement/handlers/views.js'
import { startInstance } from '../../src/services/placement/test/harness.js'

const connection = process.argv[2] ?? 'sqlite:////tmp/perfload-db/placement.db'
const Q =
  '/allocation_candidates?resources=DISK_GB:10&required=COMPUTE_VOLUME_MULTI_ATTACH&resources_COMPUTE=VCPU:1,MEMORY_MB:256&required_COMPUTE=CUSTOM_FOO&resources_FPGA=FPGA:1&group_policy=none&same_subtree=_COMPUTE,_FPGA'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
/** Median wall time of `fn`, or of what it returns when that is a number (its own timing). */
async function time(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const ts: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const own = await fn()
    ts.push(typeof own === 'number' ? own : performance.now() - t0)
  }
  return median(ts)
}

const inst = await startInstance(connection)
const repo = inst.service.stateRepo
const rows = await repo.loadState()
console.log(
  `providers ${rows.providers.length}, inventories ${rows.inventories.length}, traits on providers ${rows.providerTraits.length}`,
)
console.log(`reload: SQL read ${(await time(5, () => repo.loadState())).toFixed(1)} ms median`)
console.log(
  `reload: index build ${(await time(5, () => PlacementState.build(rows, 'x'))).toFixed(1)} ms median`,
)
console.log(`counter check ${(await time(50, () => repo.counter())).toFixed(2)} ms median`)

await inst.call('GET', Q)
const full = await time(10, () => inst.call('GET', Q))
const lim5 = await time(10, () => inst.call('GET', `${Q}&limit=5`))
const r = await inst.call('GET', Q)
const parseBody = await time(10, () => JSON.parse(r.raw.body))
// The same query, step by step, straight on the state (no HTTP).
const st = await inst.service.placement.state()
const query = Object.fromEntries(new URLSearchParams(Q.split('?')[1]))
const v = Version.parse('1.39')!
const parse = await time(10, () => parseCandidateRequest(st, query, v))
const { creq } = parseCandidateRequest(st, query, v)
const search = await time(100, () => findCandidates(st, creq))
const found = findCandidates(st, creq)
const view = await time(100, () => candidatesBody(st, found, creq, v))
const size = Buffer.concat(candidatesBody(st, found, creq, v)).length
console.log(
  `gate query steps: parse ${parse.toFixed(2)} ms, search ${search.toFixed(1)} ms (${found.length} candidates), JSON body ${view.toFixed(1)} ms (${(size / 1e6).toFixed(1)} MB)`,
)
// The search keeps each tree's candidates per request shape until the tree changes:
// time the cases that cannot reuse them too.
const cold = await time(10, () => {
  const fresh = PlacementState.build(rows, 'x')
  const t0 = performance.now()
  findCandidates(fresh, parseCandidateRequest(fresh, query, v).creq)
  return performance.now() - t0
})
const claims: number[] = []
const consumers: string[] = []
for (let i = 0; i < 10; i++) {
  const pick = ((await inst.call('GET', `${Q}&limit=1`)).body.allocation_requests as object[])[0]
  const consumer = randomUUID()
  consumers.push(consumer)
  const put = await inst.call('PUT', `/allocations/${consumer}`, {
    ...pick,
    consumer_generation: null,
    project_id: '11111111-1111-4111-8111-111111111111',
    user_id: '22222222-2222-4222-8222-222222222222',
    consumer_type: 'INSTANCE',
  })
  if (put.status !== 204) throw new Error(`claim failed: ${put.status} ${JSON.stringify(put.body)}`)
  const after = await inst.service.placement.state()
  const q = parseCandidateRequest(after, query, v).creq
  const t0 = performance.now()
  findCandidates(after, q)
  claims.push(performance.now() - t0)
}
// Leave the database as it was.
for (const c of consumers) await inst.call('DELETE', `/allocations/${c}`)
console.log(
  `search, first query of its shape (every tree searched): ${cold.toFixed(1)} ms; right after a claim on one tree: ${median(claims).toFixed(2)} ms`,
)
console.log(`gate query via inject: ${full.toFixed(1)} ms median (limit=5: ${lim5.toFixed(1)} ms)`)
console.log(
  `  (inject includes the test client's JSON.parse of the ${(r.raw.body.length / 1e6).toFixed(1)} MB answer: ${parseBody.toFixed(1)} ms)`,
)

// A write moves the counter: the next read pays a full reload.
const rp = rows.providers[0]!.uuid
const read = await time(5, () => inst.call('GET', `/resource_providers/${rp}`))
const writeThenRead = await time(5, async () => {
  const p = await inst.call('GET', `/resource_providers/${rp}`)
  await inst.call('PUT', `/resource_providers/${rp}/aggregates`, {
    resource_provider_generation: p.body.generation,
    aggregates: [],
  })
  await inst.call('GET', `/resource_providers/${rp}`)
})
console.log(
  `one provider read: ${read.toFixed(1)} ms; read + write + next read: ${writeThenRead.toFixed(1)} ms (the write's reload included)`,
)
await inst.close()
