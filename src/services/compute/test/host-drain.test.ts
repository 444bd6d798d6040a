/**
 * Host maintenance through the API alone (src/cmd/host-maintenance.ts, what `cloudlet
 * host drain|evacuate` runs): 50 servers on one of four hosts in assorted states; a
 * drain interrupted part-way and resumed empties the host (live migration, cold
 * migration for the stopped ones, offload for the shelved), leaves the one server that
 * cannot move with its reason, ends with the host disabled with its reason, and the
 * placement invariant holds. Evacuate empties a forced-down host.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type ComputeCaller, HostMaintenance, summaryText } from '../../../cmd/host-maintenance.js'
import { idle, type OpsCloud, startOpsCloud, waitStatus } from './ops-harness.js'

const S = '/compute/v2.1/servers'
const ADMIN = 'project-admin'

describe('host drain and evacuate', () => {
  let c: OpsCloud
  let api: ComputeCaller
  before(async () => {
    c = await startOpsCloud({
      hosts: 4,
      config: { DEFAULT: { shelved_offload_time: -1 }, quota: { instances: -1, cores: -1, ram: -1 } },
    })
    api = {
      request: async (method, path, body, version) => {
        const r = await c.t.call(method, `/compute/v2.1${path}`, {
          as: ADMIN,
          ...(version ? { version } : {}),
          ...(body !== undefined ? { body } : {}),
        })
        return { status: r.status, body: r.body }
      },
    }
  })
  after(() => c.close())

  const act = (id: string, body: unknown) => c.t.call('POST', `${S}/${id}/action`, { as: ADMIN, body })

  it('drains 50 servers from one of four hosts, resumably', async () => {
    const host = c.hosts[0]!
    const ids: string[] = []
    for (let i = 0; i < 50; i++) {
      const r = await c.t.call('POST', S, {
        as: ADMIN,
        version: '2.74',
        body: { server: { name: `d-${i}`, imageRef: c.imageId, flavorRef: '1', networks: 'none', host } },
      })
      assert.equal(r.status, 202, JSON.stringify(r.body))
      ids.push(r.body.server.id)
    }
    for (const id of ids) assert.equal((await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
    // assorted states: 5 stopped, 2 paused, 2 shelved (kept on the host), 1 suspended
    for (const id of ids.slice(0, 5)) await act(id, { 'os-stop': null })
    for (const id of ids.slice(5, 7)) await act(id, { pause: null })
    for (const id of ids.slice(7, 9)) await act(id, { shelve: null })
    await act(ids[9]!, { suspend: null })
    await idle(c.compute)
    await c.accounting()

    // the first run stops after 20 servers (an operator's ^C)
    const m = new HostMaintenance(api)
    await assert.rejects(
      m.drain(host, {
        reason: 'disk replacement',
        concurrency: 6,
        progress: (done) => {
          if (done >= 20) throw new Error('interrupted')
        },
      }),
      /interrupted/,
    )
    await idle(c.compute)
    await c.accounting()
    const lines: string[] = []
    const summary = await m.drain(host, {
      reason: 'disk replacement',
      concurrency: 6,
      progress: (done, total, last) => lines.push(`${done}/${total} ${last.result}`),
    })
    await idle(c.compute)
    const text = summaryText(summary)
    console.log(`# ${text.replaceAll('\n', '\n# ')}`)
    // the suspended one cannot move, and says why; everything else left the host
    assert.equal(summary.remaining, 1)
    const left = summary.outcomes.filter((o) => o.result === 'left')
    assert.deepEqual(
      left.map((o) => o.id),
      [ids[9]],
    )
    assert.match(left[0]!.reason!, /status SUSPENDED/)
    assert.match(text, /1 server\(s\) still on the host/)
    const remaining = await c.t.call('GET', `${S}/detail?all_tenants=1&host=${host}`, { as: ADMIN })
    assert.deepEqual(
      remaining.body.servers.map((s: { id: string }) => s.id),
      [ids[9]],
    )
    // nobody went to ERROR; the moved ones run elsewhere in their own state
    const all = await c.t.call('GET', `${S}/detail?all_tenants=1`, { as: ADMIN, version: '2.53' })
    const byId = new Map<string, Record<string, unknown>>(
      all.body.servers.map((s: { id: string }) => [s.id, s]),
    )
    for (const id of ids) assert.notEqual(byId.get(id)?.status, 'ERROR')
    for (const id of ids.slice(0, 5)) assert.equal(byId.get(id)?.status, 'SHUTOFF')
    for (const id of ids.slice(5, 7)) assert.equal(byId.get(id)?.status, 'PAUSED')
    for (const id of ids.slice(7, 9)) assert.equal(byId.get(id)?.status, 'SHELVED_OFFLOADED')
    // the host stays disabled with the reason
    const svc = await c.t.call('GET', `/compute/v2.1/os-services?host=${host}&binary=nova-compute`, {
      as: ADMIN,
      version: '2.53',
    })
    assert.equal(svc.body.services[0].status, 'disabled')
    assert.equal(svc.body.services[0].disabled_reason, 'disk replacement')
    await c.accounting()
    // once the suspended one is resumed, a third run finishes the job
    await act(ids[9]!, { resume: null })
    await waitStatus(c.t, ids[9]!, ['ACTIVE'])
    const last = await m.drain(host, { reason: 'disk replacement' })
    assert.equal(last.remaining, 0)
    assert.equal(last.outcomes[0]?.result, 'live')
    await idle(c.compute)
    await c.accounting()
  })

  it('evacuates a forced-down host', async () => {
    const host = c.hosts[1]!
    const before = await c.t.call('GET', `${S}/detail?all_tenants=1&host=${host}`, { as: ADMIN })
    const ids = before.body.servers.map((s: { id: string }) => s.id) as string[]
    assert.ok(ids.length > 0, 'the drain put servers on the second host')
    const summary = await new HostMaintenance(api).evacuate(host, { reason: 'power supply failed' })
    await idle(c.compute)
    const movable = summary.outcomes.filter((o) => o.result === 'evacuated').length
    const leftOver = summary.outcomes.filter((o) => o.result === 'left')
    // paused and shelved servers are not evacuated (upstream's states), and say so
    assert.equal(movable + leftOver.length, ids.length)
    for (const o of leftOver) assert.match(o.reason!, /can be evacuated/)
    assert.equal(summary.remaining, leftOver.length)
    await c.accounting()
  })
})
