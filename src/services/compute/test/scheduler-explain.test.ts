/**
 * Cloudlet's scheduler explain route (`POST /v2.1/cloudlet-scheduler/explain`, admin by
 * default): the full decision for a hypothetical request over the simulated hosts, with
 * the candidates, each filter's removals and per-host reasons, and the ranked hosts with
 * weights; nothing is booted or claimed; refusals are Nova-style 4xx.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { explainText } from '../../../scheduler/explain.js'
import { startServersCloud, type TestCloud } from './cloud-harness.js'

const EXPLAIN = '/compute/v2.1/cloudlet-scheduler/explain'
const ADMIN = 'project-admin'

describe('scheduler explain route', { timeout: 120_000 }, () => {
  let c: TestCloud
  before(async () => {
    c = await startServersCloud({
      hosts: [
        { name: 'cmp-big', vcpus: 64, memoryMb: 262144 },
        { name: 'cmp-small', vcpus: 8, memoryMb: 16384 },
        { name: 'cmp-off', vcpus: 32, memoryMb: 131072 },
      ],
    })
    const svcs = await c.t.call('GET', '/compute/v2.1/os-services?binary=nova-compute', {
      as: ADMIN,
      version: '2.53',
    })
    const off = svcs.body.services.find((s: { host: string }) => s.host === 'cmp-off')
    const put = await c.t.call('PUT', `/compute/v2.1/os-services/${off.id}`, {
      as: ADMIN,
      version: '2.53',
      body: { status: 'disabled', disabled_reason: 'RAM errors' },
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
  })
  after(async () => c?.close())

  it('ranks the hosts that pass, with weights, and gives the reason for each one removed', async () => {
    const r = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: '1', imageRef: c.imageId } },
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const e = r.body.scheduler_explanation
    assert.equal(e.hosts, 3)
    assert.equal(e.status.code, 'Success')
    assert.equal(e.passes.length, 1)
    const hosts = e.passes[0].hosts as { host: string; outcome: string; rank?: number; weight?: number }[]
    const ranked = hosts.filter((h) => h.rank !== undefined)
    assert.deepEqual(
      ranked.map((h) => h.host),
      ['cmp-big', 'cmp-small'],
      'the bigger host has more free RAM, so it ranks first',
    )
    assert.equal(ranked[0]!.outcome, 'selected')
    assert.ok(ranked[0]!.weight! > ranked[1]!.weight!)
    const text = explainText(e)
    assert.match(text, /^Placed\./)
    assert.match(text, /RAMWeigher/)
    assert.match(text, /candidates from placement: 3/)
    assert.match(text, /removed: ComputeFilter 1/)
    assert.match(text, /cmp-off +ComputeFilter: compute service disabled; disabled: RAM errors/)
    const off = hosts.find((h) => h.host === 'cmp-off') as { outcome: string; plugin?: string } | undefined
    assert.equal(off?.outcome, 'rejected')
    assert.equal(off?.plugin, 'ComputeFilter')

    // Nothing was booted or claimed.
    const servers = await c.t.call('GET', '/compute/v2.1/servers?all_tenants=1', { as: ADMIN })
    assert.deepEqual(servers.body.servers, [])
    const usages = await c.t.call('GET', '/placement/usages?project_id=p-own', { as: ADMIN, version: '1.9' })
    assert.deepEqual(usages.body.usages, {})
  })

  it('explains a request no host fits: placement returned nothing, and why', async () => {
    const flavor = await c.t.call('POST', '/compute/v2.1/flavors', {
      as: ADMIN,
      body: { flavor: { name: 'huge', ram: 1_000_000, vcpus: 4, disk: 1 } },
    })
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body))
    const r = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: flavor.body.flavor.id, count: 2 } },
    })
    assert.equal(r.status, 200)
    const e = r.body.scheduler_explanation
    assert.equal(e.candidates, 0)
    assert.match(
      e.message,
      /^No valid host was found\. Placement returned no candidates for resources=.*MEMORY_MB:1000000/,
    )
  })

  it('shows per-filter removals for a hint that rules hosts out', async () => {
    const r = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: '1', availability_zone: 'nova:cmp-small' } },
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const e = r.body.scheduler_explanation
    const ranked = e.passes[0].hosts.filter((h: { rank?: number }) => h.rank !== undefined)
    assert.deepEqual(
      ranked.map((h: { host: string }) => h.host),
      ['cmp-small'],
    )
    const rejected = e.passes[0].hosts.filter((h: { outcome: string }) => h.outcome === 'rejected')
    assert.ok(rejected.length >= 1)
    for (const h of rejected) assert.ok(h.plugin && h.reasons.length > 0, JSON.stringify(h))
  })

  it('is for admins, and refuses bad input with Nova-style 4xx', async () => {
    const member = await c.t.call('POST', EXPLAIN, {
      as: 'project-member',
      body: { request: { flavorRef: '1' } },
    })
    assert.equal(member.status, 403)
    assert.match(member.body.forbidden.message, /cloudlet:compute:scheduler:explain/)
    const unknown = await c.t.call('POST', EXPLAIN, { as: ADMIN, body: { request: { flavorRef: 'nope' } } })
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.badRequest.message, 'Flavor nope could not be found.')
    const image = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: '1', imageRef: 'b7b2cbbd-0000-4000-8000-000000000000' } },
    })
    assert.equal(image.status, 400)
    const bad = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: '1', count: 0, extra: true } },
    })
    assert.equal(bad.status, 400)
    assert.ok(bad.body.badRequest.message)
    const hints = await c.t.call('POST', EXPLAIN, {
      as: ADMIN,
      body: { request: { flavorRef: '1', scheduler_hints: { same_host: 5 } } },
    })
    assert.equal(hints.status, 400)
  })
})
