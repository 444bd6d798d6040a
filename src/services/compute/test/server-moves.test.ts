/**
 * Live migration (scheduler-chosen, to a host, forced before 2.68; abort and
 * force-complete of a running one; server migrations list/show), evacuation from a
 * forced-down host, shelve / shelve offload / unshelve (zone 2.77, host 2.91), rescue /
 * unrescue and trigger_crash_dump, end to end with the real agents; the placement
 * invariant after each step.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { idle, type OpsCloud, startOpsCloud, waitStatus } from './ops-harness.js'

const S = '/compute/v2.1/servers'
const ADMIN = 'project-admin'
const MEMBER = 'project-member'

describe('live migration, evacuate, shelve, rescue', () => {
  let c: OpsCloud
  const notified: string[] = []
  before(async () => {
    // a transfer takes a second, so a running live migration can be seen, aborted, hurried
    c = await startOpsCloud({ hosts: 3, config: { fake_driver: { migrate_time: 1 } } })
    await c.t.host.bus!.listen({ eventTypes: ['instance.*.*', 'instance.*'] }, (n) => {
      notified.push(n.eventType)
    })
  })
  after(() => c.close())

  const act = (id: string, body: unknown, as = ADMIN, version = '2.1') =>
    c.t.call('POST', `${S}/${id}/action`, { as, version, body })
  const hostOf = async (id: string) =>
    (await c.t.call('GET', `${S}/${id}`, { as: ADMIN, version: 'latest' })).body.server[
      'OS-EXT-SRV-ATTR:host'
    ] as string
  const migrationsOf = async (id: string) =>
    (await c.t.call('GET', `/compute/v2.1/os-migrations?instance_uuid=${id}`, { as: ADMIN, version: '2.80' }))
      .body.migrations as Record<string, unknown>[]
  const until = async (what: () => Promise<boolean>, ms = 5000) => {
    const end = Date.now() + ms
    while (!(await what())) {
      if (Date.now() > end) throw new Error('condition not met')
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  it('live-migrates where the scheduler says, then to a named host, forced at 2.67', async () => {
    const id = await c.boot('lm', '1')
    const from = await hostOf(id)
    const r = await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, ADMIN, '2.25')
    assert.equal(r.status, 202, JSON.stringify(r.body))
    const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE')
    const to = s['OS-EXT-SRV-ATTR:host'] as string
    assert.notEqual(to, from)
    assert.equal(c.driver(to).getInfo(id).powerState, 1)
    assert.deepEqual(c.driver(from).listInstances().includes(id), false)
    await idle(c.compute)
    await c.accounting()
    assert.equal((await migrationsOf(id))[0]?.status, 'completed')
    const third = c.hosts.find((h) => h !== to && h !== from)!
    const forced = await act(
      id,
      { 'os-migrateLive': { host: third, block_migration: false, force: true } },
      ADMIN,
      '2.67',
    )
    assert.equal(forced.status, 202, JSON.stringify(forced.body))
    assert.equal((await waitStatus(c.t, id, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host'], third)
    await idle(c.compute)
    await c.accounting()
    // force is gone at 2.68; a paused server moves too
    const gone = await act(
      id,
      { 'os-migrateLive': { host: null, block_migration: 'auto', force: true } },
      ADMIN,
      '2.68',
    )
    assert.equal(gone.status, 400)
    assert.equal((await act(id, { pause: null }, MEMBER)).status, 202)
    await waitStatus(c.t, id, ['PAUSED'])
    assert.equal(
      (await act(id, { 'os-migrateLive': { host: from, block_migration: 'auto' } }, ADMIN, '2.30')).status,
      202,
    )
    const p = await waitStatus(c.t, id, ['PAUSED', 'ERROR'])
    assert.equal(p['OS-EXT-SRV-ATTR:host'], from)
    assert.equal(c.driver(from).getInfo(id).powerState, 3)
    await idle(c.compute)
    await c.accounting()
    // a stopped server is refused
    const stopped = await c.boot('lm-stopped', '1')
    assert.equal((await act(stopped, { 'os-stop': null }, MEMBER)).status, 202)
    await waitStatus(c.t, stopped, ['SHUTOFF'])
    const refused = await act(
      stopped,
      { 'os-migrateLive': { host: null, block_migration: 'auto' } },
      ADMIN,
      '2.25',
    )
    assert.equal(refused.status, 409)
    assert.match(
      refused.body.conflictingRequest.message,
      /Cannot 'os-migrateLive' instance .* vm_state stopped/,
    )
    assert.ok(notified.includes('instance.live_migration_post.end'))
  })

  it('shows a running live migration, aborts it (rolled back) and force-completes another', async () => {
    const id = await c.boot('lm-abort', '1')
    const from = await hostOf(id)
    assert.equal(
      (await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, ADMIN, '2.25')).status,
      202,
    )
    let mid = 0
    await until(async () => {
      const l = await c.t.call('GET', `${S}/${id}/migrations`, { as: ADMIN, version: '2.80' })
      const m = (l.body.migrations as { id: number; status: string }[]).find((x) => x.status === 'running')
      if (m) mid = m.id
      return Boolean(m)
    })
    const one = await c.t.call('GET', `${S}/${id}/migrations/${mid}`, { as: ADMIN, version: '2.80' })
    assert.equal(one.status, 200)
    assert.equal(one.body.migration.server_uuid, id)
    assert.equal(one.body.migration.source_compute, from)
    const abort = await c.t.call('DELETE', `${S}/${id}/migrations/${mid}`, { as: ADMIN, version: '2.24' })
    assert.equal(abort.status, 202, JSON.stringify(abort.body))
    const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s['OS-EXT-SRV-ATTR:host'], from)
    await idle(c.compute)
    assert.equal((await migrationsOf(id))[0]?.status, 'cancelled')
    assert.equal(c.driver(from).getInfo(id).powerState, 1)
    await c.accounting()
    // no longer in progress
    const missing = await c.t.call('GET', `${S}/${id}/migrations/${mid}`, { as: ADMIN, version: '2.80' })
    assert.equal(missing.status, 404)
    // force complete: the migration finishes well before its second
    assert.equal(
      (await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, ADMIN, '2.25')).status,
      202,
    )
    await until(async () => (await migrationsOf(id))[0]?.status === 'running')
    const m2 = (await migrationsOf(id))[0]!.id
    const t0 = Date.now()
    const force = await c.t.call('POST', `${S}/${id}/migrations/${m2}/action`, {
      as: ADMIN,
      version: '2.22',
      body: { force_complete: null },
    })
    assert.equal(force.status, 202, JSON.stringify(force.body))
    const done = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.ok(Date.now() - t0 < 900)
    assert.notEqual(done['OS-EXT-SRV-ATTR:host'], from)
    await idle(c.compute)
    assert.equal((await migrationsOf(id))[0]?.status, 'completed')
    await c.accounting()
    // force-complete of a finished migration: 409 (the server is not migrating)
    const late = await c.t.call('POST', `${S}/${id}/migrations/${m2}/action`, {
      as: ADMIN,
      version: '2.22',
      body: { force_complete: null },
    })
    assert.equal(late.status, 409)
  })

  it('evacuates from a forced-down host, refuses while the host is up', async () => {
    const id = await c.boot('ev', '1')
    const from = await hostOf(id)
    const up = await act(id, { evacuate: {} }, ADMIN, '2.14')
    assert.equal(up.status, 400)
    assert.match(up.body.badRequest.message, new RegExp(`Compute service of ${from} is still in use`))
    const svc = await c.t.call('GET', `/compute/v2.1/os-services?host=${from}&binary=nova-compute`, {
      as: ADMIN,
      version: '2.53',
    })
    const sid = svc.body.services[0].id
    const down = await c.t.call('PUT', `/compute/v2.1/os-services/${sid}`, {
      as: ADMIN,
      version: '2.53',
      body: { forced_down: true },
    })
    assert.equal(down.status, 200, JSON.stringify(down.body))
    const unknown = await act(id, { evacuate: { host: 'nowhere' } }, ADMIN, '2.29')
    assert.equal(unknown.status, 404)
    const r = await act(id, { evacuate: {} }, ADMIN, '2.14')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const s = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(s.status, 'ACTIVE')
    assert.notEqual(s['OS-EXT-SRV-ATTR:host'], from)
    await idle(c.compute)
    assert.equal((await migrationsOf(id))[0]?.migration_type, 'evacuation')
    assert.equal((await migrationsOf(id))[0]?.status, 'done')
    await c.accounting()
    await c.t.call('PUT', `/compute/v2.1/os-services/${sid}`, {
      as: ADMIN,
      version: '2.53',
      body: { forced_down: false },
    })
  })

  it('shelves (offloaded at once by default), unshelves into a zone (2.77) and onto a host (2.91)', async () => {
    const id = await c.boot('sh', '1')
    assert.equal((await act(id, { shelve: null }, MEMBER)).status, 202)
    const s = await waitStatus(c.t, id, ['SHELVED_OFFLOADED', 'SHELVED', 'ERROR'])
    assert.equal(s.status, 'SHELVED_OFFLOADED')
    assert.equal(s['OS-EXT-SRV-ATTR:host'], null)
    await idle(c.compute)
    await c.accounting()
    const held = await c.t.call('GET', `/placement/allocations/${id}`, { as: ADMIN, version: '1.39' })
    assert.deepEqual(held.body.allocations, {})
    // the shelve's image record, the owner's to see, goes when the server is unshelved
    const shelvedImages = async () =>
      (await c.t.call('GET', '/image/v2/images?name=sh-shelved', { as: MEMBER })).body.images as {
        id: string
        status: string
        size: number
      }[]
    assert.equal((await shelvedImages()).length, 1)
    // with the guest's disk uploaded
    assert.equal((await shelvedImages())[0]!.status, 'active')
    assert.ok((await shelvedImages())[0]!.size > 0)
    const badZone = await act(id, { unshelve: { availability_zone: 'atlantis' } }, MEMBER, '2.77')
    assert.equal(badZone.status, 400)
    assert.equal((await act(id, { unshelve: { availability_zone: 'nova' } }, MEMBER, '2.77')).status, 202)
    const back = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(back.status, 'ACTIVE')
    assert.equal(back['OS-EXT-AZ:availability_zone'], 'nova')
    await idle(c.compute)
    assert.equal((await shelvedImages()).length, 0)
    await c.accounting()
    // shelve again, then to a named host (admin, 2.91)
    assert.equal((await act(id, { shelve: null }, MEMBER)).status, 202)
    await waitStatus(c.t, id, ['SHELVED_OFFLOADED'])
    const target = c.hosts[2]!
    assert.equal((await act(id, { unshelve: { host: target } }, MEMBER, '2.91')).status, 403)
    assert.equal((await act(id, { unshelve: { host: target } }, ADMIN, '2.91')).status, 202)
    const onHost = await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])
    assert.equal(onHost['OS-EXT-SRV-ATTR:host'], target)
    await idle(c.compute)
    await c.accounting()
    // unshelve of an active server: 409
    const again = await act(id, { unshelve: null }, MEMBER)
    assert.equal(again.status, 409)
    assert.equal((await act(id, { shelveOffload: null }, ADMIN)).status, 409)
  })

  it('rescues and unrescues; triggers a crash dump of a running server only', async () => {
    const id = await c.boot('rs', '1')
    const r = await act(id, { rescue: null }, MEMBER)
    assert.equal(r.status, 200)
    assert.equal(typeof r.body.adminPass, 'string')
    assert.equal((await waitStatus(c.t, id, ['RESCUE', 'ERROR'])).status, 'RESCUE')
    const badImage = await act(
      id,
      { rescue: { rescue_image_ref: '00000000-0000-0000-0000-000000000001' } },
      MEMBER,
    )
    assert.equal(badImage.status, 409)
    assert.equal((await act(id, { unrescue: null }, MEMBER)).status, 202)
    assert.equal((await waitStatus(c.t, id, ['ACTIVE', 'ERROR'])).status, 'ACTIVE')
    assert.equal((await act(id, { unrescue: null }, MEMBER)).status, 409)
    const dump = await act(id, { trigger_crash_dump: null }, MEMBER, '2.17')
    assert.equal(dump.status, 202)
    await idle(c.compute)
    const host = await hostOf(id)
    assert.match(await c.driver(host).consoleOutput(id), /NMI/)
    assert.equal((await act(id, { trigger_crash_dump: null }, MEMBER, '2.16')).status, 404)
    assert.equal((await act(id, { 'os-stop': null }, MEMBER)).status, 202)
    await waitStatus(c.t, id, ['SHUTOFF'])
    assert.equal((await act(id, { trigger_crash_dump: null }, MEMBER, '2.17')).status, 409)
    await c.accounting()
  })
})
